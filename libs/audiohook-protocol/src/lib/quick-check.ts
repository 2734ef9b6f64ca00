// Hand-written checks of the shapes every message repeats (the envelope, the parameters of
// `ping`), tried before the zod schemas. They only ever say "valid, and here is what zod would
// have returned" or "ask zod": anything unusual falls through to the schema, which stays the one
// definition of what is valid and the one source of error issues. Why: a server sees these
// shapes thousands of times a second, interleaved across sessions, and the generic schema walk
// cost about 45 µs per ping there against about 2 µs for these lines (issue 18).

import { isDuration } from './duration';
import { PROTOCOL_VERSION, STRICT_UUID_PATTERN, UUID_PATTERN } from './schemas';

type Json = Record<string, unknown>;

function isPlainObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * The envelope fields zod keeps (unknown ones are dropped), when each is plainly valid;
 * `undefined` when the schema must decide. @internal
 */
export function quickEnvelope(
  value: unknown,
  direction: 'client' | 'server',
  strict: boolean,
): Json | undefined {
  if (!isPlainObject(value)) return undefined;
  const { version, id, type, seq, parameters } = value;
  if (
    version !== PROTOCOL_VERSION ||
    typeof id !== 'string' ||
    !(strict ? STRICT_UUID_PATTERN : UUID_PATTERN).test(id) ||
    typeof type !== 'string' ||
    type.length === 0 ||
    !isCount(seq) ||
    !isPlainObject(parameters) ||
    // A "__proto__" key takes the schema's path, which copies records without it.
    Object.hasOwn(parameters, '__proto__')
  ) {
    return undefined;
  }
  if (direction === 'client') {
    const { serverseq, position } = value;
    if (!isCount(serverseq) || !isDuration(position)) return undefined;
    return { version, id, type, seq, serverseq, position, parameters: { ...parameters } };
  }
  const { clientseq } = value;
  if (!isCount(clientseq)) return undefined;
  return { version, id, type, seq, clientseq, parameters: { ...parameters } };
}

/**
 * The parameters of a client `ping` (`{}` or `{ rtt }`) when they are exactly that;
 * `undefined` when the schema must decide. @internal
 */
export function quickPingParameters(parameters: unknown): Json | undefined {
  if (!isPlainObject(parameters)) return undefined;
  const keys = Object.keys(parameters);
  if (keys.length === 0) return {};
  const { rtt } = parameters;
  return keys.length === 1 && keys[0] === 'rtt' && isDuration(rtt) ? { rtt } : undefined;
}
