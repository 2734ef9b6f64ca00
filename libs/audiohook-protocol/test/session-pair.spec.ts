import {
  ClientSession,
  ServerSession,
  createAudioHookHeaders,
  iterableMediaSource,
  parseAudioHookHeaders,
  toneMediaSource,
  transcriptEntity,
  verifySignature,
  type AudioFrame,
  type ClientSessionOptions,
  type MediaParameter,
  type MediaSource,
  type ServerSessionOptions,
  type TranscriptData,
} from '../src';
import { ManualClock, createTransportPair } from '../src/testing';
import { ORG_ID, settle } from './helpers';

type PairClientOptions = Omit<Partial<ClientSessionOptions>, 'media'> & {
  /** `undefined` = no media at all; absent = a 1 s tone. */
  media?: MediaSource | undefined;
};

function pair(
  serverOptions: Partial<ServerSessionOptions> = {},
  clientOptions: PairClientOptions = {},
) {
  const { media: given, ...rest } = clientOptions;
  const media =
    'media' in clientOptions ? given : toneMediaSource({ durationMs: 1000, realtime: false });
  const clock = new ManualClock(1_700_000_000_000);
  const [serverSide, clientSide] = createTransportPair();
  const server = new ServerSession({
    transport: serverSide,
    clock,
    unauthorizedDelayMs: 0,
    ...serverOptions,
  });
  const client = new ClientSession({
    transport: clientSide,
    organizationId: ORG_ID,
    clock,
    ...(media === undefined ? {} : { media }),
    ...rest,
  });
  return { server, client, clock };
}

