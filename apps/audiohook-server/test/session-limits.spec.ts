// What a client that never opens a session, or fails authentication, or floods `error` messages
// can cost: not a session slot for longer than the open wait or the unauthorized delay, and not
// more than a bounded amount of log.

import { RawClient } from './helpers/raw-client';
import { SIGNED_KEY, startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';
import { until } from './helpers/wait';

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

/** Connects with a valid (unsigned) key and waits for the upgrade. */
async function connected(apiKey = UNSIGNED_KEY): Promise<RawClient> {
  const client = new RawClient({ url: server.url(), apiKey });
  await client.opened;
  return client;
}

/** A valid client gets in: `open` → `opened`, then a clean close. */
async function validSessionRuns(): Promise<void> {
  const client = await connected();
  client.open();
  await client.waitFor('opened');
  await client.finish();
}

/** Every session has ended and given its slot back. */
function slotsFree(): Promise<true> {
  return until(() => server.app.gateway.activeSessions === 0, 'every session to end', 10_000);
}

describe('connections that never send open', () => {
  it('are disconnected after OPEN_WAIT_TIMEOUT_MS and closed, so with MAX_SESSIONS=2 a valid client then gets in', async () => {
    server = await startTestServer({ MAX_SESSIONS: '2', OPEN_WAIT_TIMEOUT_MS: '300' });
    const idle = [await connected(), await connected()];
    const refused = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY });
    await expect(refused.opened).rejects.toThrow(/HTTP 503/);

    const codes = await Promise.all(idle.map((c) => c.closed));
    expect(codes).toEqual([1008, 1008]);
    for (const client of idle) {
      expect(client.received.map((m) => [m.type, m.parameters])).toEqual([
        [
          'disconnect',
          { reason: 'error', info: 'Client Error: No open message received within 300 ms' },
        ],
      ]);
    }
    await slotsFree();
    await validSessionRuns();
  });

  it('are not cut off once open arrived', async () => {
    server = await startTestServer({ OPEN_WAIT_TIMEOUT_MS: '200' });
    const client = await connected();
    client.open();
    await client.waitFor('opened');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(client.received.map((m) => m.type)).toEqual(['opened']);
    expect(client.closeCode).toBeUndefined();
    await client.finish();
  });
});

describe('unauthenticated connections that never send open', () => {
  it('get disconnect unauthorized after AUTH_FAILURE_DELAY_MS and are closed after DISCONNECT_TIMEOUT_MS, freeing their slots', async () => {
    server = await startTestServer({
      MAX_SESSIONS: '2',
      AUTH_FAILURE_DELAY_MS: '300',
      DISCONNECT_TIMEOUT_MS: '300',
      // Far away: the unauthorized path ends these sessions, not the open wait.
      OPEN_WAIT_TIMEOUT_MS: '60000',
    });
    const startedAt = Date.now();
    // A key with a secret, but no signature: UNSIGNED.
    const intruders = [await connected(SIGNED_KEY), await connected(SIGNED_KEY)];
    const disconnects = await Promise.all(intruders.map((c) => c.waitFor('disconnect')));
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(290);
    for (const disconnect of disconnects) {
      expect(disconnect.parameters).toEqual({
        reason: 'unauthorized',
        info: 'UNSIGNED: No "signature" and "signature-input" header fields',
      });
    }
    // They do not answer: the server closes their sockets.
    expect(await Promise.all(intruders.map((c) => c.closed))).toEqual([1000, 1000]);
    for (const client of intruders) expect(client.received).toHaveLength(1);
    await slotsFree();
    await validSessionRuns();
  });

  it('get closed in answer to their close after the disconnect (the spec’s handshake)', async () => {
    server = await startTestServer({ AUTH_FAILURE_DELAY_MS: '100' });
    const client = await connected(SIGNED_KEY);
    await client.waitFor('disconnect');
    await client.finish('disconnect');
    expect(client.received.map((m) => m.type)).toEqual(['disconnect', 'closed']);
  });

  it('still get a single disconnect unauthorized when open comes after it (the open is ignored)', async () => {
    server = await startTestServer({ AUTH_FAILURE_DELAY_MS: '100' });
    const client = await connected(SIGNED_KEY);
    await client.waitFor('disconnect');
    client.open();
    await client.finish('disconnect');
    expect(client.received.map((m) => m.type)).toEqual(['disconnect', 'closed']);
  });
});

