// The suite's own parts that need no running service: options, bounds, report, and the readers of
// what the services wrote.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { metricsBound, rssBound, RSS_SLACK_BYTES } from '../src/lib/checks';
import { parseArgs } from '../src/lib/cli';
import { auditOutput, conversationOf, tally } from '../src/lib/collector/collector';
import { LONG, SHORT } from '../src/lib/modes';
import { renderTable } from '../src/lib/report';
import type { Row, SuiteReport } from '../src/lib/suite';
import { gauge } from '../src/lib/util';

const fixtures = join(__dirname, 'fixtures');

describe('command line', () => {
  it('defaults to the short mode, every group, two groups at a time', () => {
    const options = parseArgs([]);
    expect(options).toMatchObject({ mode: SHORT, parallel: 2, help: false });
    expect(typeof options !== 'string' && options.groups.map((g) => g.name)).toEqual([
      'audiohook-server',
      'byova-gateway',
      'event-collector',
      'connect-lambda',
      'chime-recorder-lambda',
    ]);
  });

  it('selects the long mode, groups, a dist folder and a JSON report', () => {
    const options = parseArgs([
      '--long',
      '--only=byova-gateway',
      '--dist',
      '/tmp/d',
      '--json',
      'r.json',
    ]);
    expect(options).toMatchObject({ mode: LONG, dist: '/tmp/d', json: 'r.json' });
    expect(typeof options !== 'string' && options.groups.map((g) => g.name)).toEqual([
      'byova-gateway',
    ]);
  });

  it('refuses unknown arguments, unknown groups and a bad parallelism', () => {
    expect(parseArgs(['--fast'])).toBe('unknown argument: --fast');
    expect(parseArgs(['--only', 'kafka'])).toBe('unknown group: kafka');
    expect(parseArgs(['--parallel', '0'])).toMatch(/--parallel/);
  });
});

describe('bounds after an attack', () => {
  it('allows RSS twice the baseline plus 32 MiB', () => {
    expect(rssBound({ rss: 100 * 2 ** 20, metricsBytes: undefined, fds: 20 })).toBe(
      200 * 2 ** 20 + RSS_SLACK_BYTES,
    );
  });

  it('allows /metrics a quarter more than the baseline plus 8 KiB, when there is one', () => {
    expect(metricsBound({ rss: 0, metricsBytes: 8192, fds: 0 })).toBe(18_432);
    expect(metricsBound({ rss: 0, metricsBytes: undefined, fds: 0 })).toBeUndefined();
  });
});

describe('report', () => {
  it('is a Markdown table with one row per attack, pipes escaped and failures marked', () => {
    const row: Row = {
      group: 'g',
      attack: 'a | b',
      expected: 'e',
      observed: 'o',
      health: 'ok',
      rss: '1→2',
      heap: '1→1',
      metrics: 'n/a',
      fds: '3→3',
      pass: false,
      seconds: 1.5,
    };
    const report: SuiteReport = { mode: 'short', rows: [row], seconds: 2, passed: 0, failed: 1 };
    const lines = renderTable(report).split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('| g | a \\| b | e | o | ok | 1→2 | 1→1 | n/a | 3→3 | 1.5 | **FAIL** |');
  });
});

describe('readers', () => {
  it('sums a gauge over its series, and only that gauge', () => {
    const text = readFileSync(join(fixtures, 'metrics.txt'), 'utf8');
    expect(gauge(text, 'byova_streams_active')).toBe(2);
    expect(gauge(text, 'byova_conversations_active')).toBe(4);
  });

  it('reads rotated JSONL back: gaps in the numbers, torn lines, missing and repeated events', async () => {
    const audit = await auditOutput(join(fixtures, 'collector-output'));
    expect(audit).toMatchObject({ files: 3, lines: 6, unparsable: 1, gaps: [2] });
    expect(audit.counts.get(conversationOf(2))).toBe(2);
    expect(tally(audit, 0, 5)).toEqual({ missing: 1, duplicated: 1 });
  });
});