describe('a server session talking to a client session', () => {
  it('opens, streams a 1 s tone, closes cleanly and finalizes both sides', async () => {
    const { server, client } = pair();
    const frames: AudioFrame[] = [];
    server.on('audio', (frame) => frames.push(frame));
    const opened = await client.start();
    expect(opened?.parameters.media).toEqual([
      { type: 'audio', format: 'PCMU', rate: 8000, channels: ['external', 'internal'] },
    ]);
    const result = await client.finished;
    await server.finished;
    expect(result).toMatchObject({ clean: true, closeReason: 'end', audioBytes: 16000 });
    expect(frames).toHaveLength(5);
    expect(frames[0]?.channelLinear('internal')).toHaveLength(1600);
    expect(server.position).toBe(1_000_000_000);
    expect(server.clientPosition).toBe(1_000_000_000);
    expect(server.state).toBe('DISCONNECTED');
  });

  it('pings with RTT on the schedule and the server answers every ping', async () => {
    const { server, client, clock } = pair({}, { media: undefined });
    const rtts: (number | undefined)[] = [];
    server.on('ping', (rtt) => rtts.push(rtt));
    await client.start();
    await clock.advance(6000);
    expect(rtts).toEqual([undefined, 0, 0]);
    client.close();
    expect((await client.finished).rtts).toEqual([0, 0, 0]);
  });

  it('pauses and resumes the audio on server request, keeping both timelines equal', async () => {
    const gates = [0, 1].map(() => {
      let open!: () => void;
      const promise = new Promise<void>((r) => (open = r));
      return { promise, open };
    });
    const media: MediaParameter = {
      type: 'audio',
      format: 'PCMU',
      rate: 8000,
      channels: ['external'],
    };
    const frame = (): Uint8Array => new Uint8Array(800).fill(0xff);
    async function* frames() {
      yield frame();
      await gates[0]?.promise;
      for (let i = 0; i < 3; i++) yield frame(); // while paused: lost, reported as discarded
      await gates[1]?.promise;
      for (let i = 0; i < 2; i++) yield frame();
    }
    const { server, client } = pair(
      {},
      { media: iterableMediaSource(frames(), media), pingIntervalMs: 0 },
    );
    const states: string[] = [];
    server.on('state', (s) => states.push(s));
    await client.start();
    await settle();
    server.pause();
    await settle();
    gates[0]?.open();
    await settle();
    expect(server.state).toBe('PAUSED');
    server.resume();
    await settle();
    gates[1]?.open();
    const result = await client.finished;
    await server.finished;
    expect(states).toEqual([
      'OPENING',
      'ACTIVE',
      'PAUSED',
      'ACTIVE',
      'CLOSING',
      'CLOSED',
      'FINALIZING',
      'DISCONNECTED',
    ]);
    expect(result.position).toBe(600_000_000);
    expect(server.position).toBe(600_000_000);
    expect(server.timeline.samples).toBe(2400);
  });

  it('delivers paced transcript events to the client before closed', async () => {
    const { server, client, clock } = pair(
      { events: { burst: 2, ratePerSecond: 5 } },
      { media: undefined, pingIntervalMs: 0 },
    );
    const transcripts: TranscriptData[] = [];
    client.on('transcript', (t) => transcripts.push(t));
    server.addCloseHandler(() => {
      for (let i = 0; i < 4; i++) {
        server.sendEvent([
          transcriptEntity({
            id: '2f5e6c1a-8a0b-4f62-9b1e-0d2c3b4a5f60',
            channelId: 0,
            isFinal: true,
            offset: 'PT0S',
            duration: 'PT1S',
            alternatives: [
              { confidence: 0.9, interpretations: [{ type: 'display', transcript: `t${i}` }] },
            ],
          }),
        ]);
      }
    });
    await client.start();
    client.close();
    await clock.advance(1000);
    const result = await client.finished;
    expect(result.clean).toBe(true);
    expect(transcripts.map((t) => t.alternatives[0]?.interpretations[0]?.transcript)).toEqual([
      't0',
      't1',
      't2',
      't3',
    ]);
  });

  it('ends a session the server disconnects with close(disconnect) and closed', async () => {
    const { server, client } = pair({}, { media: undefined });
    server.addOpenHandler(({ session }) => {
      queueMicrotask(() => session.disconnect('completed', 'bot finished', { action: 'transfer' }));
    });
    await client.start();
    const result = await client.finished;
    expect(result).toMatchObject({
      clean: true,
      closeReason: 'disconnect',
      disconnect: {
        reason: 'completed',
        info: 'bot finished',
        outputVariables: { action: 'transfer' },
      },
    });
  });

  it('runs a connection probe end to end without audio', async () => {
    const { server, client } = pair({ probe: { media: 'none' } }, { probe: true });
    const opened = await client.start();
    expect(opened?.parameters.media).toEqual([]);
    const result = await client.finished;
    expect(server.isProbe).toBe(true);
    expect(result).toMatchObject({ clean: true, audioBytes: 0 });
  });

  it('moves to a new connection when the server asks to reconnect', async () => {
    const { server, client } = pair(
      {},
      { media: undefined, onReconnect: 'close', pingIntervalMs: 0 },
    );
    await client.start();
    server.reconnect('draining');
    const result = await client.finished;
    expect(result.closeReason).toBe('reconnect');
    expect(client.continuation()).toEqual({ id: client.id, serverseq: 3, clientseq: 2 });
    const next = pair({}, { media: undefined, continuedSessions: [client.continuation()] });
    await next.client.start();
    expect(next.server.openMessage?.parameters.continuedSessions).toEqual([client.continuation()]);
    next.client.close();
    await next.client.finished;
  });

  it('authenticates the upgrade headers in the session (session strategy)', async () => {
    const clock = new ManualClock(1_700_000_000_000);
    const apiKey = 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh';
    const secret = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';
    const sessionId = '01890a5d-ac96-774b-bcce-b302099a8057';
    const request = {
      url: '/api/v1/audiohook/ws',
      headers: {
        host: 'localhost:8080',
        ...createAudioHookHeaders({
          organizationId: ORG_ID,
          sessionId,
          correlationId: 'e160e428-53e2-487c-977d-96989bf5c99d',
          apiKey,
          clientSecret: secret,
          requestTarget: '/api/v1/audiohook/ws',
          authority: 'localhost:8080',
          clock,
        }),
      },
    };
    for (const [known, expected] of [
      [secret, 'ACTIVE'],
      ['AAAA', 'UNAUTHORIZED'],
    ] as const) {
      const headers = parseAudioHookHeaders(request.headers);
      const verification = verifySignature(request, { clock, resolveSecret: () => known });
      const { server, client } = pair(
        { id: headers.sessionId, organizationId: headers.organizationId, clock },
        { sessionId: headers.sessionId, media: undefined, pingIntervalMs: 0, clock },
      );
      server.addAuthenticator(async () => {
        const result = await verification;
        return result.ok ? true : `${result.code}: ${result.reason}`;
      });
      const infos: string[] = [];
      const states: string[] = [];
      client.on('disconnect', (d) => infos.push(d.info ?? ''));
      server.on('state', (state) => states.push(state));
      await client.start();
      await settle();
      expect(states).toContain(expected);
      if (expected === 'UNAUTHORIZED') expect(infos).toEqual(['FAILED: Signatures do not match']);
      client.close();
      await client.finished;
    }
  });
});
