// Appending to the gateway's own WAV recordings (a 44-byte header, then the data) from any
// instance: each append opens the file, writes the audio over the old pad byte, the new pad byte
// and then the header with the new sizes, and closes it, so the file is valid after every append
// and no handle is kept. Past a size limit, audio continues in `<name>_part2.wav`, ...

import { open, stat, type FileHandle } from 'node:fs/promises';
import { WAV_HEADER_BYTES, encodeWavHeader, wavBlockAlign, type WavFormat } from '@org/audio';
import { GatewayError, GatewayErrorCode } from './errors';

async function writeAll(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await handle.write(
      data,
      written,
      data.length - written,
      position + written,
    );
    written += bytesWritten;
  }
}

/** The 32 bytes after `RIFF<size>` that fix a file's format (WAVE, fmt chunk, `data`). */
function formatBytes(header: Uint8Array): string {
  return Buffer.from(header.subarray(8, 40)).toString('hex');
}

/** The format and data size of one of our files, or undefined when it does not exist. */
export async function readWavHeader(
  path: string,
): Promise<{ format: WavFormat; dataBytes: number } | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const header = Buffer.alloc(WAV_HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, WAV_HEADER_BYTES, 0);
    if (bytesRead === 0) return undefined;
    if (bytesRead < WAV_HEADER_BYTES || header.toString('latin1', 0, 4) !== 'RIFF') {
      throw new GatewayError(
        GatewayErrorCode.Recording,
        `${path} is not a recording of this gateway`,
      );
    }
    const tag = header.readUInt16LE(20);
    return {
      format: {
        encoding: tag === 7 ? 'ulaw' : tag === 6 ? 'alaw' : 'pcm16',
        sampleRate: header.readUInt32LE(24),
        channels: header.readUInt16LE(22),
      },
      dataBytes: header.readUInt32LE(40),
    };
  } finally {
    await handle.close();
  }
}

/** Appends whole frames of `format` audio to `path`, creating the file if needed. */
async function appendOne(path: string, format: WavFormat, data: Uint8Array): Promise<void> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r+');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // A new file; another instance may create it at the same moment.
    handle = await open(path, 'wx+').catch((raced: NodeJS.ErrnoException) => {
      if (raced.code !== 'EEXIST') throw raced;
      return open(path, 'r+');
    });
  }
  try {
    const header = new Uint8Array(WAV_HEADER_BYTES);
    const { bytesRead } = await handle.read(header, 0, WAV_HEADER_BYTES, 0);
    let dataBytes = 0;
    if (bytesRead > 0) {
      if (formatBytes(encodeWavHeader(format, 0)) !== formatBytes(header))
        throw new GatewayError(GatewayErrorCode.Recording, `${path} holds audio of another format`);
      dataBytes = Buffer.from(header).readUInt32LE(40);
    }
    await writeAll(handle, data, WAV_HEADER_BYTES + dataBytes);
    const total = dataBytes + data.length;
    if (total % 2 === 1) await writeAll(handle, new Uint8Array(1), WAV_HEADER_BYTES + total);
    await writeAll(handle, encodeWavHeader(format, total), 0);
  } finally {
    await handle.close();
  }
}

/** `name.wav` (part 1), `name_part2.wav`, ... */
export function partPath(first: string, part: number): string {
  return part === 1 ? first : first.replace(/(\.wav)?$/i, `_part${part}$1`);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/**
 * Appends `data` (whole frames of `format`) to the recording whose first file is `first`; with
 * `maxFileBytes`, the last part is filled up to that size and the rest goes to new parts.
 */
export async function appendWav(
  first: string,
  format: WavFormat,
  data: Uint8Array,
  maxFileBytes?: number,
): Promise<void> {
  if (data.length === 0) return;
  if (maxFileBytes === undefined) return appendOne(first, format, data);
  const frame = wavBlockAlign(format);
  const capacity = Math.max(frame, maxFileBytes - WAV_HEADER_BYTES - 1);
  let part = 1;
  while (await exists(partPath(first, part + 1))) part += 1;
  let offset = 0;
  while (offset < data.length) {
    const path = partPath(first, part);
    const used = (await readWavHeader(path))?.dataBytes ?? 0;
    const room = Math.floor((capacity - used) / frame) * frame;
    if (room <= 0) {
      part += 1;
      continue;
    }
    const take = Math.min(room, data.length - offset);
    await appendOne(path, format, data.subarray(offset, offset + take));
    offset += take;
  }
}
