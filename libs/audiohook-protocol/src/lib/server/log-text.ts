// Client-controlled text on its way into a server session's log: cut to a fixed length, so a
// client cannot make each of its messages cost the log kilobytes.

/** Longest client-supplied string a server session writes into one log field. @internal */
export const MAX_LOGGED_TEXT = 256;

/** Longest element of a validation path (an object key may come from the client). */
const MAX_LOGGED_PATH_ELEMENT = 64;

/** Most elements of a validation path that are logged. */
const MAX_LOGGED_PATH_LENGTH = 16;

/**
 * `text` as it may be logged: unchanged up to `max` characters, else its first `max` characters
 * (never half of a surrogate pair) and how long it was.
 * @internal
 */
export function clipForLog(text: string, max: number = MAX_LOGGED_TEXT): string {
  if (text.length <= max) return text;
  const code = text.charCodeAt(max - 1);
  const end = code >= 0xd800 && code <= 0xdbff ? max - 1 : max;
  return `${text.slice(0, end)}… (${text.length} characters)`;
}

/** A validation path as it may be logged (its keys may be the client's). @internal */
export function clipPathForLog(
  path: readonly (string | number)[] | undefined,
): (string | number)[] | undefined {
  if (path === undefined) return undefined;
  return path
    .slice(0, MAX_LOGGED_PATH_LENGTH)
    .map((p) => (typeof p === 'string' ? clipForLog(p, MAX_LOGGED_PATH_ELEMENT) : p));
}
