import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CrestaLogger } from '../../src';

/** Reads a JSON fixture from test/fixtures. */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, '..', 'fixtures', name), 'utf8')) as T;
}

export interface LogLine {
  level: 'debug' | 'info' | 'warn' | 'error';
  message: string;
  attributes: Record<string, unknown> | undefined;
}

/** A logger that keeps every line, for assertions. */
export function recordingLogger(): CrestaLogger & { lines: LogLine[] } {
  const lines: LogLine[] = [];
  const at =
    (level: LogLine['level']) =>
    (message: string, attributes?: Record<string, unknown>): void => {
      lines.push({ level, message, attributes });
    };
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

/** Catches the error of a promise, failing the test when it resolves. */
export async function rejectionOf(
  promise: Promise<unknown>,
): Promise<Error & Record<string, unknown>> {
  try {
    await promise;
  } catch (err) {
    return err as Error & Record<string, unknown>;
  }
  throw new Error('expected the promise to reject');
}
