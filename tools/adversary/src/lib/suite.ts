// Runs groups of attacks: each group starts its service (a real process on loopback), warms it
// up, takes the baseline, then runs its attacks one after another, checking the service after
// each. Every row of the report says what was expected, what was observed, and pass or fail.

import { checkAfter, takeBaseline, type Baseline, type Service } from './checks';
import type { Mode } from './modes';
import { cycle } from './util';

/** What an attack saw. `ok` covers the attack's own expectations (answers, files on disk). */
export interface Verdict {
  readonly ok: boolean;
  readonly observed: string;
}

export interface Attack<S extends Service> {
  readonly name: string;
  readonly expected: string;
  run(service: S, mode: Mode): Promise<Verdict>;
  /** `none`: the attack stops the service by design (a drain), so nothing is checked after. */
  readonly after?: 'check' | 'none';
}

export interface Group<S extends Service> {
  readonly name: string;
  /** Starts the service and warms it up. */
  start(mode: Mode): Promise<S>;
  /** Stops the service and everything the group started (also after a failure). */
  stop(service: S): Promise<void>;
  readonly attacks: readonly Attack<S>[];
}

export interface Row {
  readonly group: string;
  readonly attack: string;
  readonly expected: string;
  readonly observed: string;
  readonly health: string;
  readonly rss: string;
  readonly heap: string;
  readonly metrics: string;
  readonly fds: string;
  readonly pass: boolean;
  readonly seconds: number;
}

export interface SuiteReport {
  readonly mode: Mode['name'];
  readonly rows: readonly Row[];
  readonly seconds: number;
  readonly passed: number;
  readonly failed: number;
}

/** Any thrown value as one line. */
export function describe(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0]?.slice(0, 300) ?? '';
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function runAttack<S extends Service>(
  group: string,
  attack: Attack<S>,
  service: S,
  baseline: Baseline,
  mode: Mode,
  log: (line: string) => void,
): Promise<Row> {
  const started = performance.now();
  const limit = mode.name === 'short' ? 60_000 : 600_000;
  const verdict = await withTimeout(attack.run(service, mode), limit, attack.name).catch(
    (error: unknown): Verdict => ({ ok: false, observed: `attack failed: ${describe(error)}` }),
  );
  const none = {
    ok: true,
    health: 'n/a',
    rss: 'n/a',
    heap: 'n/a',
    metrics: 'n/a',
    fds: 'n/a',
    failures: [],
  };
  const checks =
    attack.after === 'none'
      ? none
      : await checkAfter(service, baseline, mode.settleMs).catch((error: unknown) => ({
          ...none,
          ok: false,
          health: '✗',
          failures: [`checks failed: ${describe(error)}`],
        }));
  const observed = [verdict.observed, ...checks.failures].join('; ');
  const row: Row = {
    group,
    attack: attack.name,
    expected: attack.expected,
    observed,
    health: checks.health,
    rss: checks.rss,
    heap: checks.heap,
    metrics: checks.metrics,
    fds: checks.fds,
    pass: verdict.ok && checks.ok,
    seconds: Math.round((performance.now() - started) / 100) / 10,
  };
  log(`${row.pass ? 'PASS' : 'FAIL'} ${group}: ${attack.name} (${row.seconds} s): ${observed}`);
  return row;
}

/** Runs one group: start, baseline, every attack, stop. */
export async function runGroup<S extends Service>(
  group: Group<S>,
  mode: Mode,
  log: (line: string) => void,
): Promise<Row[]> {
  const rows: Row[] = [];
  const started = performance.now();
  let service: S | undefined;
  try {
    service = await group.start(mode);
    const baseline = await takeBaseline(service);
    const heap =
      baseline.heap === undefined ? '' : `, heap ${(baseline.heap / 2 ** 20).toFixed(0)} MB`;
    log(
      `${group.name}: pid ${service.pid()}, baseline RSS ${(baseline.rss / 2 ** 20).toFixed(0)} MB${heap}, ` +
        `${baseline.fds} fds, /metrics ${baseline.metricsBytes ?? '-'} bytes`,
    );
    for (const attack of group.attacks) {
      rows.push(await runAttack(group.name, attack, service, baseline, mode, log));
    }
  } catch (error) {
    rows.push({
      group: group.name,
      attack: 'start and warm-up',
      expected: 'the service starts on loopback and answers health',
      observed: describe(error),
      health: '✗',
      rss: 'n/a',
      heap: 'n/a',
      metrics: 'n/a',
      fds: 'n/a',
      pass: false,
      seconds: Math.round((performance.now() - started) / 100) / 10,
    });
    log(`FAIL ${group.name}: ${describe(error)}`);
  } finally {
    if (service !== undefined) await group.stop(service).catch(() => undefined);
  }
  return rows;
}

/**
 * Runs every group and sums up: `parallel` groups at a time (each group's attacks always run one
 * after another against its own processes); rows come in the order of `groups`.
 */
export async function runSuite(
  groups: readonly Group<Service>[],
  mode: Mode,
  log: (line: string) => void = () => undefined,
  parallel = 1,
): Promise<SuiteReport> {
  const started = performance.now();
  const results: Row[][] = groups.map(() => []);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < groups.length) {
      const index = next;
      next += 1;
      results[index] = await runGroup(cycle(groups, index), mode, log);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, parallel) }, worker));
  const rows = results.flat();
  const passed = rows.filter((row) => row.pass).length;
  return {
    mode: mode.name,
    rows,
    seconds: Math.round((performance.now() - started) / 100) / 10,
    passed,
    failed: rows.length - passed,
  };
}
