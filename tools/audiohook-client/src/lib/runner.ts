// Runs one session or many (load mode): staggered starts, a progress line, and the summary with
// sessions ok/failed, open-latency and ping-RTT percentiles.

import { randomUUID } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { wavMediaSource, type AudioHookLogger, type MediaSource } from '@org/audiohook-protocol';
import { toneSource, wavFileSource } from './audio-input';
import type { ClientOptions } from './options';
import { runSession, type SessionRun } from './session-run';
import { formatPercentiles, summarize, type Percentiles } from './stats';

/** What a run prints at the end (and returns). */
export interface RunSummary {
  readonly sessions: number;
  readonly ok: number;
  readonly failed: number;
  /** Failure reasons with their counts. */
  readonly failures: Readonly<Record<string, number>>;
  readonly openLatencyMs: Percentiles;
  readonly rttMs: Percentiles;
  readonly audioSeconds: number;
  readonly entities: number;
  readonly elapsedSeconds: number;
}

export interface RunIo {
  /** Where the progress line and notes go (stderr). */
  readonly progress: NodeJS.WritableStream & { isTTY?: boolean };
  readonly logger: (sessionId: string) => AudioHookLogger;
  /** Aborting closes every session properly. */
  readonly signal: AbortSignal;
  /** Random in [0, 1), for start jitter. @default Math.random */
  readonly random?: () => number;
}

/** Makes each session's audio source: the WAV file (converted once) or the tone. */
async function mediaFactory(
  options: ClientOptions,
  io: RunIo,
): Promise<() => MediaSource | undefined> {
  if (options.wavFile !== undefined) {
    const { conversion } = await wavFileSource(options.wavFile);
    const { source } = conversion;
    io.progress.write(
      `wav: ${source.encoding} ${source.sampleRate} Hz, ${source.channels} channel(s), ${source.seconds.toFixed(2)} s` +
        `${conversion.converted ? ' → PCMU 8000 Hz' : ''}\n`,
    );
    return () => wavMediaSource(conversion.wav);
  }
  if (options.connectionProbe && options.maxStreamDurationMs === undefined) {
    return () => toneSource(undefined);
  }
  return () => toneSource(options.maxStreamDurationMs);
}

/**
 * @example
 * ```ts
 * const summary = await runClient(parseOptions(argv)!, { progress: process.stderr, logger, signal });
 * ```
 */
export async function runClient(options: ClientOptions, io: RunIo): Promise<RunSummary> {
  const started = performance.now();
  const organizationId = options.orgId ?? randomUUID();
  const makeMedia = await mediaFactory(options, io);

  // Every session (and every pending start) listens to the one abort signal.
  setMaxListeners(options.sessionCount * 2 + 10, io.signal);
  const runs: SessionRun[] = [];
  let startedCount = 0;
  let openCount = 0;
  const count = options.sessionCount;
  const spreadMs = count > 1 ? (count / options.connectionRate) * 1000 : 0;
  const random = io.random ?? Math.random;
  const tty = io.progress.isTTY === true;
  const progressLine = () => {
    const done = runs.length;
    const ok = runs.filter((r) => r.ok).length;
    return `sessions ${startedCount}/${count} started, ${openCount - done} open, ${done} done (${ok} ok, ${done - ok} failed)`;
  };
  let lastPrinted = 0;
  const ticker =
    count > 1
      ? setInterval(() => {
          if (tty) io.progress.write(`\r${progressLine()}\u001b[K`);
          else if (performance.now() - lastPrinted >= 5000) {
            lastPrinted = performance.now();
            io.progress.write(`${progressLine()}\n`);
          }
        }, 1000)
      : undefined;

  const delays = Array.from({ length: count }, () => (count > 1 ? random() * spreadMs : 0)).sort(
    (a, b) => a - b,
  );
  await Promise.all(
    delays.map(async (delay) => {
      if (delay > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, delay);
          io.signal.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              resolve();
            },
            { once: true },
          );
        });
      }
      if (io.signal.aborted) return;
      startedCount++;
      const sessionId = randomUUID();
      // One id end to end: the header, the protocol session and every log line of the session.
      const run = await runSession({
        options,
        sessionId,
        organizationId,
        media: makeMedia(),
        logger: io.logger(sessionId),
        signal: io.signal,
        onOpened: () => openCount++,
      });
      runs.push(run);
    }),
  );
  if (ticker !== undefined) {
    clearInterval(ticker);
    io.progress.write(tty ? `\r${progressLine()}\u001b[K\n` : `${progressLine()}\n`);
  }
  return summarizeRuns(runs, performance.now() - started);
}

/** The summary of finished runs. */
function summarizeRuns(runs: readonly SessionRun[], elapsedMs: number): RunSummary {
  const failures: Record<string, number> = {};
  for (const run of runs) {
    if (run.failure !== undefined) failures[run.failure] = (failures[run.failure] ?? 0) + 1;
  }
  return {
    sessions: runs.length,
    ok: runs.filter((r) => r.ok).length,
    failed: runs.filter((r) => !r.ok).length,
    failures,
    openLatencyMs: summarize(
      runs.map((r) => r.openLatencyMs).filter((v): v is number => v !== undefined),
    ),
    rttMs: summarize(runs.flatMap((r) => r.rttsMs)),
    audioSeconds:
      Math.round(runs.reduce((sum, r) => sum + (r.result?.position ?? 0), 0) / 1e8) / 10,
    entities: runs.reduce((sum, r) => sum + r.entities, 0),
    elapsedSeconds: Math.round(elapsedMs / 100) / 10,
  };
}

/** The human-readable summary. */
export function formatSummary(summary: RunSummary): string {
  const lines = [
    `sessions: ${summary.sessions} (${summary.ok} ok, ${summary.failed} failed) in ${summary.elapsedSeconds} s`,
    formatPercentiles('open latency', summary.openLatencyMs),
    formatPercentiles('ping RTT', summary.rttMs),
    `stream time: ${summary.audioSeconds} s, event entities received: ${summary.entities}`,
  ];
  for (const [reason, n] of Object.entries(summary.failures)) lines.push(`failed ×${n}: ${reason}`);
  return lines.join('\n');
}
