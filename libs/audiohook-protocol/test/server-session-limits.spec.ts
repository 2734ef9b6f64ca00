// The server session's limits on what a client may cost before (or without) a proper session:
// the wait for `open`, and how much client text reaches the log.

import type { ServerSessionOptions } from '../src';
import { openParameters, settle } from './helpers';
import { disconnectInfo, opened, setup } from './server-setup';

describe('ServerSession limits', () => {
  describe('the wait for open', () => {
    it('sends disconnect error and closes the transport when no open arrives in time', async () => {
      const { session, client, clock, lines } = setup({ openWaitTimeoutMs: 10_000 });
      await clock.advance(9_999);
      expect(client.received).toEqual([]);
      expect(session.state).toBe('PREPARING');
      await clock.advance(1);
      expect(client.types()).toEqual(['disconnect']);
      expect(client.last()?.['parameters']).toEqual({
        reason: 'error',
        info: 'Client Error: No open message received within 10000 ms',
      });
      expect(client.transport.closeInfo).toEqual({ code: 1008, reason: 'open timeout' });
      await session.finished;
      expect(session.state).toBe('DISCONNECTED');
      expect(lines.map((l) => l.message)).toContain(
        'no open from the client in time; disconnecting',
      );
    });

    it('uses a 10 s wait by default', async () => {
      const { client, clock } = setup();
      await clock.advance(9_999);
      expect(client.received).toEqual([]);
      await clock.advance(1);
      expect(disconnectInfo(client.last())).toBe(
        'Client Error: No open message received within 10000 ms',
      );
    });

    it('does not fire once open arrived, however long the session then runs', async () => {
      const { session, client, clock } = setup({ openWaitTimeoutMs: 1000 });
      await clock.advance(999);
      client.send('open', openParameters());
      await settle();
      await clock.advance(60_000);
      expect(client.types()).toEqual(['opened']);
      expect(session.state).toBe('ACTIVE');
      expect(client.transport.closed).toBe(false);
    });

    it('counts other messages before open as no open (pings do not keep the wait open)', async () => {
      const { client, clock } = setup({ openWaitTimeoutMs: 1000 });
      for (let i = 0; i < 5; i++) {
        client.send('ping');
        await settle();
        await clock.advance(250);
      }
      expect(client.types()).toEqual(['pong', 'pong', 'pong', 'pong', 'disconnect']);
      expect(client.transport.closeInfo?.code).toBe(1008);
    });

    it('does not fire after a close before open was answered with closed', async () => {
      const { client, clock } = setup({ openWaitTimeoutMs: 1000, closedLingerMs: 0 });
      client.send('close', { reason: 'end' });
      await settle();
      await clock.advance(5000);
      expect(client.types()).toEqual(['closed']);
      expect(client.transport.closed).toBe(false);
    });

    it('does not fire after the session was already disconnected before open', async () => {
      const { session, client, clock } = setup({
        openWaitTimeoutMs: 1000,
        disconnectTimeoutMs: 0,
      });
      expect(session.disconnect('unauthorized', 'FAILED: Signatures do not match')).toBe(true);
      await clock.advance(5000);
      expect(client.types()).toEqual(['disconnect']);
      expect(client.transport.closed).toBe(false);
    });

    it('waits forever with openWaitTimeoutMs 0 (the reference)', async () => {
      const { client, clock } = setup({ openWaitTimeoutMs: 0 });
      await clock.advance(3_600_000);
      expect(client.received).toEqual([]);
      expect(client.transport.closed).toBe(false);
    });
  });

  describe('client text in the log', () => {
    it('logs a long client error message cut to 256 characters, with its length', async () => {
      const { session, client, lines } = await opened();
      const seen: string[] = [];
      session.on('clientError', (p) => seen.push(p.message));
      const long = 'x'.repeat(50_000);
      client.send('error', { code: 500, message: long });
      await settle();
      const line = lines.find((l) => l.message === 'client reported an error');
      expect(line?.fields).toMatchObject({
        code: 500,
        message: `${'x'.repeat(256)}… (50000 characters)`,
        messageLength: 50_000,
      });
      expect(seen).toEqual([long]);
    });

    it('logs a short client error message as it is', async () => {
      const { client, lines } = await opened();
      client.send('error', { code: 503, message: 'unavailable' });
      await settle();
      const line = lines.find((l) => l.message === 'client reported an error');
      expect(line?.fields['message']).toBe('unavailable');
      expect(line?.fields['messageLength']).toBeUndefined();
    });

    it('never cuts a surrogate pair in half', async () => {
      const { client, lines } = await opened();
      client.send('error', { code: 500, message: `${'a'.repeat(255)}😀${'b'.repeat(10)}` });
      await settle();
      const logged = lines.find((l) => l.message === 'client reported an error')?.fields[
        'message'
      ] as string;
      expect(logged).toBe(`${'a'.repeat(255)}… (267 characters)`);
    });

    it('logs the first 20 client errors of a session and counts the rest', async () => {
      const { session, client, serverSide, lines } = await opened();
      let emitted = 0;
      session.on('clientError', () => emitted++);
      for (let i = 0; i < 200; i++) client.send('error', { code: 500, message: `failure ${i}` });
      await settle();
      const logged = lines.filter((l) => l.message === 'client reported an error');
      expect(logged).toHaveLength(20);
      expect(logged.at(-1)?.fields['message']).toBe('failure 19');
      expect(emitted).toBe(200);
      serverSide.close();
      await session.finished;
      expect(lines.find((l) => l.message === 'client errors not logged')?.fields).toMatchObject({
        notLogged: 180,
        total: 200,
      });
    });

    it.each([
      ['an unknown type ignored by option', 'made_up_type', 'unknown client message type ignored'],
      ['an older-draft reconnecting', 'reconnecting', 'older-draft message ignored'],
      ['a repeated open', 'open', 'open ignored'],
    ])(
      'logs the first 20 ignored messages of a session (%s) and counts the rest',
      async (_name, type, message) => {
        const { session, client, serverSide, lines } = await opened({
          unknownMessageTypes: 'ignore',
        });
        for (let i = 0; i < 500; i++) client.send(type, type === 'open' ? openParameters() : {});
        await settle();
        expect(lines.filter((l) => l.message === message)).toHaveLength(20);
        expect(
          lines.filter(
            (l) => l.message === 'further ignored messages of this session are counted, not logged',
          ),
        ).toHaveLength(1);
        serverSide.close();
        await session.finished;
        expect(
          lines.find((l) => l.message === 'ignored messages not logged')?.fields,
        ).toMatchObject({
          notLogged: 480,
          total: 500,
        });
      },
    );

    it('logs the first 20 client errors after disconnect and counts the rest (an ignored input)', async () => {
      const { session, client, serverSide, lines } = await opened();
      session.disconnect('completed');
      await settle();
      for (let i = 0; i < 500; i++) client.sendRaw('{not json');
      await settle();
      expect(session.state).toBe('DISCONNECTING');
      expect(
        lines.filter((l) => l.message === 'client error after the session stopped accepting input'),
      ).toHaveLength(20);
      serverSide.close();
      await session.finished;
      expect(lines.find((l) => l.message === 'ignored messages not logged')?.fields).toMatchObject({
        notLogged: 480,
        total: 500,
      });
    });

    it('logs an ignored unknown message type cut short', async () => {
      const { client, lines } = setup({ unknownMessageTypes: 'ignore' });
      client.send('x'.repeat(5000));
      await settle();
      const type = lines.find((l) => l.message === 'unknown client message type ignored')?.fields[
        'type'
      ] as string;
      expect(type.length).toBeLessThan(100);
      expect(type).toContain('(5000 characters)');
    });
  });

  describe('a client that drops during the unauthorized delay', () => {
    it.each([
      ['the default finalize deadline', {}],
      ['no finalize deadline (0)', { closeDeadlineMs: 0 }],
    ])(
      'is finalized at once with %s: the delay wakes when the transport closes',
      async (_name, extra: Partial<ServerSessionOptions>) => {
        const { session, client, clock, lines } = setup({
          unauthorizedDelayMs: 500,
          ...extra,
        });
        session.addAuthenticator(() => 'FAILED: Signatures do not match');
        let finalized = false;
        session.addFiniHandler(() => {
          finalized = true;
        });
        client.send('open', openParameters());
        await settle();
        // The client goes away while the server waits out the uniform delay.
        client.transport.close(1000, 'bye');
        await settle();
        expect(session.state).toBe('DISCONNECTED');
        expect(finalized).toBe(true);
        expect(client.received).toEqual([]);
        expect(clock.pending).toBe(0);
        expect(lines.map((l) => l.message)).not.toContain(
          'open/close handlers still running; finalizing anyway',
        );
      },
    );
  });
});
