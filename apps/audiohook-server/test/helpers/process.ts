// Runs src/main.ts in its own process (through tsx), as `node main.js` runs in production.

import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

export const WORKSPACE_ROOT = join(__dirname, '../../../..');

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  /** stdout lines so far (JSON log lines). */
  readonly lines: string[];
  /** Resolves with the exit code (or the signal's name). */
  readonly exited: Promise<number | string | null>;
}

/** Starts the server process and resolves once it listens. */
export function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'apps/audiohook-server/src/main.ts'], {
    cwd: WORKSPACE_ROOT,
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: 'apps/audiohook-server/tsconfig.json',
      SERVERPORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const exited = new Promise<number | string | null>((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? signal)),
  );
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      lines.push(line);
      const match = /"address":"127\.0\.0\.1:(\d+)"/.exec(line);
      if (match !== null) resolve({ child, port: Number(match[1]), lines, exited });
    });
    void exited.then((code) =>
      reject(new Error(`server exited early (${String(code)}): ${lines.join('\n')}`)),
    );
  });
}
