// The client session's scripting methods: arguments are checked before anything changes, a
// message that cannot be sent uses up no `seq`, and nothing thrown in a timer or transport
// callback escapes to the host.

import {
  AudioHookErrorCode,
  ClientSession,
  MAX_STREAM_POSITION_NANOS,
  type AudioHookError,
  type Clock,
} from '../src';
import { ManualClock, type InMemoryTransport } from '../src/testing';
import { ORG_ID, SESSION_ID, settle } from './helpers';
import { open, setup, withServer } from './client-setup';

const invalidArgument = expect.objectContaining({ code: AudioHookErrorCode.InvalidArgument });

describe('ClientSession scripting', () => {
  describe('discard', () => {
    it('rejects a discard that is not a whole number of nanoseconds ≥ 0 without changing anything', async () => {
      const { client, server, clock } = await open({ initialPingDelayMs: 1000 });
      for (const bad of [0.5, -1, NaN, Infinity, '5' as unknown as number]) {
        expect(() => client.discard(bad)).toThrow(invalidArgument);
      }
      expect(client.position).toBe(0);
      await clock.advance(1000); // the ping timer still sends
      expect(server.last()).toMatchObject({ type: 'ping', seq: 2, position: 'PT0S' });
      expect(client.close()).toBe(true);
      await settle();
      expect(server.last()).toMatchObject({ type: 'close', seq: 3, position: 'PT0S' });
      expect(client.state).toBe('CLOSING');
    });

    it('keeps the stream position within MAX_STREAM_POSITION_NANOS', async () => {
      const { client, server } = await open({ pingIntervalMs: 0 });
      expect(client.discard(MAX_STREAM_POSITION_NANOS)).toBe(true);
      expect(() => client.discard(1)).toThrow(invalidArgument);
      expect(client.position).toBe(MAX_STREAM_POSITION_NANOS);
      expect(client.close()).toBe(true);
      await settle();
      expect(server.types()).toEqual(['open', 'discarded', 'close']);
    });
  });

  describe('callbacks', () => {
    it('never lets a throw escape a timer callback: the session fails with error 500 instead', async () => {
      const manual = new ManualClock(1_700_000_000_000);
      let broken = false;
      const clock: Clock = {
        now: () => {
          if (broken) throw new Error('clock broke');
          return manual.now();
        },
        setTimeout: (callback, ms) => manual.setTimeout(callback, ms),
        clearTimeout: (handle) => manual.clearTimeout(handle),
      };
      const { client, server } = await open({ clock, initialPingDelayMs: 1000 });
      const seen: [string, number][] = [];
      client.on('protocolError', (error, code) => seen.push([error.code, code]));
      broken = true;
      await expect(manual.advance(1000)).resolves.toBeUndefined(); // the ping timer
      broken = false;
      expect(server.errors()).toEqual([
        { code: 500, message: 'Internal client error (ping timer): clock broke' },
      ]);
      expect(server.last()).toMatchObject({ type: 'close', parameters: { reason: 'error' } });
      expect(seen).toEqual([[AudioHookErrorCode.Internal, 500]]);
      server.send('closed');
      expect((await client.finished).error?.code).toBe(500);
    });

    it('never lets a throw escape a transport callback: the session ends instead', async () => {
      let handlers: Parameters<InMemoryTransport['attach']>[0] | undefined;
      let closes = 0;
      const broken = (what: string) => () => {
        throw new Error(`${what} broke`);
      };
      const client = new ClientSession({
        transport: {
          attach: (h) => (handlers = h),
          sendText: () => undefined,
          sendBinary: () => undefined,
          close: () => {
            closes++;
            throw new Error('socket broke');
          },
          pause: () => undefined,
          resume: () => undefined,
        },
        organizationId: ORG_ID,
        sessionId: SESSION_ID,
        clock: new ManualClock(0),
        pingIntervalMs: 0,
        logger: {
          debug: broken('logger'),
          info: broken('logger'),
          warn: broken('logger'),
          error: broken('logger'),
        },
      });
      const frame = (type: string, seq: number, parameters: object = {}) =>
        JSON.stringify({ version: '2', id: SESSION_ID, type, seq, clientseq: seq, parameters });
      void client.start();
      expect(() => handlers?.onText(frame('opened', 1, { media: [] }))).not.toThrow();
      expect(client.close()).toBe(true);
      expect(() => handlers?.onText(frame('closed', 2))).not.toThrow(); // its close() throws
      expect(closes).toBeGreaterThan(0);
      expect(() => handlers?.onBinary(new Uint8Array(1))).not.toThrow();
      expect(() => handlers?.onClose(1005, '')).not.toThrow();
      const result = await client.finished;
      expect(result.closed).toEqual({});
      expect(result.error).toMatchObject({ code: 500, message: /socket broke/ });
    });
  });

  describe('sequence numbers and arguments', () => {
    it('does not use up a seq when a message cannot be serialized', async () => {
      const { client, server } = await open({ pingIntervalMs: 0 });
      const tooLarge = expect.objectContaining({ code: AudioHookErrorCode.MessageTooLarge });
      expect(() => client.sendDtmf('1'.repeat(70_000))).toThrow(tooLarge);
      expect(() => client.sendError(429, 'x'.repeat(70_000))).toThrow(tooLarge);
      expect(client.update('fr-FR')).toBe(true);
      await settle();
      expect(server.received.map((m) => [m['seq'], m['type']])).toEqual([
        [1, 'open'],
        [2, 'update'],
      ]);
      expect(client.continuation().clientseq).toBe(2);
    });

    it('keeps the library server in step after a message it refused to send', async () => {
      const { client, server } = withServer();
      await client.start();
      expect(() => client.sendDtmf('1'.repeat(70_000))).toThrow(
        expect.objectContaining({ code: AudioHookErrorCode.MessageTooLarge }),
      );
      client.update('fr-FR');
      await settle();
      expect(server.state).toBe('ACTIVE');
      expect(client.state).toBe('OPEN');
      client.close();
    });

    it('rejects invalid scripting arguments with AUDIOHOOK_ERR_INVALID_ARGUMENT before sending anything', async () => {
      const { client, server } = await open({ pingIntervalMs: 0 });
      const calls: [string, () => unknown][] = [
        ['error code below 400', () => client.sendError(200, 'bad code')],
        ['error code above 9999', () => client.sendError(10_000, 'bad code')],
        ['fractional error code', () => client.sendError(400.5, 'bad code')],
        ['negative retryAfter', () => client.sendError(429, 'slow down', -1)],
        ['NaN retryAfter', () => client.sendError(429, 'slow down', NaN)],
        ['non-string message', () => client.sendError(500, 42 as unknown as string)],
        ['language with a space', () => client.update('en US')],
        ['empty language', () => client.update('')],
        ['empty digit', () => client.sendDtmf('')],
        ['unknown playback', () => client.sendPlayback('paused' as 'started')],
        ['unknown close reason', () => client.close('bye' as 'end')],
      ];
      for (const [name, call] of calls) {
        let thrown: unknown;
        try {
          call();
        } catch (error) {
          thrown = error;
        }
        expect([name, (thrown as AudioHookError | undefined)?.code]).toEqual([
          name,
          AudioHookErrorCode.InvalidArgument,
        ]);
      }
      expect(client.sendError(9999, 'edge', 0)).toBe(true);
      await settle();
      expect(server.received.map((m) => [m['seq'], m['type']])).toEqual([
        [1, 'open'],
        [2, 'error'],
      ]);
      expect(client.state).toBe('OPEN');
    });

    it('rejects an invalid open language or parameters before sending open', () => {
      expect(() => setup({ language: 'en US' })).toThrow(invalidArgument);
      let deep: Record<string, unknown> = {};
      for (let i = 0; i < 100; i++) deep = { deep };
      const { client, server } = setup({ customConfig: deep });
      expect(() => client.start()).toThrow(invalidArgument);
      expect(client.state).toBe('PREPARING');
      expect(server.received).toEqual([]);
      expect(client.continuation().clientseq).toBe(0);
    });
  });
});
