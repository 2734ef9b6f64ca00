import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Reads a JSON file relative to the app folder (events/, deploy/, test/fixtures/). */
export function appJson<T>(...path: string[]): T {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', ...path), 'utf8')) as T;
}

export interface CapturedLog {
  stream: 'stdout' | 'stderr';
  raw: string;
  json: Record<string, unknown> | undefined;
}

/**
 * Captures what the Powertools logger writes to stdout/stderr (it keeps its own Console on the
 * process streams) and keeps it off the test output.
 */
export function captureLogs(): { logs: CapturedLog[]; restore(): void; all(): string } {
  const logs: CapturedLog[] = [];
  const spy = (stream: 'stdout' | 'stderr') =>
    jest.spyOn(process[stream], 'write').mockImplementation((chunk: unknown) => {
      const raw =
        typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8');
      for (const line of raw.split('\n').filter((l) => l.trim() !== '')) {
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(line) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        logs.push({ stream, raw: line, json });
      }
      return true;
    });
  const out = spy('stdout');
  const err = spy('stderr');
  return {
    logs,
    restore() {
      out.mockRestore();
      err.mockRestore();
    },
    all: () => logs.map((l) => l.raw).join('\n'),
  };
}

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

/** A Lambda context whose remaining time counts down from `ms`. */
export function lambdaContext(ms = 8000, requestId = 'req-test-1') {
  const started = Date.now();
  return { awsRequestId: requestId, getRemainingTimeInMillis: () => ms - (Date.now() - started) };
}
