import { join } from 'node:path';
import {
  captureLogs,
  cpuDelta,
  cpuSeconds,
  cpuSplit,
  documentedErrorCodes,
  rssBytes,
} from '../src/testing';

describe('documentedErrorCodes', () => {
  it('reads the first column of the table under the "Error codes" heading', () => {
    expect(documentedErrorCodes(join(__dirname, 'fixtures/readme-with-codes.md'))).toEqual([
      'DEMO_ERR_ONE',
      'DEMO_ERR_TWO',
      'DEMO_ERR_THREE',
    ]);
  });

  it('fails clearly when the README has no such heading', () => {
    expect(() => documentedErrorCodes(join(__dirname, 'fixtures/sample.env'))).toThrow(
      /has no "Error codes" heading/,
    );
  });
});

describe('captureLogs', () => {
  it('parses every line written, and clears', () => {
    const logs = captureLogs();
    logs.destination.write('{"level":"info","time":"t","msg":"a"}\n');
    logs.destination.write(
      '{"level":"warn","time":"t","msg":"b"}\n{"level":"info","time":"t","msg":"a"}\n',
    );
    expect(logs.lines.map((l) => l.msg)).toEqual(['a', 'b', 'a']);
    expect(logs.find('a')).toHaveLength(2);
    expect(logs.text().split('\n')).toHaveLength(4);
    logs.clear();
    expect([logs.lines.length, logs.text()]).toEqual([0, '']);
  });
});

describe('process stats from /proc', () => {
  it('reads the CPU seconds, the main thread split and the RSS of a process', async () => {
    const start = await cpuSplit(process.pid);
    let spin = 0;
    for (const until = Date.now() + 50; Date.now() < until;) spin += 1;
    const delta = cpuDelta(start, await cpuSplit(process.pid));
    expect(spin).toBeGreaterThan(0);
    // The process and its main thread are two reads, a clock tick (10 ms) apart at most.
    expect(delta.total).toBeGreaterThanOrEqual(delta.mainUser + delta.mainSystem - 0.02);
    expect(await cpuSeconds(process.pid)).toBeGreaterThanOrEqual(start.total);
    const rss = await rssBytes(process.pid);
    expect(rss).toBeGreaterThan(0);
    expect(Math.abs(rss - process.memoryUsage().rss)).toBeLessThan(64 * 2 ** 20);
  });

  it('fails for a process that does not exist', async () => {
    await expect(rssBytes(2 ** 22 + 1)).rejects.toThrow();
  });
});
