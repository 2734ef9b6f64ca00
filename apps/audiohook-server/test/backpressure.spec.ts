import { MemoryWavSink, parseWav, WavWriter, type WavSink } from '@org/audio';
import { RawClient } from './helpers/raw-client';
import { startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';

/** A disk that takes 20 ms per write, keeping what it was given in memory. */
class SlowSink implements WavSink {
  readonly memory = new MemoryWavSink();
  async write(data: Uint8Array, position: number): Promise<void> {
    await new Promise((resolve) => setTimeout(resolve, 20));
    await this.memory.write(data, position);
  }
  async close(): Promise<void> {
    await this.memory.close();
  }
}

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

describe('back-pressure on a slow disk', () => {
  it('stops reading the socket while the recording is behind, and loses nothing', async () => {
    const sinks: SlowSink[] = [];
    server = await startTestServer(
      { MAX_BUFFERED_BYTES: '16384', RECORDING_FLUSH_BYTES: '0' },
      {
        openWav: (_path, format, options) => {
          const sink = new SlowSink();
          sinks.push(sink);
          return WavWriter.open(sink, format, options);
        },
      },
    );
    const client = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY });
    await client.opened;
    client.open();
    await client.waitFor('opened');
    const frames = Array.from({ length: 40 }, (_, i) => new Uint8Array(3200).fill(i));
    for (const frame of frames) client.sendRaw(frame);
    client.send('ping', {}, 'PT8S');
    await client.waitFor('pong', 20_000);
    await client.finish();
    await server.app.stop();

    const messages = server.log.lines().map((l) => l['msg']);
    expect(messages).toContain('recording is behind: reading paused');
    expect(messages).toContain('recording caught up: reading resumed');
    const wav = parseWav((sinks[0] as SlowSink).memory.bytes());
    expect(wav.data.length).toBe(40 * 3200);
    for (let i = 0; i < 40; i++) expect(wav.data[i * 3200 + 1599]).toBe(i);
  });
});
