/**
 * The adversarial suite (issue 15): hostile clients against the built apps on loopback, a table
 * of attack, expected, observed, pass/fail, and a non-zero exit code on any failure.
 *
 *   npx nx run adversary:run              # short mode (what npm test runs)
 *   npx nx run adversary:run -- --long    # release sizes
 */
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { killChildrenOnExit, setDist, stopAll } from './lib/children';
import { parseArgs, USAGE } from './lib/cli';
import { knownDefect } from './lib/known-defects';
import { renderSummary, renderTable } from './lib/report';
import { runSuite } from './lib/suite';

async function main(): Promise<number> {
  const options = parseArgs(process.argv.slice(2));
  if (typeof options === 'string') {
    process.stderr.write(`${options}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.dist !== undefined) setDist(resolve(options.dist));
  const release = killChildrenOnExit();
  try {
    const report = await runSuite(
      options.groups,
      options.mode,
      (line) => process.stderr.write(`${line}\n`),
      options.parallel,
    );
    process.stdout.write(`\n${renderTable(report)}\n\n${renderSummary(report)}\n`);
    const known = report.rows.flatMap((row) => {
      const defect = row.pass ? undefined : knownDefect(row.group, row.attack);
      return defect === undefined ? [] : [`- ${defect.row}: ${defect.defect}`];
    });
    if (known.length > 0) {
      process.stdout.write(`\nFailures on reported, open defects:\n${known.join('\n')}\n`);
    }
    if (options.json !== undefined) {
      await writeFile(options.json, `${JSON.stringify(report, null, 2)}\n`);
    }
    return report.failed === 0 ? 0 : 1;
  } finally {
    await stopAll();
    release();
  }
}

void main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`adversary: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exitCode = 1;
  },
);
