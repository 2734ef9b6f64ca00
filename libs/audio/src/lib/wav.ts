// WAV (RIFF/WAVE) container: reading and header encoding. No I/O: bytes in, bytes out.

import { AudioError, AudioErrorCode, assertIntegerInRange } from './errors';

/** Sample encodings a WAV file can carry here. */
export type WavEncoding = 'pcm16' | 'ulaw' | 'alaw';

/** What the audio in a WAV file is. */
export interface WavFormat {
  /** `pcm16`: 16-bit little-endian linear PCM; `ulaw` / `alaw`: 8-bit G.711. */
  readonly encoding: WavEncoding;
  /** Samples per second per channel. */
  readonly sampleRate: number;
  /** Interleaved channels (1 to 16 for writing). */
  readonly channels: number;
}

/** A parsed WAV file. `data` is a view of the input: nothing is copied. */
export interface WavFile {
  readonly format: WavFormat;
  /** The `wFormatTag` as written: 1, 6, 7 or 0xFFFE (extensible). */
  readonly formatTag: number;
  /** Bytes per sample frame (all channels). */
  readonly blockAlign: number;
  /** Sample frames in `data`. */
  readonly frames: number;
  /** `frames / sampleRate`. */
  readonly durationSeconds: number;
  /** The audio bytes, interleaved, as stored (pcm16 is little-endian). */
  readonly data: Uint8Array;
  /**
   * Every chunk seen up to and including the later of `fmt ` and `data`, in file order (id,
   * offset of its header, declared size); at most {@link WAV_MAX_CHUNKS}.
   */
  readonly chunks: readonly WavChunkInfo[];
  /** True when `parseWav` had to repair sizes (only in `recover` mode). */
  readonly recovered: boolean;
}

/** One chunk of a RIFF file. */
export interface WavChunkInfo {
  readonly id: string;
  /** Offset of the chunk header (the id) from the start of the file. */
  readonly offset: number;
  /** The size field of the chunk (not counting the pad byte). */
  readonly size: number;
}

/** Options of {@link parseWav}. */
export interface ParseWavOptions {
  /**
   * Repair what an interrupted writer leaves behind instead of rejecting it: a RIFF or `data`
   * size that runs past the end of the input is clamped to it, a `data` chunk that is the last
   * chunk but shorter than the bytes after it is extended to them, and a partial sample frame at
   * the end is dropped. `recovered` tells whether anything was repaired.
   * @default false
   */
  readonly recover?: boolean;
}

/** Size of the canonical header written by {@link encodeWavHeader}. */
export const WAV_HEADER_BYTES = 44;

/**
 * Most chunks {@link parseWav} reads before it has found both `fmt ` and `data` (those two
 * included): a file needing more is refused with `AUDIO_ERR_WAV_TOO_MANY_CHUNKS`, so neither the
 * scan nor `chunks` grows with a file of millions of empty chunks.
 */
export const WAV_MAX_CHUNKS = 1024;

/** Largest `data` size the 32-bit RIFF size field can describe with a 44-byte header. */
export const WAV_MAX_DATA_BYTES = 0xffffffff - (WAV_HEADER_BYTES - 8) - 1;

const UNKNOWN_SIZE = 0xffffffff;
const TAG_PCM = 1;
const TAG_ALAW = 6;
const TAG_ULAW = 7;
const TAG_EXTENSIBLE = 0xfffe;
/** Bytes 2..15 of every KSDATAFORMAT_SUBTYPE_* GUID derived from a format tag. */
const SUBFORMAT_GUID_TAIL = [
  0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];

function fourCC(bytes: Uint8Array, offset: number): string {
  return String.fromCharCode(
    bytes[offset] as number,
    bytes[offset + 1] as number,
    bytes[offset + 2] as number,
    bytes[offset + 3] as number,
  );
}

function fail(code: AudioErrorCode, message: string, offset: number): never {
  throw new AudioError(code, message, { offset });
}

interface ParsedFormat {
  format: WavFormat;
  formatTag: number;
  blockAlign: number;
}

function encodingOfTag(tag: number): WavEncoding | undefined {
  if (tag === TAG_PCM) return 'pcm16';
  if (tag === TAG_ULAW) return 'ulaw';
  if (tag === TAG_ALAW) return 'alaw';
  return undefined;
}

