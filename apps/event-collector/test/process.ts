import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';

const MAIN = join(__dirname, '..', 'src', 'main.ts');
const TSCONFIG = join(__dirname, '..', 'tsconfig.json');
// Resolved here, so the process can run in any working folder (tsx and the tsconfig paths).
const TSX_LOADER = pathToFileURL(
  join(dirname(require.resolve('tsx/package.json')), 'dist', 'loader.mjs'),
).href;

/** The real collector as a child process (`node --import tsx src/main.ts`), for kill tests. */
export class CollectorProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: Record<string, string>, opts: { cwd?: string } = {}) {
    this.child = spawn(process.execPath, ['--import', TSX_LOADER, MAIN], {
      env: { ...process.env, TSX_TSCONFIG_PATH: TSCONFIG, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(opts.cwd ? { cwd: opts.cwd } : {}),
    });
    this.child.stdout?.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr?.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** The JSON log lines written so far. */
  logs(): Record<string, unknown>[] {
    return this.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  }

  /** The status server's port, once it is listening. */
  get httpPort(): number | undefined {
    const line = this.logs().find((l) => l['msg'] === 'status server listening');
    return typeof line?.['port'] === 'number' ? line['port'] : undefined;
  }

  async http(path: string): Promise<{ status: number; text: string }> {
    const res = await fetch(`http://127.0.0.1:${this.httpPort ?? 0}${path}`);
    return { status: res.status, text: await res.text() };
  }

  /** The value of one unlabelled metric from `/metrics`. */
  async metric(name: string): Promise<number | undefined> {
    const { text } = await this.http('/metrics');
    const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
    return m ? Number(m[1]) : undefined;
  }

  /** Context for a failed wait. */
  tail(): string {
    return `stdout: ${this.stdout.slice(-3000)}\nstderr: ${this.stderr.slice(-2000)}`;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** kill -9: no shutdown code runs. */
  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  /** SIGTERM, then SIGKILL if it does not exit within `graceMs`. */
  async stop(graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      const r = await this.exited;
      clearTimeout(t);
      return r;
    }
    return this.exited;
  }
}
