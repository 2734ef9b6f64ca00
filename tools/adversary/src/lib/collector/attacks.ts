// The hostile Genesys against the event collector: malformed, duplicated and torn frames, a torn
// last line left by a crash (defect 6 of issue 15), and kill -9 while the JSONL files rotate.

import { randomBytes, randomUUID } from 'node:crypto';
import { watch } from 'node:fs';
import { appendFile, readdir, writeFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { gauge } from '../util';
import { eventually, sleep } from '../proc';
import type { Attack, Verdict } from '../suite';
import {
  auditOutput,
  tally,
  waitForEvents,
  waitForRanges,
  type CollectorService,
  type OutputAudit,
} from './collector';
import { cycle } from '../util';

function nested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Frames no Genesys should send; the collector must count them and write nothing of them. */
const MALFORMED: readonly [string, () => string | Buffer, boolean][] = [
  ['not JSON', () => '{"topicName":"v2.operations.events.AUDIOHOOK-0001","eventBody":{', false],
  ['binary', () => randomBytes(256), true],
  ['JSON array', () => '[1,2,3]', false],
  [
    'string body',
    () => '{"topicName":"v2.operations.events.AUDIOHOOK-0001","eventBody":"x"}',
    false,
  ],
  [
    'made-up topic',
    () =>
      JSON.stringify({
        topicName: `v2.operations.events.${randomUUID()}`,
        eventBody: { eventEntity: { id: randomUUID() } },
      }),
    false,
  ],
  [
    '1 MB frame',
    () => JSON.stringify({ topicName: 'v2.x', eventBody: { pad: 'p'.repeat(1 << 20) } }),
    false,
  ],
  ['empty frame', () => '', false],
  [
    'heartbeat spoof with junk',
    () =>
      JSON.stringify({ topicName: 'channel.metadata', eventBody: { message: 'x'.repeat(5000) } }),
    false,
  ],
];

function summary(audit: OutputAudit, range: { start: number; count: number }): string {
  const { missing, duplicated } = tally(audit, range.start, range.count);
  return `${range.count - missing}/${range.count} events on disk, ${missing} missing, ${duplicated} duplicated, ${audit.unparsable} unparsable lines`;
}

function clean(audit: OutputAudit, range: { start: number; count: number }): boolean {
  const { missing, duplicated } = tally(audit, range.start, range.count);
  return missing === 0 && duplicated === 0 && audit.unparsable === 0;
}

/** Waits (up to 30 s) until the collector's frame counter holds still for half a second. */
async function settled(service: CollectorService): Promise<void> {
  let last = -1;
  await eventually(
    async () => {
      const frames = gauge(await service.metrics(), 'event_collector_messages_total');
      const still = frames === last;
      last = frames;
      return still;
    },
    30_000,
    500,
  );
}

export const malformedEvents: Attack<CollectorService> = {
  name: 'malformed frames from Genesys',
  expected:
    'garbage counted and never written; every real event on disk exactly once; /metrics bounded',
  async run(service, mode) {
    const publishing = service.publish(mode.collector.events);
    for (let i = 0; i < mode.collector.malformedFrames; i += 1) {
      const [, make, binary] = cycle(MALFORMED, i);
      service.genesys.inject(make(), binary);
      if (i % 20 === 19) await sleep(5);
    }
    const range = await publishing;
    const audit = await waitForEvents(service, range.start, range.count, 20_000);
    // The last garbage frames may still be queued behind the events: the attack is over only
    // when the collector has read them all (its frame counter stops moving).
    await settled(service);
    return {
      ok: clean(audit, range),
      observed: `${mode.collector.malformedFrames} hostile frames among ${range.count} events: ${summary(audit, range)}`,
    };
  },
};

export const deepEventBody: Attack<CollectorService> = {
  name: 'deeply nested event body',
  expected:
    'a 5,000-level eventBody (25 KB) is counted as malformed or kept; the collector keeps running',
  async run(service) {
    const before = await service.publish(10);
    service.genesys.inject(`{"topicName":"v2.operations.events.X-1","eventBody":${nested(5000)}}`);
    // Events published now reach the collector after the frame on the same socket: once they
    // are on disk (or the collector died), the frame has been handled.
    const after = await service.publish(10);
    await waitForEvents(service, after.start, after.count, 20_000);
    const crash = await service.restartIfCrashed();
    const all = { start: before.start, count: before.count + after.count };
    const audit = await waitForEvents(service, all.start, all.count, 20_000);
    return {
      ok: crash === undefined && clean(audit, all),
      observed: `${crash ?? 'still running'}; ${summary(audit, all)}`,
    };
  },
};

export const duplicateEvents: Attack<CollectorService> = {
  name: 'every event delivered three times',
  expected: 'each event on disk exactly once',
  async run(service, mode) {
    service.genesys.repeat = 3;
    try {
      const range = await service.publish(mode.collector.duplicates);
      const audit = await waitForEvents(service, range.start, range.count, 20_000);
      await sleep(500); // copies arrive after the first
      const final = await auditOutput(service.dir);
      return { ok: clean(final, range) && clean(audit, range), observed: summary(final, range) };
    } finally {
      service.genesys.repeat = 1;
    }
  },
};

export const tornFrames: Attack<CollectorService> = {
  name: 'frames torn by a dropped connection',
  expected:
    'the collector reconnects and backfills: every event published around the tears on disk exactly once',
  async run(service, mode) {
    const ranges: { start: number; count: number }[] = [];
    for (let i = 0; i < mode.collector.tornConnections; i += 1) {
      const publishing = service.publish(100);
      await sleep(20);
      service.genesys.tear();
      ranges.push(await publishing);
      await sleep(200);
    }
    ranges.push(await service.publish(20));
    const start = cycle(ranges, 0).start;
    const count = ranges.reduce((sum, r) => sum + r.count, 0);
    const audit = await waitForEvents(service, start, count, 30_000);
    return {
      ok: clean(audit, { start, count }),
      observed: `${mode.collector.tornConnections} torn connections: ${summary(audit, { start, count })}`,
    };
  },
};

/** Half of a record, as a crash in the middle of a write leaves it. */
const TORN_LINE =
  '{"timestamp":"2026-01-01T00:00:00.000Z","event_type":"audiohook_operational","event_id":"AUDIO';

export const tornLastLine: Attack<CollectorService> = {
  name: 'torn last line after a crash',
  expected:
    'at start the torn line is not kept as a line of the JSONL without a warning; later events parse',
  async run(service) {
    await service.collector?.stop(15_000);
    await appendFile(service.output, TORN_LINE);
    const collector = await service.startCollector();
    const warned = collector.countFrom(
      /"level":(40|50|"warn"|"error")[^\n]*(torn|partial|incomplete|truncat|trailing)/i,
    );
    const range = await service.publish(20);
    const audit = await waitForEvents(service, range.start, range.count, 20_000);
    const earlier =
      /"level":(40|50|"warn"|"error")[^\n]*(torn|partial|incomplete|truncat|trailing)/i.test(
        collector.output(),
      );
    const kept = audit.unparsable > 0;
    const warning = earlier || warned() > 0;
    return {
      ok: !kept || warning,
      observed: `torn line ${kept ? 'kept in the JSONL' : 'not in the JSONL'}, ${warning ? 'a warning logged' : 'no warning'}; ${summary(audit, range)}`,
    };
  },
};

/** Backups a long-running collector has, added before the rotation attack. */
const OLD_BACKUPS = 400;

/** Adds `count` (empty) older backups after the highest one present. */
async function addOldBackups(output: string, count: number): Promise<void> {
  const dir = dirname(output);
  const name = basename(output);
  const numbers = (await readdir(dir))
    .filter((n) => n.startsWith(`${name}.`))
    .map((n) => Number(n.slice(name.length + 1)))
    .filter((n) => Number.isInteger(n));
  const highest = Math.max(0, ...numbers);
  for (let i = 1; i <= count; i += 1) await writeFile(`${output}.${highest + i}`, '');
}

/** Resolves `seen` with true at the first rename of a backup in `dir` (a rotation under way). */
function nextRename(dir: string, timeoutMs: number): { seen: Promise<boolean>; close(): void } {
  const watcher = watch(dir);
  let timer: NodeJS.Timeout | undefined;
  const seen = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
    watcher.on('change', (type, file) => {
      if (type === 'rename' && /\.jsonl\.\d+$/.test(String(file))) resolve(true);
    });
    watcher.on('error', () => resolve(false));
  });
  return {
    seen,
    close: () => {
      clearTimeout(timer);
      watcher.close();
    },
  };
}