function parseFormatChunk(
  view: DataView,
  bytes: Uint8Array,
  offset: number,
  size: number,
): ParsedFormat {
  const body = offset + 8;
  if (size < 16)
    fail(AudioErrorCode.WavChunkSize, `fmt chunk is ${size} bytes, at least 16 needed`, offset);
  const formatTag = view.getUint16(body, true);
  const channels = view.getUint16(body + 2, true);
  const sampleRate = view.getUint32(body + 4, true);
  const byteRate = view.getUint32(body + 8, true);
  const blockAlign = view.getUint16(body + 12, true);
  const bitsPerSample = view.getUint16(body + 14, true);

  let effectiveTag = formatTag;
  if (formatTag === TAG_EXTENSIBLE) {
    if (size < 40) {
      fail(AudioErrorCode.WavChunkSize, `extensible fmt chunk is ${size} bytes, 40 needed`, offset);
    }
    const extraSize = view.getUint16(body + 16, true);
    if (extraSize < 22) {
      fail(
        AudioErrorCode.WavInvalidFormat,
        `extensible fmt cbSize is ${extraSize}, 22 needed`,
        offset,
      );
    }
    const guid = body + 24;
    effectiveTag = view.getUint16(guid, true);
    const isStandardGuid = SUBFORMAT_GUID_TAIL.every((b, i) => bytes[guid + 2 + i] === b);
    if (!isStandardGuid || encodingOfTag(effectiveTag) === undefined) {
      fail(
        AudioErrorCode.WavUnsupportedFormat,
        `extensible sub-format ${effectiveTag} is not supported (PCM, u-law and A-law are)`,
        offset,
      );
    }
  }
  const encoding = encodingOfTag(effectiveTag);
  if (encoding === undefined) {
    fail(
      AudioErrorCode.WavUnsupportedFormat,
      `format tag ${formatTag} is not supported (1 PCM, 6 A-law, 7 u-law, 0xFFFE extensible are)`,
      offset,
    );
  }
  const expectedBits = encoding === 'pcm16' ? 16 : 8;
  if (bitsPerSample !== expectedBits) {
    fail(
      AudioErrorCode.WavUnsupportedFormat,
      `${encoding} with ${bitsPerSample} bits per sample is not supported (${expectedBits} is)`,
      offset,
    );
  }
  if (channels === 0) fail(AudioErrorCode.WavInvalidFormat, 'fmt declares 0 channels', offset);
  if (sampleRate === 0)
    fail(AudioErrorCode.WavInvalidFormat, 'fmt declares a sample rate of 0', offset);
  const expectedBlockAlign = (expectedBits / 8) * channels;
  if (blockAlign !== expectedBlockAlign) {
    fail(
      AudioErrorCode.WavInvalidFormat,
      `block align ${blockAlign} does not match ${channels} channel(s) of ${expectedBits}-bit samples (${expectedBlockAlign})`,
      offset,
    );
  }
  if (byteRate !== sampleRate * blockAlign) {
    fail(
      AudioErrorCode.WavInvalidFormat,
      `byte rate ${byteRate} does not match ${sampleRate} Hz x ${blockAlign} bytes (${sampleRate * blockAlign})`,
      offset,
    );
  }
  return { format: { encoding, sampleRate, channels }, formatTag, blockAlign };
}

/**
 * Parses a WAV file held in memory.
 *
 * Accepts format tags 1 (16-bit PCM), 6 (A-law), 7 (u-law) and 0xFFFE (extensible with one of
 * those sub-formats). Unknown chunks are skipped (with their pad byte when the size is odd).
 * Scanning stops once both `fmt ` and `data` have been found, so bytes after them (a chunk a
 * crashed writer started, trailing junk) do not matter. A `data` size of 0xFFFFFFFF (or a RIFF
 * size of 0 or 0xFFFFFFFF, used by streaming writers) means "to the end of the input".
 *
 * @throws AudioError with a `AUDIO_ERR_WAV_*` code for every malformed input, and
 * `AUDIO_ERR_WAV_TOO_MANY_CHUNKS` when more than {@link WAV_MAX_CHUNKS} chunks come before both
 * `fmt ` and `data` are found.
 *
 * @example
 * ```ts
 * const wav = parseWav(await readFile('call.wav'));
 * if (wav.format.encoding === 'ulaw') play(decodeUlaw(wav.data));
 * ```
 */
