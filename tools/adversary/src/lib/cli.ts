// Command line of the suite and the list of groups it runs.

import { audiohookGroup } from './audiohook';
import { byovaGroup } from './byova';
import { collectorGroup } from './collector';
import { chimeGroup } from './lambdas/chime';
import { connectGroup } from './lambdas/connect';
import type { Service } from './checks';
import { LONG, SHORT, type Mode } from './modes';
import type { Group } from './suite';

/** Every group, in the order they run. */
export const GROUPS: readonly Group<Service>[] = [
  audiohookGroup,
  byovaGroup,
  collectorGroup,
  connectGroup,
  chimeGroup,
];

export const USAGE = `Adversarial suite: hostile clients against the built apps on loopback.

Usage: npx nx run adversary:run [-- options]

Options:
  --long           the release sizes (default: the short mode that npm test runs)
  --only <names>   comma-separated groups: ${GROUPS.map((g) => g.name).join(', ')}
  --parallel <n>   groups run at the same time (default 2; 1 runs one service at a time)
  --dist <dir>     attack the builds in another dist folder (default: this workspace's dist)
  --json <file>    also write the report as JSON
  --help           this text

Exit code: 0 when every attack passed, 1 when any failed, 2 on bad usage.`;

export interface CliOptions {
  readonly mode: Mode;
  readonly groups: readonly Group<Service>[];
  readonly json: string | undefined;
  readonly dist: string | undefined;
  readonly parallel: number;
  readonly help: boolean;
}

/** Parses argv (without node and the script); a string is a usage error. */
export function parseArgs(argv: readonly string[]): CliOptions | string {
  let mode = SHORT;
  let only: string[] | undefined;
  let json: string | undefined;
  let parallel = 2;
  let dist: string | undefined;
  let help = false;
  const args = argv.flatMap((arg) => {
    const eq = arg.indexOf('=');
    return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg];
  });
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i];
    if (arg === '--long') mode = LONG;
    else if (arg === '--short') mode = SHORT;
    else if (arg === '--help' || arg === '-h') help = true;
    else if (arg === '--only') {
      i += 1;
      only = (args[i] ?? '').split(',').filter((name) => name !== '');
    } else if (arg === '--parallel') {
      i += 1;
      parallel = Number(args[i]);
      if (!Number.isInteger(parallel) || parallel < 1) return '--parallel needs a whole number ≥ 1';
    } else if (arg === '--dist') {
      i += 1;
      dist = args[i];
      if (dist === undefined) return '--dist needs a folder';
    } else if (arg === '--json') {
      i += 1;
      json = args[i];
      if (json === undefined) return '--json needs a file name';
    } else return `unknown argument: ${arg}`;
  }
  const unknown = (only ?? []).filter((name) => !GROUPS.some((g) => g.name === name));
  if (unknown.length > 0) return `unknown group: ${unknown.join(', ')}`;
  const groups = only === undefined ? GROUPS : GROUPS.filter((g) => only.includes(g.name));
  return { mode, groups, json, dist, parallel, help };
}
