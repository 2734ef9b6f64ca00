// The AudioHook server under attack: the built bundle, started with its local defaults on a free
// loopback port, recording into a temporary folder.

import type { Probe, Service } from '../checks';
import { built, type Child, removeTemporary, startChild, temporaryDir } from '../children';
import { httpGet } from '../proc';
import { HookSession, signedHeaders, stream } from './client';
import { RecordingIndex } from './recordings';

const SERVER_MAIN = 'apps/audiohook-server/main.js';

export class AudioHookService implements Service {
  readonly name = 'audiohook-server';
  readonly recordings: RecordingIndex;

  constructor(
    readonly child: Child,
    readonly port: number,
    readonly dir: string,
  ) {
    this.recordings = new RecordingIndex(dir);
  }

  pid(): number {
    return this.child.pid;
  }

  async probe(): Promise<Probe> {
    const answer = await httpGet(`http://127.0.0.1:${this.port}/health`);
    const healthy = answer.status === 200 && answer.body.includes('"running"');
    return { healthy, ms: answer.ms, detail: `HTTP ${answer.status} ${answer.body.slice(0, 80)}` };
  }

  collectGarbage(): Promise<number | undefined> {
    return this.child.collectGarbage();
  }

  async metrics(): Promise<string> {
    return (await httpGet(`http://127.0.0.1:${this.port}/metrics`)).body;
  }
}

/** Drain time given to sessions after SIGTERM (the default 30 s would not fit the short mode). */
export const DRAIN_TIMEOUT_MS = 1500;

/** Starts the built server and warms it up with a few ordinary sessions. */
export async function startAudioHook(
  env: Record<string, string> = {},
  warm = true,
): Promise<AudioHookService> {
  const dir = await temporaryDir('adversary-audiohook-');
  const child = startChild(
    'audiohook-server',
    process.execPath,
    [built(SERVER_MAIN), '--local-defaults'],
    {
      env: {
        SERVERPORT: '0',
        SERVERHOST: '127.0.0.1',
        LOG_ROOT_DIR: dir,
        LOG_LEVEL: 'info',
        DRAIN_TIMEOUT_MS: String(DRAIN_TIMEOUT_MS),
        ...env,
      },
      inspect: true,
    },
  );
  try {
    const match = await child.waitFor(/"address":"127\.0\.0\.1:(\d+)"/, 30_000);
    const service = new AudioHookService(child, Number(match[1]), dir);
    if (warm) await warmUp(service);
    return service;
  } catch (error) {
    await child.stop(2000);
    await removeTemporary(dir);
    throw error;
  }
}

/** Three recorded sessions and one rejected one: every code path of an ordinary day, once. */
async function warmUp(service: AudioHookService): Promise<void> {
  const sessions = [0, 1, 2].map(
    () => new HookSession(service.port, signedHeaders({ port: service.port })),
  );
  for (const session of sessions) {
    if ((await session.open()) !== 'opened') throw new Error('warm-up session did not open');
  }
  await stream(sessions, 25);
  for (const session of sessions) await session.close();
  const rejected = new HookSession(
    service.port,
    signedHeaders({ port: service.port, secret: null }),
  );
  await rejected.open();
  await rejected.close();
  await service.recordings.waitFor(
    sessions.map((s) => s.id),
    10_000,
  );
}

export async function stopAudioHook(service: AudioHookService): Promise<void> {
  await service.child.stop(DRAIN_TIMEOUT_MS + 5000);
  await removeTemporary(service.dir);
}
