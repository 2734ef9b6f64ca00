// Real gateways for end-to-end tests: the gateway's sources run through tsx as a child process on
// loopback (ports chosen by the system), stopped with SIGTERM.

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');
const TSX = join(ROOT, 'node_modules/tsx/dist/cli.mjs');

export interface GatewayProcess {
  /** `127.0.0.1:<port>` of its gRPC listener. */
  readonly target: string;
  stop(): Promise<void>;
}

/** Writes a config for the local audio connector with recordings under `recordings`. */
export function writeGatewayConfig(path: string, recordings: string): void {
  const prompts = join(ROOT, 'apps/byova-gateway/assets/prompts');
  writeFileSync(
    path,
    [
      'gateway: { host: 127.0.0.1, port: 0 }',
      'voice_activity_detection: { end_silence_ms: 300 }',
      'connectors:',
      '  local_audio_connector:',
      '    type: local_audio_connector',
      `    config: { audio_base_path: ${JSON.stringify(prompts)} }`,
      'monitoring: { enabled: false }',
      `audio_recording: { enabled: true, output_dir: ${JSON.stringify(recordings)} }`,
      'logging: { level: warn }',
      '',
    ].join('\n'),
  );
}

/** Starts the gateway sources with `config` and extra environment; resolves once it listens. */
export async function startGatewayProcess(
  config: string,
  env: Readonly<Record<string, string>>,
): Promise<GatewayProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      TSX,
      '--tsconfig',
      join(ROOT, 'apps/byova-gateway/tsconfig.json'),
      join(ROOT, 'apps/byova-gateway/src/main.ts'),
      '--config',
      config,
    ],
    { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
  );
  const target = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /grpc:\/\/(127\.0\.0\.1:\d+)/.exec(out)?.[1];
      if (found !== undefined) resolve(found);
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
    });
    child.once('exit', (code) => reject(new Error(`the gateway exited with ${code}:\n${out}`)));
  });
  return {
    target,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
