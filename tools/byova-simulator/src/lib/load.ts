// Load mode: N concurrent calls, each a welcome, K real-time voice turns and a hang-up, with
// latency percentiles of END_OF_INPUT and of the first reply after the caller's last speech frame.

import { randomUUID } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { testUtterance } from './audio';
import type { InteractionClient } from './client';
import { FrameClock } from './clock';
import { sendEvent, voiceTurn, type CallIdentity } from './turn';

export interface LoadOptions {
  readonly calls: number;
  readonly turnsPerCall: number;
  readonly virtualAgentId: string;
  readonly customerOrgId: string;
  readonly realtime: boolean;
  /** Calls start spread over this many ms. */
  readonly rampMs: number;
  readonly speechMs: number;
  /** Progress lines (e.g. to stderr). */
  readonly progress?: (line: string) => void;
}

export interface Percentiles {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export interface LoadReport {
  readonly calls: number;
  readonly completedCalls: number;
  readonly rpcs: number;
  readonly failedRpcs: number;
  readonly failures: readonly string[];
  readonly turns: number;
  readonly durationSeconds: number;
  /** Sum of call durations (for CPU per call-second). */
  readonly callSeconds: number;
  /** Last speech frame -> END_OF_INPUT, ms. */
  readonly endOfInputMs: Percentiles;
  /** Last speech frame -> first reply after END_OF_INPUT, ms. */
  readonly replyMs: Percentiles;
}

/** Nearest-rank percentiles. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (p: number): number =>
    sorted.length === 0
      ? 0
      : (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0);
  const round = (v: number): number => Math.round(v * 10) / 10;
  return {
    count: sorted.length,
    p50: round(at(50)),
    p90: round(at(90)),
    p99: round(at(99)),
    max: round(sorted.at(-1) ?? 0),
    mean: round(sorted.length === 0 ? 0 : sorted.reduce((a, b) => a + b, 0) / sorted.length),
  };
}

export async function runLoad(
  client: InteractionClient,
  options: LoadOptions,
): Promise<LoadReport> {
  const clock = new FrameClock();
  const utterance = testUtterance(options.speechMs);
  const endOfInput: number[] = [];
  const reply: number[] = [];
  const failures: string[] = [];
  let rpcs = 0;
  let failed = 0;
  let turns = 0;
  let completed = 0;
  let callSeconds = 0;
  const started = performance.now();

  const fail = (id: CallIdentity, what: string): void => {
    failed += 1;
    if (failures.length < 20) failures.push(`${id.conversationId}: ${what}`);
  };

  async function call(index: number): Promise<void> {
    await new Promise((resolve) =>
      setTimeout(resolve, (options.rampMs * index) / Math.max(1, options.calls)),
    );
    const id: CallIdentity = {
      conversationId: `load-${index}-${randomUUID()}`,
      customerOrgId: options.customerOrgId,
      virtualAgentId: options.virtualAgentId,
    };
    const callStart = performance.now();
    rpcs += 1;
    const welcome = await sendEvent(client, id, 'SESSION_START', 'call_start');
    if (welcome.code !== status.OK || welcome.responses.length === 0) {
      fail(
        id,
        `SESSION_START: ${status[welcome.code]} ${welcome.details} (${welcome.responses.length} responses)`,
      );
      return;
    }
    for (let t = 0; t < options.turnsPerCall; t += 1) {
      rpcs += 1;
      const turn = await voiceTurn(client, id, utterance, { realtime: options.realtime, clock });
      turns += 1;
      if (turn.code !== status.OK) {
        fail(id, `voice turn ${t}: ${status[turn.code]} ${turn.details}`);
        return;
      }
      if (turn.endOfInputMs === undefined) {
        fail(id, `voice turn ${t}: no END_OF_INPUT`);
        return;
      }
      endOfInput.push(turn.endOfInputMs);
      if (turn.replyMs !== undefined) reply.push(turn.replyMs);
    }
    rpcs += 1;
    const hangup = await sendEvent(client, id, 'SESSION_END', 'call_end');
    if (hangup.code !== status.OK) {
      fail(id, `SESSION_END: ${status[hangup.code]} ${hangup.details}`);
      return;
    }
    completed += 1;
    callSeconds += (performance.now() - callStart) / 1000;
  }

  const progress = options.progress;
  const timer =
    progress !== undefined
      ? setInterval(
          () =>
            progress(
              `  ${completed}/${options.calls} calls done, ${turns} turns, ${failed} failed RPCs`,
            ),
          5000,
        )
      : undefined;
  try {
    await Promise.all(Array.from({ length: options.calls }, (_, i) => call(i)));
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
  return {
    calls: options.calls,
    completedCalls: completed,
    rpcs,
    failedRpcs: failed,
    failures,
    turns,
    durationSeconds: Math.round((performance.now() - started) / 100) / 10,
    callSeconds: Math.round(callSeconds * 10) / 10,
    endOfInputMs: percentiles(endOfInput),
    replyMs: percentiles(reply),
  };
}