export function parseWav(bytes: Uint8Array, options: ParseWavOptions = {}): WavFile {
  const recover = options.recover ?? false;
  checkRiffHeader(bytes);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const riff = riffExtent(view, bytes.length, recover);
  const { format, data, chunks, position, ...scan } = scanChunks(bytes, view, riff.end, recover);
  let recovered = riff.recovered || scan.recovered;
  if (format === undefined)
    fail(AudioErrorCode.WavMissingFormat, 'no "fmt " chunk before the end of the file', position);
  if (data === undefined)
    fail(AudioErrorCode.WavMissingData, 'no "data" chunk before the end of the file', position);

  let dataLength = data.length;
  const partial = dataLength % format.blockAlign;
  if (partial !== 0) {
    if (!recover) {
      fail(
        AudioErrorCode.WavChunkSize,
        `data size ${dataLength} is not a whole number of ${format.blockAlign}-byte sample frames`,
        data.offset,
      );
    }
    // A partial frame is a cut-off write: drop it.
    dataLength -= partial;
    recovered = true;
  }
  const frames = dataLength / format.blockAlign;
  return {
    format: format.format,
    formatTag: format.formatTag,
    blockAlign: format.blockAlign,
    frames,
    durationSeconds: frames / format.format.sampleRate,
    data: bytes.subarray(data.start, data.start + dataLength),
    chunks,
    recovered,
  };
}

function checkRiffHeader(bytes: Uint8Array): void {
  if (bytes.length < 12) {
    fail(
      AudioErrorCode.WavTruncated,
      `input is ${bytes.length} bytes, a WAV header needs at least 12`,
      0,
    );
  }
  if (fourCC(bytes, 0) !== 'RIFF')
    fail(AudioErrorCode.WavNotRiff, `input starts with "${fourCC(bytes, 0)}", not "RIFF"`, 0);
  if (fourCC(bytes, 8) !== 'WAVE')
    fail(AudioErrorCode.WavNotWave, `RIFF form type is "${fourCC(bytes, 8)}", not "WAVE"`, 8);
}

/** Where the chunks end, by the RIFF size (or the input's end where that size is unknown). */
function riffExtent(
  view: DataView,
  inputLength: number,
  recover: boolean,
): { end: number; recovered: boolean } {
  const riffSize = view.getUint32(4, true);
  if (riffSize === 0 || riffSize === UNKNOWN_SIZE) return { end: inputLength, recovered: false };
  if (riffSize < 4)
    fail(AudioErrorCode.WavChunkSize, `RIFF size ${riffSize} is smaller than its form type`, 4);
  if (8 + riffSize > inputLength) {
    if (!recover) {
      fail(
        AudioErrorCode.WavTruncated,
        `RIFF size says ${8 + riffSize} bytes but the input has ${inputLength}`,
        4,
      );
    }
    return { end: inputLength, recovered: true };
  }
  // In recover mode bytes past a stale RIFF size are kept: an interrupted writer put them there.
  return { end: recover ? inputLength : 8 + riffSize, recovered: false };
}

interface ChunkScan {
  format: ParsedFormat | undefined;
  data: { start: number; length: number; offset: number } | undefined;
  chunks: WavChunkInfo[];
  /** Where scanning stopped. */
  position: number;
  recovered: boolean;
}

/** Walks the chunks until both `fmt ` and `data` are found. */
function scanChunks(bytes: Uint8Array, view: DataView, end: number, recover: boolean): ChunkScan {
  const scan: ChunkScan = {
    format: undefined,
    data: undefined,
    chunks: [],
    position: 12,
    recovered: false,
  };
  while (scan.position < end && (scan.format === undefined || scan.data === undefined)) {
    const position = scan.position;
    if (position + 8 > end) {
      fail(
        AudioErrorCode.WavTruncated,
        `chunk header at ${position} is cut off by the end of the file`,
        position,
      );
    }
    if (scan.chunks.length === WAV_MAX_CHUNKS) {
      fail(
        AudioErrorCode.WavTooManyChunks,
        `more than ${WAV_MAX_CHUNKS} chunks before both "fmt " and "data" were found`,
        position,
      );
    }
    const id = fourCC(bytes, position);
    const size = view.getUint32(position + 4, true);
    scan.chunks.push({ id, offset: position, size });
    const bodyStart = position + 8;
    const available = end - bodyStart;
    if (id === 'data') {
      const length = dataLength(bytes, position, size, end, recover, scan.format !== undefined);
      if (length !== size && size !== UNKNOWN_SIZE) scan.recovered = true;
      scan.data = { start: bodyStart, length, offset: position };
    } else if (size > available) {
      fail(
        AudioErrorCode.WavChunkSize,
        `"${id}" chunk says ${size} bytes but only ${available} follow`,
        position,
      );
    } else if (id === 'fmt ') {
      scan.format = parseFormatChunk(view, bytes, position, size);
    }
    scan.position = bodyStart + size + (size & 1);
  }
  return scan;
}

