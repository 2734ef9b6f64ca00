// A small reader of Dockerfiles for the tests that check the images' key properties (there is
// no Docker engine in CI): instructions with their continuation lines joined.

/** One Dockerfile instruction. */
export interface DockerInstruction {
  /** Upper-case keyword, e.g. `FROM`, `ENV`, `HEALTHCHECK`. */
  readonly keyword: string;
  /** The rest of the instruction, continuation lines joined with a space. */
  readonly args: string;
}

/**
 * Parses a Dockerfile into its instructions (comments and blank lines dropped).
 *
 * @example
 * ```ts
 * parseDockerfile('FROM node:24-bookworm-slim\nUSER node\n');
 * // [{ keyword: 'FROM', args: 'node:24-bookworm-slim' }, { keyword: 'USER', args: 'node' }]
 * ```
 */
export function parseDockerfile(text: string): DockerInstruction[] {
  const instructions: DockerInstruction[] = [];
  let pending = '';
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) continue;
    if (line.startsWith('#')) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1).trim()} `;
      continue;
    }
    const whole = (pending + line).trim();
    pending = '';
    const space = whole.search(/\s/);
    instructions.push({
      keyword: (space < 0 ? whole : whole.slice(0, space)).toUpperCase(),
      args: space < 0 ? '' : whole.slice(space + 1).trim(),
    });
  }
  return instructions;
}

/**
 * The variables set by the `ENV` instructions (`ENV A=1 B="x y"` form), later ones winning.
 *
 * @example
 * ```ts
 * dockerEnv(parseDockerfile('ENV PORT=8080 HOST=0.0.0.0')); // { PORT: '8080', HOST: '0.0.0.0' }
 * ```
 */
export function dockerEnv(instructions: readonly DockerInstruction[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const { keyword, args } of instructions) {
    if (keyword !== 'ENV') continue;
    for (const match of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|\S*)/g)) {
      env[match[1] ?? ''] = match[3] ?? match[2] ?? '';
    }
  }
  return env;
}
