// L16 recordings over a real socket: the WAV holds little-endian samples whatever byte order the
// client sends (`L16_BYTE_ORDER`).

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseWav } from '@org/audio';
import { RawClient } from './helpers/raw-client';
import { startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';

const MONO_L16 = { type: 'audio', format: 'L16', channels: ['external'], rate: 8000 } as const;
const SAMPLES = [0, 1, -2, 300, -32768, 32767, 0x1234, -0x1234];

function encode(samples: readonly number[], littleEndian: boolean, repeat: number): Uint8Array {
  const bytes = new Uint8Array(samples.length * 2 * repeat);
  const view = new DataView(bytes.buffer);
  for (let r = 0; r < repeat; r++) {
    samples.forEach((s, i) => view.setInt16((r * samples.length + i) * 2, s, littleEndian));
  }
  return bytes;
}

async function recordL16(byteOrder: 'le' | 'be'): Promise<Int16Array> {
  let server: TestServer | undefined;
  try {
    server = await startTestServer({ L16_BYTE_ORDER: byteOrder });
    const client = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY });
    await client.opened;
    client.open({ media: [MONO_L16] });
    expect((await client.waitFor('opened')).parameters['media']).toEqual([MONO_L16]);
    // 200 ms frames (1,600 samples, 3,200 bytes), as Genesys sends them.
    for (let i = 0; i < 3; i++) client.sendRaw(encode(SAMPLES, byteOrder === 'le', 200));
    await client.finish();
    await server.app.stop();
    const wavName = (await readdir(server.directory)).find((f) => f.endsWith('.wav')) as string;
    const wav = parseWav(new Uint8Array(await readFile(join(server.directory, wavName))));
    expect(wav.format).toEqual({ encoding: 'pcm16', sampleRate: 8000, channels: 1 });
    const data = new DataView(wav.data.buffer, wav.data.byteOffset, wav.data.byteLength);
    return Int16Array.from({ length: wav.data.byteLength / 2 }, (_, i) =>
      data.getInt16(i * 2, true),
    );
  } finally {
    await server?.stop();
  }
}

describe('L16 recordings', () => {
  it.each(['le', 'be'] as const)(
    'holds the samples the client sent, little-endian, with L16_BYTE_ORDER=%s',
    async (byteOrder) => {
      const samples = await recordL16(byteOrder);
      expect(samples).toHaveLength(4800);
      expect(Array.from(samples.subarray(0, SAMPLES.length))).toEqual(SAMPLES);
      expect(Array.from(samples.subarray(4800 - SAMPLES.length))).toEqual(SAMPLES);
    },
  );
});