export const killDuringRotation: Attack<CollectorService> = {
  name: 'kill -9 while the files rotate',
  expected:
    'backup numbers without gaps, every line parses, every event published so far on disk exactly once',
  async run(service, mode): Promise<Verdict> {
    // Lines an earlier attack left unparsable are that attack's finding, not this one's.
    const before = (await auditOutput(service.dir)).unparsable;
    // As after months of running: hundreds of backups, so each rotation renames hundreds of
    // files; and small files from now on, so a rotation comes every few events.
    await service.collector?.stop(15_000);
    await addOldBackups(service.output, OLD_BACKUPS);
    await service.startCollector(mode.collector.maxFileSize);
    let rotating = 0;
    for (let i = 0; i < mode.collector.kills; i += 1) {
      const rename = nextRename(service.dir, 5000);
      const publishing = service.publish(60);
      if (await rename.seen) rotating += 1;
      service.collector?.kill();
      rename.close();
      await service.collector?.exited;
      await publishing;
      await service.startCollector(mode.collector.maxFileSize);
    }
    await service.publish(20);
    const audit = await waitForRanges(service, service.published, 30_000);
    let missing = 0;
    let duplicated = 0;
    for (const range of service.published) {
      const t = tally(audit, range.start, range.count);
      missing += t.missing;
      duplicated += t.duplicated;
    }
    const total = service.published.reduce((sum, r) => sum + r.count, 0);
    const gaps =
      audit.gaps.length === 0 ? 'no gap' : `gaps at .${audit.gaps.slice(0, 5).join(', .')}`;
    return {
      ok:
        audit.gaps.length === 0 && audit.unparsable === before && missing === 0 && duplicated === 0,
      observed:
        `${mode.collector.kills} kills (${rotating} during a rotation); ${audit.files} files, ${gaps}, ` +
        `${audit.unparsable - before} new unparsable lines; ` +
        `of all ${total} events published in the run: ${missing} missing, ${duplicated} duplicated`,
    };
  },
};
