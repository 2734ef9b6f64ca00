import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LOCAL_AWS_ENV, startLocalDynamo } from './lib/local-dynamo';
import {
  auditOutput,
  getJson,
  startCollector,
  startFakeGenesys,
  stopProcess,
  waitHealth,
} from './lib/processes';

export interface FailoverOptions {
  /** Events the fake publishes. @default 100000 */
  events: number;
  /** Kill the leader once it has written this many. @default events / 2 */
  killAfter?: number;
  /** Lease settings (`LEASE_DURATION_S`, `LEASE_RENEW_S`, `LEASE_POLL_S`); the app's defaults if absent. */
  lease?: { durationS: number; renewS: number; pollS: number };
  /** Give up after this long. @default 300000 */
  timeoutMs?: number;
}

export interface FailoverResult {
  events: number;
  /** Lines the leader had written when it was killed (as far as its last `/health` said). */
  killedAfter: number;
  linesOnDisk: number;
  lost: number;
  duplicated: number;
  files: number;
  /** From the kill -9 to the standby receiving as the new leader. */
  takeoverSeconds: number;
  /** From the kill -9 to every event on disk. */
  recoverySeconds: number;
  /** From the start of publishing to every event on disk. */
  seconds: number;
  eventsPerSecond: number;
  /** Events the new leader recovered from the history query. */
  backfilled: number;
  ok: boolean;
}

const TABLE = 'event-collector-lease';
const isLeader = (h: Record<string, unknown>): boolean =>
  h['role'] === 'leader' && h['receiving'] === true;
const written = (h: Record<string, unknown>): number =>
  Number((h['output'] as { written?: number } | undefined)?.written ?? 0);

/** Polls every collector until the lease holder has written `min` events. */
async function waitForLeader(
  collectors: Awaited<ReturnType<typeof startCollector>>[],
  min: number,
  deadline: number,
): Promise<{
  leader: Awaited<ReturnType<typeof startCollector>>;
  health: Record<string, unknown>;
}> {
  for (;;) {
    for (const c of collectors) {
      const h = await getJson(c.health).catch(() => ({}) as Record<string, unknown>);
      if (isLeader(h) && (written(h) >= min || Date.now() > deadline))
        return { leader: c, health: h };
    }
    if (Date.now() > deadline) throw new Error('no collector became the leader');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * The failover run: two collectors share one output folder and a DynamoDB lease (dynalite); the
 * fake publishes `events` as fast as it can; the leader is killed with SIGKILL mid-stream; the
 * standby must take over, backfill from the shared checkpoint, and leave every event on disk
 * exactly once.
 */
export async function runFailover(o: FailoverOptions): Promise<FailoverResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-event-collector-failover-'));
  const timeoutMs = o.timeoutMs ?? 300_000;
  const deadline = Date.now() + timeoutMs;
  const dynamo = await startLocalDynamo(TABLE);
  const { fake, base } = await startFakeGenesys();
  const started: Awaited<ReturnType<typeof startCollector>>[] = [];
  try {
    const env: Record<string, string> = {
      ...LOCAL_AWS_ENV,
      OUTPUT_FILE: join(dir, 'audiohook_events.jsonl'),
      MAX_FILE_SIZE: String(8 * 1024 * 1024),
      LEASE_TABLE: TABLE,
      LEASE_NAME: 'bench',
      DYNAMODB_ENDPOINT: dynamo.endpoint,
      ...(o.lease
        ? {
            LEASE_DURATION_S: String(o.lease.durationS),
            LEASE_RENEW_S: String(o.lease.renewS),
            LEASE_POLL_S: String(o.lease.pollS),
          }
        : {}),
    };
    const first = await startCollector(base, env);
    started.push(first);
    await waitHealth(first.health, isLeader, deadline);
    const second = await startCollector(base, env);
    started.push(second);
    await waitHealth(second.health, (h) => h['role'] === 'standby', deadline);

    const t0 = Date.now();
    const publishing = getJson(`${base}/__fake/publish-many`, {
      method: 'POST',
      timeoutMs,
      body: JSON.stringify({ count: o.events }),
    });
    // Whichever holds the lease once it has written `killAfter` events is killed.
    const killAfter = o.killAfter ?? Math.floor(o.events / 2);
    const { leader, health: atKill } = await waitForLeader(started, killAfter, deadline);
    await stopProcess(leader.child, true);
    const killedAt = Date.now();
    const standby = started.find((c) => c !== leader) ?? second;
    await waitHealth(standby.health, isLeader, deadline);
    const takeoverSeconds = (Date.now() - killedAt) / 1000;
    await publishing;
    const h = await waitHealth(
      standby.health,
      (x) => {
        const b = x['backfill'] as { pendingGaps?: number; lastGap?: unknown } | undefined;
        return b?.pendingGaps === 0 && b.lastGap !== undefined;
      },
      deadline,
    );
    let audit = auditOutput(dir, o.events);
    while (audit.missing > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 500));
      audit = auditOutput(dir, o.events);
    }
    const doneAt = Date.now();
    const counters = (h['counters'] ?? {}) as Record<string, number>;
    await stopProcess(standby.child);
    return {
      events: o.events,
      killedAfter: written(atKill),
      linesOnDisk: audit.lines,
      lost: audit.missing,
      duplicated: audit.duplicated,
      files: audit.files,
      takeoverSeconds,
      recoverySeconds: (doneAt - killedAt) / 1000,
      seconds: (doneAt - t0) / 1000,
      eventsPerSecond: Math.round(o.events / ((doneAt - t0) / 1000)),
      backfilled: counters['events_backfilled'] ?? 0,
      ok: audit.missing === 0 && audit.duplicated === 0 && audit.lines === o.events,
    };
  } finally {
    for (const c of started) await stopProcess(c.child);
    await stopProcess(fake);
    await dynamo.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
