// The event collector under attack: the built bundle, logging in to the hostile Genesys (which
// relays to the collector's own fake of Genesys Cloud, run from its test folder with tsx: tools
// may not import an app's code), writing small rotating JSONL files into a temporary folder.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Probe, Service } from '../checks';
import {
  built,
  type Child,
  removeTemporary,
  startChild,
  startTsx,
  temporaryDir,
} from '../children';
import { eventually, httpGet, httpPostJson, sleep } from '../proc';
import { HostileGenesys } from './hostile-genesys';
import { captured } from '../util';

const COLLECTOR_MAIN = 'apps/event-collector/main.js';
const FAKES = 'apps/event-collector/test/fakes/run-fakes.ts';
const OUTPUT = 'audiohook_events.jsonl';
/** Backups kept; the file sizes used keep every event of a run within them. */
export const BACKUP_COUNT = 1000;
/** File size until the rotation attack: few rotations (each renames every backup). */
export const LARGE_FILES = 256 * 1024;

/** The conversation id the fake gives event `n` (its `audioHookBody`). */
export function conversationOf(n: number): string {
  return `34c18827-77a6-4970-ad66-${String(n).padStart(12, '0')}`;
}

export class CollectorService implements Service {
  readonly name = 'event-collector';
  collector: Child | undefined;
  port = 0;
  /** The next event number not yet published (each attack publishes a fresh range). */
  next = 0;
  /** Every range published so far: all of it must stay on disk. */
  readonly published: { start: number; count: number }[] = [];

  constructor(
    readonly fake: Child,
    readonly fakeUrl: string,
    readonly genesys: HostileGenesys,
    readonly dir: string,
    readonly maxFileSize: number,
  ) {}

  pid(): number {
    return this.collector?.pid ?? -1;
  }

  get output(): string {
    return join(this.dir, OUTPUT);
  }

  async probe(): Promise<Probe> {
    const answer = await httpGet(`http://127.0.0.1:${this.port}/health`);
    return {
      healthy: answer.status === 200,
      ms: answer.ms,
      detail: `HTTP ${answer.status} ${answer.body.slice(0, 120)}`,
    };
  }

  async collectGarbage(): Promise<number | undefined> {
    return this.collector?.collectGarbage();
  }

  async metrics(): Promise<string> {
    return (await httpGet(`http://127.0.0.1:${this.port}/metrics`)).body;
  }

  /** Starts (or restarts) the collector process and waits until it receives. */
  async startCollector(maxFileSize = this.maxFileSize): Promise<Child> {
    const collector = launchCollector(this.genesys.url, this.dir, maxFileSize);
    this.collector = collector;
    const match = await collector.waitFor(/"port":(\d+)[^\n]*status server listening/, 30_000);
    this.port = Number(match[1]);
    const receiving = await eventually(async () => (await this.probe()).healthy, 30_000, 100);
    if (!receiving) throw new Error(`the collector never started receiving:\n${collector.tail()}`);
    return collector;
  }

  /**
   * Restarts the collector if it died (so one crash does not fail every later attack); returns
   * the crash's first error line, or `undefined` when it was running.
   */
  async restartIfCrashed(): Promise<string | undefined> {
    const collector = this.collector;
    if (collector === undefined || collector.running) return undefined;
    const { code, signal } = await collector.exited;
    const error = /^(\w*Error[^\n]*)$/m.exec(collector.output())?.[1] ?? 'no error line';
    await this.startCollector();
    return `the collector died (exit ${code ?? signal}: ${error}) and was restarted`;
  }

  /** Publishes `count` new events through Genesys; resolves with their numbers' range. */
  async publish(count: number): Promise<{ start: number; count: number }> {
    const start = this.next;
    this.next += count;
    this.published.push({ start, count });
    const answer = await httpPostJson(`${this.fakeUrl}/__fake/publish-many`, { count, start });
    if (answer.status !== 200) throw new Error(`publish-many answered ${answer.status}`);
    return { start, count };
  }
}

function launchCollector(genesysUrl: string, dir: string, maxFileSize: number): Child {
  return startChild('event-collector', process.execPath, [built(COLLECTOR_MAIN)], {
    env: {
      GENESYS_CLIENT_ID: 'client-id',
      GENESYS_CLIENT_SECRET: 'client-secret',
      GENESYS_LOGIN_BASE_URL: genesysUrl,
      GENESYS_API_BASE_URL: genesysUrl,
      OUTPUT_FILE: join(dir, OUTPUT),
      MAX_FILE_SIZE: String(maxFileSize),
      BACKUP_COUNT: String(BACKUP_COUNT),
      TOPICS_FILE: '',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      CONSOLE_OUTPUT: 'false',
      LOG_LEVEL: 'info',
      RECONNECT_DELAY: '0.1',
      BACKFILL_MARGIN_S: '1',
      MIN_CHANNEL_CREATE_INTERVAL_S: '0',
      HEARTBEAT_TIMEOUT_MS: '15000',
      CHECKPOINT_INTERVAL_MS: '200',
    },
    inspect: true,
  });
}

