// Small helpers the attacks share.

/** `items[index % items.length]`: a round-robin pick from a non-empty list. */
export function cycle<T>(items: readonly T[], index: number): T {
  const item = items[index % items.length];
  if (item === undefined) throw new Error('cycle() over an empty list');
  return item;
}

/** Capture group `n` of a match that must have it. */
export function captured(match: RegExpExecArray, n = 1): string {
  const value = match[n];
  if (value === undefined) throw new Error(`no group ${n} in ${match[0]}`);
  return value;
}

/** A gauge's or counter's value in Prometheus text (the sum over its series). */
export function gauge(text: string, name: string): number {
  let sum = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) {
    sum += Number(match[1]);
  }
  return sum;
}
