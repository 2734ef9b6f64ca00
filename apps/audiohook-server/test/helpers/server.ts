// Starts the real server (composition root, real sockets) on a free loopback port.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp, type AppOverrides, type AudioHookServerApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { memoryLogger, type MemoryLogger } from './logger';

export const UNSIGNED_KEY = 'unsigned-key';
export const SIGNED_KEY = 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh';
export const SIGNED_SECRET = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';

export interface TestServer {
  readonly app: AudioHookServerApp;
  readonly port: number;
  readonly directory: string;
  readonly log: MemoryLogger;
  url(path?: string): string;
  stop(): Promise<void>;
}

export async function startTestServer(
  env: Record<string, string> = {},
  overrides: AppOverrides = {},
): Promise<TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'ahs-e2e-'));
  const log = memoryLogger('debug');
  const config = loadConfig({
    SERVERPORT: '0',
    LOG_ROOT_DIR: directory,
    STATIC_API_KEY_MAP: JSON.stringify({ [UNSIGNED_KEY]: null, [SIGNED_KEY]: SIGNED_SECRET }),
    AUTH_FAILURE_DELAY_MS: '50',
    ...env,
  });
  const app = createApp(config, { logger: log.logger, defaultMetrics: false, ...overrides });
  const { port } = await app.start();
  let stopped = false;
  return {
    app,
    port,
    directory,
    log,
    url: (path = '/api/v1/audiohook/ws') => `ws://127.0.0.1:${port}${path}`,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await app.stop();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
