// The suite's report as a Markdown table (pasteable into the README and into issues).

import type { SuiteReport } from './suite';

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ').trim();
}

/**
 * One row per attack: group, attack, expected, observed, the after-checks (health, RSS and heap
 * after a full GC in MB baseline→after, /metrics size, open fds baseline→after), seconds, result.
 */
export function renderTable(report: SuiteReport): string {
  const header = [
    'service',
    'attack',
    'expected',
    'observed',
    'health (≤ 200 ms)',
    'RSS MB',
    'heap MB',
    '/metrics',
    'fds',
    's',
    'result',
  ];
  const lines = [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...report.rows.map(
      (row) =>
        `| ${[
          row.group,
          row.attack,
          row.expected,
          row.observed,
          row.health,
          row.rss,
          row.heap,
          row.metrics,
          row.fds,
          String(row.seconds),
          row.pass ? 'pass' : '**FAIL**',
        ]
          .map(cell)
          .join(' | ')} |`,
    ),
  ];
  return lines.join('\n');
}

/** The line under the table. */
export function renderSummary(report: SuiteReport): string {
  return (
    `${report.mode} mode: ${report.rows.length} attacks, ${report.passed} passed, ` +
    `${report.failed} failed, ${report.seconds} s`
  );
}