describe('connections that do not answer the closing handshake', () => {
  it('are cut off WS_CLOSE_TIMEOUT_MS after the server closes them, so with MAX_SESSIONS=1 a valid client then gets in', async () => {
    server = await startTestServer({
      MAX_SESSIONS: '1',
      OPEN_WAIT_TIMEOUT_MS: '200',
      WS_CLOSE_TIMEOUT_MS: '300',
    });
    const mute = await connected();
    // It stops reading: the server's disconnect and close frame stay unanswered (`ws` alone
    // would wait 30 s for the close frame, with the session and its slot held).
    mute.socket.pause();
    const startedAt = Date.now();
    await slotsFree();
    // Open wait 200 ms, then the close handshake's 300 ms: nowhere near `ws`'s 30 s.
    expect(Date.now() - startedAt).toBeLessThan(10_000);
    await validSessionRuns();
    mute.socket.terminate();
  });
});

describe('clients that send but never read', () => {
  it('are cut off once MAX_SEND_BACKLOG_BYTES of answers wait unread, and the recording is finished', async () => {
    server = await startTestServer({ MAX_SEND_BACKLOG_BYTES: '65536', DRAIN_TIMEOUT_MS: '200' });
    const flooder = await connected();
    flooder.open();
    await flooder.waitFor('opened');
    flooder.sendRaw(new Uint8Array(3200).fill(0xff));
    // It stops reading and floods pings: every pong would wait in the server's memory (about
    // 120 bytes each, 7 MB per 60,000 pings, without bound) once the socket buffers are full.
    flooder.socket.pause();
    for (let i = 0; i < 200_000 && server.app.gateway.activeSessions > 0; i++) {
      flooder.send('ping');
      if (i % 5000 === 4999) await new Promise((resolve) => setImmediate(resolve));
    }
    await slotsFree();
    const cut = server.log
      .lines()
      .find(
        (l) =>
          l['sessionId'] === flooder.sessionId &&
          l['msg'] === 'the client does not read what it is sent; connection cut',
      );
    expect(cut).toMatchObject({ maxBytes: 65_536 });
    await until(
      () => server.log.lines().find((l) => l['msg'] === 'recording finished'),
      'the recording to be finished',
      10_000,
    );
    flooder.socket.terminate();
    await validSessionRuns();
  });
});

describe('repeated protocol log lines', () => {
  it('are logged at most 20 times per session, the rest counted in one line at the end', async () => {
    server = await startTestServer();
    const client = await connected();
    client.open();
    await client.waitFor('opened');
    const before = server.log.text().length;
    // Older-draft messages are valid and ignored, each with an info line of the protocol library.
    for (let i = 0; i < 2000; i++) client.send(i % 2 === 0 ? 'reconnecting' : 'reconnected');
    client.send('ping');
    await client.waitFor('pong');
    const ignored = () =>
      server.log
        .lines()
        .filter(
          (l) => l['sessionId'] === client.sessionId && l['msg'] === 'older-draft message ignored',
        );
    expect(ignored()).toHaveLength(20);
    expect(server.log.text().length - before).toBeLessThan(32 * 1024);
    await client.finish();
    await slotsFree();
    // The protocol library counts these itself: 20 per session, then one line at its end.
    expect(
      server.log
        .lines()
        .find(
          (l) => l['sessionId'] === client.sessionId && l['msg'] === 'ignored messages not logged',
        ),
    ).toMatchObject({ notLogged: 1980, total: 2000 });
  });
});

describe('client error messages in the log', () => {
  it('are logged cut to 256 characters with their length, and at most 20 per session', async () => {
    server = await startTestServer();
    const client = await connected();
    client.open();
    await client.waitFor('opened');
    const before = server.log.text().length;
    const long = 'e'.repeat(60_000);
    for (let i = 0; i < 200; i++) client.send('error', { code: 500, message: long });
    // A ping after the errors: its pong means every error was handled.
    client.send('ping');
    await client.waitFor('pong');

    const lines = server.log
      .lines()
      .filter(
        (l) => l['sessionId'] === client.sessionId && l['msg'] === 'client reported an error',
      );
    expect(lines).toHaveLength(20);
    expect(lines[0]).toMatchObject({
      code: 500,
      message: `${'e'.repeat(256)}… (60000 characters)`,
      messageLength: 60_000,
    });
    // 200 × 60 KB from the client; a few KB in the log.
    expect(server.log.text().length - before).toBeLessThan(32 * 1024);
    expect(server.log.text()).not.toContain('e'.repeat(257));

    await client.finish();
    await slotsFree();
    expect(
      server.log
        .lines()
        .find(
          (l) => l['sessionId'] === client.sessionId && l['msg'] === 'client errors not logged',
        ),
    ).toMatchObject({ notLogged: 180, total: 200 });
  });
});
