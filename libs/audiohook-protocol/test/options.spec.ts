import {
  AudioHookErrorCode,
  ClientSession,
  ServerSession,
  type AudioHookTransport,
  type ClientSessionOptions,
  type ServerSessionOptions,
} from '../src';
import { createTransportPair } from '../src/testing';
import { ORG_ID, openParameters, serverWithRawClient, settle } from './helpers';

const invalidArgument = expect.objectContaining({ code: AudioHookErrorCode.InvalidArgument });

describe('session options', () => {
  it.each([
    ['a transport without methods', { transport: {} }],
    ['a negative open deadline', { openDeadlineMs: -1 }],
    ['a negative wait for open', { openWaitTimeoutMs: -1 }],
    ['an infinite close deadline', { closeDeadlineMs: Infinity }],
    ['a fractional queue bound', { events: { maxQueued: 1.5 } }],
    ['an unknown position mode', { positionMode: 'wallclock' }],
    ['an unknown probe media choice', { probe: { media: 'some' } }],
    ['a session id that is not a UUID', { id: 'abc' }],
  ])('rejects a server session with %s', (_name, patch) => {
    const [transport] = createTransportPair();
    expect(
      () => new ServerSession({ transport, ...patch } as unknown as ServerSessionOptions),
    ).toThrow(invalidArgument);
  });

  it.each([
    ['an organization id that is not a UUID', { organizationId: 'org' }],
    ['a session id that is not a UUID', { sessionId: 'x' }],
    ['a negative ping interval', { pingIntervalMs: -5 }],
    ['an unknown reconnect policy', { onReconnect: 'retry' }],
    ['a transport without methods', { transport: { attach: () => undefined } }],
  ])('rejects a client session with %s', (_name, patch) => {
    const [, transport] = createTransportPair();
    expect(
      () =>
        new ClientSession({
          transport,
          organizationId: ORG_ID,
          ...patch,
        } as unknown as ClientSessionOptions),
    ).toThrow(invalidArgument);
  });
});

describe('sending what cannot be sent', () => {
  it('refuses an event too large for one frame, synchronously', async () => {
    const { session, client } = serverWithRawClient();
    client.send('open', openParameters());
    await settle();
    expect(() => session.sendEvent([{ type: 'transcript', data: 'x'.repeat(70_000) }])).toThrow(
      expect.objectContaining({ code: AudioHookErrorCode.MessageTooLarge }),
    );
    expect(session.serverSeq).toBe(1);
  });

  it('keeps the sequence intact when a message cannot be serialized', async () => {
    const { session, client } = serverWithRawClient();
    client.send('open', openParameters());
    await settle();
    expect(session.disconnect('completed', undefined, { huge: 'y'.repeat(70_000) })).toBe(false);
    expect(session.state).toBe('ACTIVE');
    expect(session.pause()).toBe(true);
    await settle();
    expect(client.received.map((m) => m['seq'])).toEqual([1, 2]);
  });

  it('disconnects when opened itself cannot be sent', async () => {
    const { client } = serverWithRawClient({ supportedLanguages: ['x'.repeat(70_000)] });
    client.send('open', openParameters({ supportedLanguages: true }));
    await settle();
    expect(client.received.map((m) => m['parameters'])).toEqual([
      { reason: 'error', info: 'Server error: opened could not be sent' },
    ]);
  });

  it('survives a transport whose send throws', async () => {
    const [serverSide, clientSide] = createTransportPair();
    const throwing: AudioHookTransport = {
      attach: (h) => serverSide.attach(h),
      sendText: () => {
        throw new Error('socket gone');
      },
      sendBinary: () => undefined,
      close: (code, reason) => serverSide.close(code, reason),
      pause: () => serverSide.pause(),
      resume: () => serverSide.resume(),
    };
    const session = new ServerSession({ transport: throwing, unauthorizedDelayMs: 0 });
    clientSide.attach({
      onText: () => undefined,
      onBinary: () => undefined,
      onClose: () => undefined,
    });
    clientSide.sendText(
      JSON.stringify({
        version: '2',
        id: '6e1c4f3a-2b5d-4c8e-9f01-23456789abcd',
        type: 'ping',
        seq: 1,
        serverseq: 0,
        position: 'PT0S',
        parameters: {},
      }),
    );
    await settle();
    expect(session.stats.textSent).toBe(0);
    expect(session.state).toBe('PREPARING');
  });
});
