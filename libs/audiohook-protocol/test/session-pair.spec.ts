import {
  ClientSession,
  ManualClock,
  ServerSession,
  createTransportPair,
  toneMediaSource,
  type AudioFrame,
} from '../src';
import { ORG_ID, settle } from './helpers';

function pair(clock = new ManualClock(1_700_000_000_000)) {
  const [serverSide, clientSide] = createTransportPair();
  const server = new ServerSession({ transport: serverSide, clock, unauthorizedDelayMs: 0 });
  const client = new ClientSession({
    transport: clientSide,
    organizationId: ORG_ID,
    clock,
    media: toneMediaSource({ durationMs: 1000, realtime: false }),
  });
  return { server, client, clock, serverSide, clientSide };
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
    expect(server.position).toBe(1_000_000_000);
    expect(server.state).toBe('DISCONNECTED');
    await settle();
  });
});
