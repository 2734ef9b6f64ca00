import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads a fixture file as bytes. */
export function fixture(...parts: string[]): Uint8Array {
  return new Uint8Array(readFileSync(join(__dirname, 'fixtures', ...parts)));
}

/** Matches an AudioError with the given code. */
export function audioError(code: string): unknown {
  return expect.objectContaining({ name: 'AudioError', code });
}
