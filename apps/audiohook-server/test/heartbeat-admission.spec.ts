// An instance whose own heartbeat keeps failing stops taking new sessions (upgrades 503, /health
// `refusing`; /health/check stays 200 so that no health check replaces the task and its live
// sessions) before the other instances could take its work folder for dead, and takes them again
// once a heartbeat is written. The monotonic clock is injected and the heartbeat broken for real (its
// temporary file made a folder); no test waits for a timer.

import { request } from 'node:http';
import { mkdir, mkdtemp, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OWNER_FILE, RecordingFolders, type HeartbeatEvent } from '../src/lib/recording/folders';
import { memoryLogger } from './helpers/logger';
import { RawClient } from './helpers/raw-client';
import { startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'ahs-beat-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Makes the next heartbeat writes fail (EISDIR) until {@link repairHeartbeat}. */
async function breakHeartbeat(folders: RecordingFolders): Promise<void> {
  await mkdir(join(folders.work, `${OWNER_FILE}.tmp`));
}

function repairHeartbeat(folders: RecordingFolders): Promise<void> {
  return rmdir(join(folders.work, `${OWNER_FILE}.tmp`));
}

describe('RecordingFolders heartbeat failures', () => {
  it('refuses new sessions from half the stale timeout without a heartbeat written, and takes them again after the next one', async () => {
    let mono = 0;
    const log = memoryLogger();
    const folders = new RecordingFolders({
      root,
      instanceId: 'x',
      runId: 'x-run',
      heartbeatMs: 3_600_000, // the timer never fires here: beats are called by hand
      staleAfterMs: 60_000,
      logger: log.logger,
      monotonic: () => mono,
    });
    const events: HeartbeatEvent[] = [];
    folders.onHeartbeat((event) => events.push(event));
    await folders.open();
    await breakHeartbeat(folders);

    mono += 10_000;
    await folders.beat();
    mono += 19_999;
    await folders.beat();
    expect(folders.refusingSessions).toBe(false);
    mono += 1; // 30 s since the last heartbeat written
    await folders.beat();
    expect(folders.refusingSessions).toBe(true);
    expect(events).toEqual(['failed', 'failed', 'failed', 'refusing']);
    const refusing = log
      .lines()
      .find((l) => String(l['msg']).startsWith('recording heartbeat failing for half'));
    expect(refusing).toMatchObject({ level: 'error', failingSeconds: 30, staleAfterSeconds: 60 });
    expect(log.lines().filter((l) => l['msg'] === 'recording heartbeat failed')).toHaveLength(3);

    await repairHeartbeat(folders);
    mono += 1;
    await folders.beat();
    expect(folders.refusingSessions).toBe(false);
    expect(events.at(-1)).toBe('resumed');
    // The clock starts again from the heartbeat just written.
    await breakHeartbeat(folders);
    mono += 29_999;
    await folders.beat();
    expect(folders.refusingSessions).toBe(false);
    await repairHeartbeat(folders);
    await folders.close();
  });
});

function get(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sends a WebSocket upgrade and returns the HTTP answer of a refused one. */
function refusedUpgrade(port: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1',
      port,
      path: '/api/v1/audiohook/ws',
      headers: {
        Connection: 'Upgrade',
        Upgrade: 'websocket',
        'Sec-WebSocket-Version': '13',
        'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
      },
    });
    req.on('response', (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('upgrade', (_res, socket) => {
      socket.destroy();
      reject(new Error('the upgrade was accepted'));
    });
    req.on('error', reject);
    req.end();
  });
}

async function openSession(server: TestServer): Promise<RawClient> {
  const client = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY });
  await client.opened;
  client.open();
  await client.waitFor('opened');
  return client;
}

describe('two servers on one recording folder, one whose heartbeat fails', () => {
  it('refuses new sessions on that one only (upgrade 503, /health refusing, metric) while /health/check stays 200 and its open session goes on, until a heartbeat is written again', async () => {
    let mono = 0;
    // Slow beats: only the test writes heartbeats of A (stale timeout 3 × 1 h).
    const env = {
      LOG_ROOT_DIR: root,
      RECOVERY_HEARTBEAT_S: '3600',
      RECOVERY_STALE_AFTER_S: '10800',
    };
    const a = await startTestServer(env, { folders: { monotonic: () => mono } });
    const b = await startTestServer(env);
    let early: RawClient | undefined;
    try {
      const folders = a.app.storage?.folders as RecordingFolders;
      early = await openSession(a);
      await breakHeartbeat(folders);
      mono += 5_400_000; // half the stale timeout
      await folders.beat();

      expect(await refusedUpgrade(a.port)).toEqual({
        status: 503,
        body: 'recording storage unavailable\n',
      });
      const late = new RawClient({ url: a.url(), apiKey: UNSIGNED_KEY });
      await expect(late.opened).rejects.toThrow(/HTTP 503/);
      // The load balancer's and the container's health check stay green: a 503 there would get
      // the task replaced and drop the session A still has.
      expect(await get(a.port, '/health/check')).toEqual({
        status: 200,
        body: '{"Http-Status":200,"Healthy":true}',
      });
      const health = await get(a.port, '/health');
      expect(health.status).toBe(503);
      expect(JSON.parse(health.body)).toMatchObject({
        status: 'refusing',
        reason: 'recording storage unavailable',
        sessions: 1,
      });
      const metrics = await a.app.metrics.registry.metrics();
      expect(metrics).toMatch(/\naudiohook_recording_heartbeat_refusing 1\n/);
      expect(metrics).toMatch(/\naudiohook_recording_heartbeat_failures_total 1\n/);
      // The session A already had goes on.
      early.send('ping');
      await early.waitFor('pong');
      // B takes sessions as always.
      expect((await get(b.port, '/health/check')).status).toBe(200);
      await (await openSession(b)).finish();

      await repairHeartbeat(folders);
      await folders.beat();
      expect(JSON.parse((await get(a.port, '/health')).body)).toMatchObject({ status: 'running' });
      expect(await a.app.metrics.registry.metrics()).toMatch(
        /\naudiohook_recording_heartbeat_refusing 0\n/,
      );
      await (await openSession(a)).finish();
      await early.finish();
    } finally {
      early?.socket.terminate(); // a failed expectation must not leave the drain waiting on it
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
