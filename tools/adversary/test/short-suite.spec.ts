// The short mode of the adversarial suite, as `npm test` runs it: every built app started on
// loopback and attacked, every check after every attack, and no process left behind.

import { RUN_ID, RUN_ID_VARIABLE, stopAll } from '../src/lib/children';
import { GROUPS } from '../src/lib/cli';
import { KNOWN_DEFECTS, knownDefect } from '../src/lib/known-defects';
import { SHORT } from '../src/lib/modes';
import { processesMarked } from '../src/lib/proc';
import { renderSummary, renderTable } from '../src/lib/report';
import { runSuite, type SuiteReport } from '../src/lib/suite';

let report: SuiteReport;

beforeAll(async () => {
  try {
    report = await runSuite(GROUPS, SHORT, () => undefined, 2);
  } finally {
    await stopAll();
  }
  process.stdout.write(`${renderTable(report)}\n\n${renderSummary(report)}\n`);
});

afterAll(() => stopAll());

describe('the adversarial suite in its short mode', () => {
  it('runs every attack of every group and reports each once', () => {
    const expected = GROUPS.flatMap((g) => g.attacks.map((a) => `${g.name}: ${a.name}`));
    expect(report.rows.map((r) => `${r.group}: ${r.attack}`)).toEqual(expected);
  });

  it('passes every attack except those failing on a reported, open defect', () => {
    const failures = report.rows
      .filter((r) => !r.pass && knownDefect(r.group, r.attack) === undefined)
      .map((r) => `${r.group}: ${r.attack}: ${r.observed}`);
    expect(failures).toEqual([]);
  });

  it('names only attacks that exist as known defects', () => {
    const rows = new Set(report.rows.map((r) => `${r.group}: ${r.attack}`));
    expect(KNOWN_DEFECTS.map((d) => d.row).filter((row) => !rows.has(row))).toEqual([]);
  });

  it('leaves no process of the run behind', async () => {
    expect(await processesMarked(RUN_ID_VARIABLE, RUN_ID)).toEqual([]);
  });
});
