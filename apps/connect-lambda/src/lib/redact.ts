/** Keys whose values never reach a log line. */
const SECRET_KEY = /secret|password|passwd|token|api[-_]?key|authorization|credential|cookie/i;

/** Marker that replaces a secret value. */
export const REDACTED = '[REDACTED]';

/** Whether a key names a secret (client secrets, API keys, tokens, Authorization headers). */
export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A deep copy of `value` with the value of every secret-named key replaced by `[REDACTED]`. Used
 * for the event and payloads in DEBUG lines, and as the logger's JSON replacer so no other line can
 * leak one either.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object' || depth > 32) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    out[key] =
      isSecretKey(key) && item !== '' && item !== null ? REDACTED : redact(item, depth + 1);
  }
  return out;
}
