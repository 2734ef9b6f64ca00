/**
 * A Lambda host for the adversarial suite: a process of its own that loads a built Lambda bundle
 * (`index.js`, exactly as the Lambda runtime would, configuration from the environment) and runs
 * every event it receives over IPC through the bundle's `handler`, so the suite can measure the
 * process (RSS, open handles) and see whether a hostile event brings it down.
 *
 *   node --import tsx tools/adversary/src/lambda-host.ts dist/apps/connect-lambda/index.js
 */
import { randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';

type Handler = (event: unknown, context: unknown) => Promise<unknown>;

/** What the suite sends. */
interface Invocation {
  readonly id: number;
  readonly event: unknown;
  /** JSON text parsed here instead of `event` (keeps keys such as `__proto__` as own keys). */
  readonly json?: string;
}

/** What the host answers. */
export interface InvocationResult {
  readonly id: number;
  readonly ok: boolean;
  readonly result?: unknown;
  readonly error?: { readonly name: string; readonly message: string; readonly code?: unknown };
  readonly ms: number;
  /** Whether `Object.prototype` gained a property (a prototype-pollution check after each event). */
  readonly polluted: boolean;
}

function send(message: unknown): void {
  process.send?.(message);
}

/**
 * The function's timeout as the real deployment sets it (`ADVERSARY_LAMBDA_TIMEOUT_MS`, default
 * 8 s): each invocation's `getRemainingTimeInMillis` counts down from it, as Lambda's does, so a
 * handler that keeps time back before its deadline behaves as deployed.
 */
const TIMEOUT_MS = Number(process.env['ADVERSARY_LAMBDA_TIMEOUT_MS'] ?? 8000);

function main(): void {
  const bundle = resolve(process.argv[2] ?? '');
  const { handler } = createRequire(__filename)(bundle) as { handler: Handler };
  process.on('message', (message: Invocation) => {
    const started = performance.now();
    const context = {
      awsRequestId: randomUUID(),
      functionName: 'adversary',
      getRemainingTimeInMillis: () =>
        Math.max(0, Math.round(TIMEOUT_MS - (performance.now() - started))),
    };
    const event: unknown = message.json === undefined ? message.event : JSON.parse(message.json);
    const done = (partial: Pick<InvocationResult, 'ok' | 'result' | 'error'>): void => {
      const probe: Record<string, unknown> = {};
      send({
        id: message.id,
        ...partial,
        ms: performance.now() - started,
        polluted: Object.keys(Object.getPrototypeOf(probe) as object).length > 0,
      });
    };
    Promise.resolve()
      .then(() => handler(event, context))
      .then(
        (result) => done({ ok: true, result }),
        (error: unknown) => {
          const e = error instanceof Error ? error : new Error(String(error));
          done({
            ok: false,
            error: { name: e.name, message: e.message, code: (e as { code?: unknown }).code },
          });
        },
      );
  });
  process.on('disconnect', () => process.exit(0));
  send({ ready: true });
}

main();
