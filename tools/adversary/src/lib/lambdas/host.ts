// The suite's side of a Lambda host process (src/lambda-host.ts): start it with a bundle and an
// environment, invoke events over IPC, and see it as a Service (RSS and handles of the process;
// "health" is an ordinary invocation answering within 200 ms).

import { join } from 'node:path';
import type { InvocationResult } from '../../lambda-host';
import type { Probe, Service } from '../checks';
import { ROOT, startTsx, type Child } from '../children';

const HOST = join(ROOT, 'tools/adversary/src/lambda-host.ts');

export class LambdaHost implements Service {
  #next = 0;
  readonly #pending = new Map<number, (result: InvocationResult) => void>();

  private constructor(
    readonly name: string,
    readonly child: Child,
    readonly healthEvent: () => unknown,
    readonly healthy: (result: InvocationResult) => boolean,
  ) {
    child.process.on('message', (message: InvocationResult) => {
      this.#pending.get(message.id)?.(message);
      this.#pending.delete(message.id);
    });
  }

  /** Starts the host and waits until the bundle is loaded. */
  static async start(
    name: string,
    bundle: string,
    env: Record<string, string | undefined>,
    healthEvent: () => unknown,
    healthy: (result: InvocationResult) => boolean,
  ): Promise<LambdaHost> {
    const child = startTsx(`${name} host`, HOST, 'tools/adversary/tsconfig.json', {
      env,
      ipc: true,
      inspect: true,
      args: [bundle],
    });
    await new Promise<void>((resolve, reject) => {
      child.process.once('message', () => resolve());
      void child.exited.then(({ code }) =>
        reject(new Error(`${name} host exited (${code}):\n${child.tail()}`)),
      );
    });
    return new LambdaHost(name, child, healthEvent, healthy);
  }

  pid(): number {
    return this.child.pid;
  }

  /** Runs one event through the handler (`json`: parse this text in the host instead). */
  invoke(event: unknown, json?: string, timeoutMs = 15_000): Promise<InvocationResult> {
    const id = this.#next++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`${this.name}: no answer to invocation ${id} in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, (result) => {
        clearTimeout(timer);
        resolve(result);
      });
      if (!this.child.running || this.child.process.send === undefined) {
        clearTimeout(timer);
        reject(new Error(`${this.name} host is not running:\n${this.child.tail(500)}`));
        return;
      }
      this.child.process.send(json === undefined ? { id, event } : { id, json, event: null });
    });
  }

  collectGarbage(): Promise<number | undefined> {
    return this.child.collectGarbage();
  }

  async probe(): Promise<Probe> {
    const started = performance.now();
    const result = await this.invoke(this.healthEvent(), undefined, 5000);
    return {
      healthy: this.healthy(result),
      ms: performance.now() - started,
      detail: result.ok
        ? JSON.stringify(result.result).slice(0, 80)
        : (result.error?.message ?? ''),
    };
  }

  async stop(): Promise<void> {
    this.child.process.disconnect?.();
    await this.child.stop(3000);
  }
}

/** The message of a failed invocation is short, says what is wrong, and leaks nothing. */
export function clearError(
  result: InvocationResult,
  secrets: readonly string[],
): string | undefined {
  const message = result.error?.message ?? '';
  if (message.trim() === '') return 'an empty error message';
  if (message.length > 500) return `a ${message.length}-character error message`;
  if (/\n\s+at /.test(message)) return 'a stack trace in the message';
  const leaked = secrets.find((s) => message.includes(s));
  if (leaked !== undefined) return 'a secret in the message';
  return undefined;
}