export async function startCollectorGroup(): Promise<CollectorService> {
  const dir = await temporaryDir('adversary-collector-');
  const fake = startTsx('fake-genesys', FAKES, 'apps/event-collector/tsconfig.json', {
    env: {
      FAKE_GENESYS_PORT: '0',
      FAKE_ELASTIC_PORT: '0',
      FAKE_PUBLISH_EVERY_MS: '0',
      FAKE_HEARTBEAT_MS: '2000',
    },
  });
  let genesys: HostileGenesys | undefined;
  try {
    const fakeUrl = captured(
      await fake.waitFor(/fake Genesys on (http:\/\/127\.0\.0\.1:\d+)/, 60_000),
    );
    genesys = await new HostileGenesys(fakeUrl).start();
    const service = new CollectorService(fake, fakeUrl, genesys, dir, LARGE_FILES);
    await service.startCollector().catch(async (error: unknown) => {
      await service.collector?.stop(2000);
      throw error;
    });
    const warm = await service.publish(20);
    await waitForEvents(service, warm.start, warm.count, 20_000);
    return service;
  } catch (error) {
    await fake.stop(2000);
    await genesys?.stop();
    await removeTemporary(dir);
    throw error;
  }
}

export async function stopCollectorGroup(service: CollectorService): Promise<void> {
  await service.collector?.stop(15_000);
  await service.genesys.stop();
  await service.fake.stop(5000);
  await removeTemporary(service.dir);
}

/** What the collector wrote, read back from every file. */
export interface OutputAudit {
  readonly files: number;
  readonly lines: number;
  readonly unparsable: number;
  /** Rotated file numbers missing below the highest one present. */
  readonly gaps: readonly number[];
  readonly counts: ReadonlyMap<string, number>;
}

/** Names, inodes and sizes of the output files: equal twice means nothing rotated in between. */
async function snapshot(dir: string): Promise<string> {
  const names = (await readdir(dir)).filter(
    (n) => n === OUTPUT || /^audiohook_events\.jsonl\.\d+$/.test(n),
  );
  const parts = await Promise.all(
    names.sort().map(async (n) => {
      const s = await stat(join(dir, n)).catch(() => undefined);
      return `${n}:${s?.ino ?? '-'}:${s?.size ?? '-'}`;
    }),
  );
  return parts.join('|');
}

/**
 * Reads every output file back. The collector may rotate meanwhile (renaming every backup), so
 * the read is repeated until the files did not change while they were read.
 */
export async function auditOutput(dir: string): Promise<OutputAudit> {
  for (let attempt = 0; ; attempt += 1) {
    const before = await snapshot(dir);
    const audit = await readOutput(dir).catch(() => undefined);
    if (audit !== undefined && (before === (await snapshot(dir)) || attempt >= 50)) return audit;
    await sleep(20);
  }
}

async function readOutput(dir: string): Promise<OutputAudit> {
  const names = (await readdir(dir)).filter(
    (n) => n === OUTPUT || /^audiohook_events\.jsonl\.\d+$/.test(n),
  );
  const numbers = names.map((n) => Number(n.slice(OUTPUT.length + 1))).filter((n) => n > 0);
  const highest = Math.max(0, ...numbers);
  const present = new Set(numbers);
  const gaps: number[] = [];
  for (let i = 1; i < highest; i += 1) if (!present.has(i)) gaps.push(i);
  const counts = new Map<string, number>();
  let lines = 0;
  let unparsable = 0;
  for (const name of names) {
    for (const line of (await readFile(join(dir, name), 'utf8')).split('\n')) {
      if (line === '') continue;
      lines += 1;
      try {
        const id = String((JSON.parse(line) as { conversation_id?: unknown }).conversation_id);
        counts.set(id, (counts.get(id) ?? 0) + 1);
      } catch {
        unparsable += 1;
      }
    }
  }
  return { files: names.length, lines, unparsable, gaps, counts };
}

/** Events of `[start, start + count)` missing from and duplicated in the output. */
export function tally(
  audit: OutputAudit,
  start: number,
  count: number,
): { missing: number; duplicated: number } {
  let missing = 0;
  let duplicated = 0;
  for (let n = start; n < start + count; n += 1) {
    const seen = audit.counts.get(conversationOf(n)) ?? 0;
    if (seen === 0) missing += 1;
    if (seen > 1) duplicated += 1;
  }
  return { missing, duplicated };
}

/** Waits until every event of the ranges is on disk (or `timeoutMs`); returns the last audit. */
export async function waitForRanges(
  service: CollectorService,
  ranges: readonly { start: number; count: number }[],
  timeoutMs: number,
): Promise<OutputAudit> {
  let audit = await auditOutput(service.dir);
  await eventually(
    async () => {
      audit = await auditOutput(service.dir);
      // A dead collector writes nothing more: stop waiting.
      if (service.collector?.running === false) return true;
      return ranges.every((r) => tally(audit, r.start, r.count).missing === 0);
    },
    timeoutMs,
    250,
  );
  return audit;
}

/** Waits until every event of one range is on disk (or `timeoutMs`). */
export function waitForEvents(
  service: CollectorService,
  start: number,
  count: number,
  timeoutMs: number,
): Promise<OutputAudit> {
  return waitForRanges(service, [{ start, count }], timeoutMs);
}