/** The usable length of the `data` chunk at `position` declaring `size` bytes. */
function dataLength(
  bytes: Uint8Array,
  position: number,
  size: number,
  end: number,
  recover: boolean,
  formatFound: boolean,
): number {
  const bodyStart = position + 8;
  const available = end - bodyStart;
  if (size === UNKNOWN_SIZE) return available;
  if (size > available) {
    if (!recover) {
      fail(
        AudioErrorCode.WavChunkSize,
        `data chunk says ${size} bytes but only ${available} follow`,
        position,
      );
    }
    return available;
  }
  if (recover && size < available && formatFound) {
    // A writer that stopped before patching the header leaves its audio after the declared
    // size. Only the last chunk can be extended: check that nothing parsable follows.
    const next = bodyStart + size + (size & 1);
    if (next + 8 > end || !/^[\x20-\x7e]{4}$/.test(fourCC(bytes, next))) return available;
  }
  return size;
}

/** Bytes per sample frame of a format. */
export function wavBlockAlign(format: WavFormat): number {
  return (format.encoding === 'pcm16' ? 2 : 1) * format.channels;
}

/** Checks a format for writing: known encoding, rate 1 Hz to 384 kHz, 1 to 16 channels. */
export function assertWavFormat(format: WavFormat): void {
  if (encodingOfTagName(format.encoding) === undefined) {
    throw new AudioError(
      AudioErrorCode.InvalidArgument,
      `unknown WAV encoding "${String(format.encoding)}"`,
    );
  }
  assertIntegerInRange('sampleRate', format.sampleRate, 1, 384000);
  assertIntegerInRange('channels', format.channels, 1, 16);
}

function encodingOfTagName(encoding: WavEncoding): number | undefined {
  if (encoding === 'pcm16') return TAG_PCM;
  if (encoding === 'ulaw') return TAG_ULAW;
  if (encoding === 'alaw') return TAG_ALAW;
  return undefined;
}

/**
 * Encodes the canonical 44-byte header (`RIFF`, a 16-byte `fmt `, `data`) for `dataBytes` bytes
 * of audio. An odd `dataBytes` is accounted for with the pad byte in the RIFF size. With
 * `target`, the header is written into its first 44 bytes.
 *
 * @throws AudioError `AUDIO_ERR_INVALID_ARGUMENT` for a bad format or `dataBytes`, or a `target`
 * shorter than 44 bytes.
 *
 * @example
 * ```ts
 * const header = encodeWavHeader({ encoding: 'ulaw', sampleRate: 8000, channels: 2 }, 8000);
 * ```
 */
export function encodeWavHeader(
  format: WavFormat,
  dataBytes: number,
  target?: Uint8Array,
): Uint8Array {
  assertWavFormat(format);
  assertIntegerInRange('dataBytes', dataBytes, 0, WAV_MAX_DATA_BYTES);
  if (target !== undefined && target.length < WAV_HEADER_BYTES) {
    throw new AudioError(
      AudioErrorCode.InvalidArgument,
      `header target is ${target.length} bytes, ${WAV_HEADER_BYTES} needed`,
    );
  }
  const header = target ?? new Uint8Array(WAV_HEADER_BYTES);
  const view = new DataView(header.buffer, header.byteOffset, WAV_HEADER_BYTES);
  const blockAlign = wavBlockAlign(format);
  const write4 = (offset: number, text: string): void => {
    for (let i = 0; i < 4; i++) header[offset + i] = text.charCodeAt(i);
  };
  write4(0, 'RIFF');
  view.setUint32(4, WAV_HEADER_BYTES - 8 + dataBytes + (dataBytes & 1), true);
  write4(8, 'WAVE');
  write4(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, encodingOfTagName(format.encoding) as number, true);
  view.setUint16(22, format.channels, true);
  view.setUint32(24, format.sampleRate, true);
  view.setUint32(28, format.sampleRate * blockAlign, true);
  view.setUint16(32, blockAlign, true);
  view.setUint16(34, format.encoding === 'pcm16' ? 16 : 8, true);
  write4(36, 'data');
  view.setUint32(40, dataBytes, true);
  return header;
}

/**
 * Builds a complete WAV file in memory: header, data, and the pad byte if the length is odd.
 *
 * @example
 * ```ts
 * await writeFile('tone.wav', encodeWav({ encoding: 'pcm16', sampleRate: 16000, channels: 1 }, int16ToL16(samples)));
 * ```
 */
export function encodeWav(format: WavFormat, data: Uint8Array): Uint8Array {
  const file = new Uint8Array(WAV_HEADER_BYTES + data.length + (data.length & 1));
  encodeWavHeader(format, data.length, file);
  file.set(data, WAV_HEADER_BYTES);
  return file;
}
