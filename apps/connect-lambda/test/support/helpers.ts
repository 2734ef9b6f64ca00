import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { captureLogs as kitCaptureLogs } from '@org/service-kit/testing';

/** Reads a JSON file relative to the app folder (events/, deploy/, test/fixtures/). */
export function appJson<T>(...path: string[]): T {
  return JSON.parse(readFileSync(join(__dirname, '..', '..', ...path), 'utf8')) as T;
}

export interface CapturedLog {
  raw: string;
  json: Record<string, unknown> | undefined;
}

/**
 * An in-memory log destination (the service kit's) for the Lambda's logger: pass `destination` to
 * `createLogger(config, destination)`; `logs` are the lines received, parsed.
 */
export function captureLogs(): {
  destination: { write(line: string): void };
  readonly logs: CapturedLog[];
  all(): string;
  clear(): void;
} {
  const kit = kitCaptureLogs();
  return {
    destination: kit.destination,
    get logs() {
      return kit.lines.map((json) => ({ raw: JSON.stringify(json), json: { ...json } }));
    },
    all: () => kit.text(),
    clear: () => kit.clear(),
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
