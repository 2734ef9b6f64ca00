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
