import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createLogger, emfDocument, startEmfPublisher } from '../src';
import { captureLogs, ManualEmfClock } from '../src/testing';

const expected = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/emf-active-sessions.json'), 'utf8'),
) as Record<string, unknown>;

describe('startEmfPublisher', () => {
  it('writes one EMF line per interval: the AudioHook ActiveSessions contract', () => {
    const clock = new ManualEmfClock();
    const lines: string[] = [];
    let active = 3;
    const emf = startEmfPublisher({
      namespace: 'AudioHook',
      dimensions: { Service: 'audiohook-server' },
      metrics: { ActiveSessions: 'Count' },
      read: () => ({ ActiveSessions: active }),
      intervalMs: 60_000,
      write: (line) => lines.push(line),
      clock,
    });
    expect([...clock.intervals.values()].map((i) => i.ms)).toEqual([60_000]);
    expect(lines).toEqual([]);
    clock.nowMs = 1_700_000_000_000 - 60_000;
    clock.tick(60_000);
    expect(lines).toHaveLength(1);
    expect(lines[0]).not.toContain('\n');
    expect(JSON.parse(lines[0] ?? '')).toEqual(expected);
    active = 0;
    clock.tick(60_000);
    expect(JSON.parse(lines[1] ?? '')).toMatchObject({
      _aws: { Timestamp: 1_700_000_060_000 },
      ActiveSessions: 0,
    });
    emf.stop();
    emf.stop();
    expect(clock.intervals.size).toBe(0);
  });

  it('leaves out non-finite values and survives a failing read, logging it', () => {
    const logs = captureLogs();
    const clock = new ManualEmfClock();
    const lines: string[] = [];
    let fail = false;
    const emf = startEmfPublisher({
      namespace: 'AudioHook',
      dimensions: { Service: 's' },
      metrics: { A: 'Count', B: 'Milliseconds' },
      read: () => {
        if (fail) throw new Error('gateway gone');
        return { A: Number.NaN, B: 12 };
      },
      intervalMs: 1000,
      write: (line) => lines.push(line),
      clock,
      logger: createLogger({ service: 's', destination: logs.destination }),
    });
    emf.publish();
    const doc = JSON.parse(lines[0] ?? '') as { _aws: { CloudWatchMetrics: unknown[] } };
    expect(doc).not.toHaveProperty('A');
    expect(doc._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'AudioHook',
        Dimensions: [['Service']],
        Metrics: [{ Name: 'B', Unit: 'Milliseconds' }],
      },
    ]);
    fail = true;
    clock.tick(1000);
    expect(lines).toHaveLength(1);
    expect(logs.find('EMF document not written')[0]).toMatchObject({ err: 'gateway gone' });
    emf.stop();
  });

  it('rejects names, dimensions and intervals CloudWatch would not accept', () => {
    const base = {
      namespace: 'AudioHook',
      dimensions: { Service: 'audiohook-server' },
      metrics: { ActiveSessions: 'Count' as const },
      read: () => ({ ActiveSessions: 1 }),
      intervalMs: 60_000,
      clock: new ManualEmfClock(),
    };
    const bad = [
      { namespace: '' },
      { namespace: ':AudioHook' },
      { dimensions: { Service: '' } },
      { dimensions: { Service: 'caf\u00e9' } },
      { dimensions: Object.fromEntries(Array.from({ length: 31 }, (_, i) => [`D${i}`, 'x'])) },
      { metrics: {} },
      { metrics: { Service: 'Count' } },
      { intervalMs: 10 },
    ];
    for (const change of bad) {
      expect(() => startEmfPublisher({ ...base, ...change } as typeof base)).toThrow(
        expect.objectContaining({ code: 'SVC_ERR_TELEMETRY' }) as unknown as Error,
      );
    }
  });

  it('rejects an interval a Node.js timer cannot keep (over 2^31-1 ms) instead of writing every millisecond', () => {
    for (const intervalMs of [2_592_000_000, 2 ** 31, Infinity, Number.NaN]) {
      expect(() =>
        startEmfPublisher({
          namespace: 'AudioHook',
          dimensions: { Service: 'audiohook-server' },
          metrics: { ActiveSessions: 'Count' },
          read: () => ({ ActiveSessions: 1 }),
          intervalMs,
          write: () => undefined,
        }),
      ).toThrow(
        expect.objectContaining({
          name: 'ServiceKitError',
          code: 'SVC_ERR_TELEMETRY',
          message: expect.stringContaining('intervalMs') as unknown as string,
        }) as unknown as Error,
      );
    }
  });

  it('writes no document before the interval when it is the longest a timer keeps (real timers)', async () => {
    const lines: string[] = [];
    const emf = startEmfPublisher({
      namespace: 'AudioHook',
      dimensions: { Service: 'audiohook-server' },
      metrics: { ActiveSessions: 'Count' },
      read: () => ({ ActiveSessions: 1 }),
      intervalMs: 2_147_483_647,
      write: (line) => lines.push(line),
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    emf.stop();
    expect(lines).toEqual([]);
  });

  it('builds the document from emfDocument alone', () => {
    expect(
      emfDocument(
        {
          namespace: 'AudioHook',
          dimensions: { Service: 'audiohook-server' },
          metrics: { ActiveSessions: 'Count' },
        },
        { ActiveSessions: 3 },
        1_700_000_000_000,
      ),
    ).toEqual(expected);
  });

  it('writes to stdout by default', () => {
    const writes: string[] = [];
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      writes.push(String(chunk));
      return true;
    });
    const emf = startEmfPublisher({
      namespace: 'AudioHook',
      dimensions: { Service: 's' },
      metrics: { ActiveSessions: 'Count' },
      read: () => ({ ActiveSessions: 1 }),
      intervalMs: 60_000,
    });
    emf.publish();
    emf.stop();
    spy.mockRestore();
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatch(/^\{"_aws":.*"ActiveSessions":1\}\n$/);
  });
});
