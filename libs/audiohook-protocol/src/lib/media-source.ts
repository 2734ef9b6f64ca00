// Audio sources for the client session: a tone, a WAV file, or any (async) iterable of frames.

import { ToneGenerator, encodeUlaw, parseWav, type WavFile } from './audio';
import { type Clock, systemClock } from './clock';
import { AudioHookError, AudioHookErrorCode } from './errors';
import { frameBytes, mediaEquals } from './media';
import { type MediaChannel, type MediaParameter } from './schemas';

/**
 * Where a client session gets its audio. `frames` yields binary frames (whole samples,
 * interleaved in the selected channel order) and paces itself.
 *
 * @example
 * ```ts
 * const source: MediaSource = toneMediaSource({ durationMs: 3000 });
 * ```
 */
export interface MediaSource {
  /** Formats offered in `open`, in order of preference. */
  readonly offeredMedia: readonly MediaParameter[];
  /**
   * `true`: the source's clock keeps running while paused, so audio during a pause is lost and
   * reported as `discarded` (live call audio, the tone). `false`: pausing only delays the audio
   * (a file).
   */
  readonly live: boolean;
  /** Frames in the selected format. Called once, after `opened`. */
  frames(selected: MediaParameter): AsyncIterable<Uint8Array>;
}

const PCMU = (channels: MediaChannel[]): MediaParameter => ({
  type: 'audio',
  format: 'PCMU',
  rate: 8000,
  channels,
});

/**
 * Pacing shared by the tone and WAV sources.
 *
 * @example
 * ```ts
 * const pacing: PacingOptions = { realtime: false }; // as fast as possible, e.g. in tests
 * toneMediaSource({ durationMs: 1000, ...pacing });
 * ```
 */
export interface PacingOptions {
  /** Frame length in ms. @default 200 */
  readonly frameMs?: number;
  /** Send frames in real time (`false`: as fast as they are pulled, for tests). @default true */
  readonly realtime?: boolean;
  /** Time source for pacing. @default systemClock */
  readonly clock?: Clock;
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}

async function* paced(
  options: PacingOptions,
  produce: (frameIndex: number) => Uint8Array | undefined,
): AsyncGenerator<Uint8Array> {
  const clock = options.clock ?? systemClock;
  const frameMs = options.frameMs ?? 200;
  const realtime = options.realtime ?? true;
  let next = clock.now();
  for (let i = 0; ; i++) {
    if (realtime) {
      const wait = next - clock.now();
      if (wait > 0) await sleep(clock, wait);
      next += frameMs;
    }
    const frame = produce(i);
    if (frame === undefined) return;
    yield frame;
  }
}

function interleaveForSelection(
  channelData: readonly Uint8Array[],
  sourceChannels: readonly MediaChannel[],
  selected: MediaParameter,
): Uint8Array {
  const frames = channelData[0]?.length ?? 0;
  const out = new Uint8Array(frames * selected.channels.length);
  selected.channels.forEach((name, c) => {
    const index = Math.max(0, sourceChannels.indexOf(name));
    const data = channelData[Math.min(index, channelData.length - 1)] as Uint8Array;
    for (let f = 0, i = c; f < frames; f++, i += selected.channels.length) {
      out[i] = data[f] as number;
    }
  });
  return out;
}

/**
 * Options of {@link toneMediaSource}.
 *
 * @example
 * ```ts
 * const options: ToneSourceOptions = { frequency: 440, levelDbfs: -6, durationMs: 3000 };
 * const media = toneMediaSource(options);
 * ```
 */
export interface ToneSourceOptions extends PacingOptions {
  /** Tone frequency in Hz. @default 1000 */
  readonly frequency?: number;
  /** Peak level in dBFS. @default -2 */
  readonly levelDbfs?: number;
  /** Stop after this much audio (ms); `undefined` = endless. */
  readonly durationMs?: number;
  /** Formats to offer. @default stereo [external, internal], then [external], then [internal] */
  readonly offeredMedia?: readonly MediaParameter[];
}

/**
 * A PCMU sine tone (1 kHz at -2 dBFS by default, like the reference client), the same on every
 * channel. A live source: its clock runs while paused.
 *
 * @example
 * ```ts
 * const client = new ClientSession({ transport, organizationId, media: toneMediaSource({ durationMs: 5000 }) });
 * ```
 */
export function toneMediaSource(options: ToneSourceOptions = {}): MediaSource {
  const offeredMedia = options.offeredMedia ?? [
    PCMU(['external', 'internal']),
    PCMU(['external']),
    PCMU(['internal']),
  ];
  return {
    offeredMedia,
    live: true,
    frames(selected) {
      if (selected.format !== 'PCMU') {
        throw new AudioHookError(AudioHookErrorCode.MediaSource, 'the tone source sends PCMU');
      }
      const tone = new ToneGenerator({
        frequency: options.frequency ?? 1000,
        sampleRate: selected.rate,
        levelDbfs: options.levelDbfs ?? -2,
      });
      const frameSamples = Math.round(((options.frameMs ?? 200) * selected.rate) / 1000);
      const total =
        options.durationMs === undefined
          ? Infinity
          : Math.round((options.durationMs * selected.rate) / 1000);
      let produced = 0;
      return paced(options, () => {
        const samples = Math.min(frameSamples, total - produced);
        if (samples <= 0) return undefined;
        produced += samples;
        const mono = encodeUlaw(tone.next(samples));
        if (selected.channels.length === 1) return mono;
        return interleaveForSelection(
          selected.channels.map(() => mono),
          selected.channels,
          selected,
        );
      });
    },
  };
}

/**
 * Options of {@link wavMediaSource}.
 *
 * @example
 * ```ts
 * const options: WavSourceOptions = { realtime: false };
 * const media = wavMediaSource(wavBytes, options);
 * ```
 */
export type WavSourceOptions = PacingOptions;

/**
 * Streams a WAV file (PCMU or 16-bit PCM, 8000 Hz, mono or stereo) as PCMU. A stereo file is
 * taken as [external, internal]; when the server picks one channel, only that channel is sent
 * (the reference sends the stereo bytes as if they were mono). Not live: pausing delays the file.
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_MEDIA_SOURCE` for a file this source cannot send.
 *
 * @example
 * ```ts
 * const media = wavMediaSource(await readFile('call.wav'));
 * ```
 */
export function wavMediaSource(bytes: Uint8Array, options: WavSourceOptions = {}): MediaSource {
  let wav: WavFile;
  try {
    wav = parseWav(bytes, { recover: true });
  } catch (cause) {
    throw new AudioHookError(AudioHookErrorCode.MediaSource, 'cannot read the WAV file', { cause });
  }
  const { encoding, sampleRate, channels } = wav.format;
  if (sampleRate !== 8000 || channels < 1 || channels > 2 || encoding === 'alaw') {
    throw new AudioHookError(
      AudioHookErrorCode.MediaSource,
      `the WAV file must be 8000 Hz PCMU or 16-bit PCM, mono or stereo (got ${encoding}, ${sampleRate} Hz, ${channels} channels)`,
    );
  }
  const pcmu =
    encoding === 'ulaw'
      ? wav.data
      : encodeUlaw(
          new Int16Array(
            wav.data.buffer.slice(wav.data.byteOffset, wav.data.byteOffset + wav.data.length),
          ),
        );
  const sourceChannels: MediaChannel[] = channels === 2 ? ['external', 'internal'] : ['external'];
  const perChannel: Uint8Array[] = sourceChannels.map((_, c) => {
    const out = new Uint8Array(wav.frames);
    for (let f = 0, i = c; f < wav.frames; f++, i += channels) out[f] = pcmu[i] as number;
    return out;
  });
  const offeredMedia =
    channels === 2
      ? [PCMU(['external', 'internal']), PCMU(['external']), PCMU(['internal'])]
      : [PCMU(['external']), PCMU(['internal'])];
  return {
    offeredMedia,
    live: false,
    frames(selected) {
      if (selected.format !== 'PCMU') {
        throw new AudioHookError(AudioHookErrorCode.MediaSource, 'the WAV source sends PCMU');
      }
      // A mono file sent on the channel the server picked.
      const names: readonly MediaChannel[] = channels === 2 ? sourceChannels : selected.channels;
      const frameSamples = Math.round(((options.frameMs ?? 200) * 8000) / 1000);
      return paced(options, (i) => {
        const start = i * frameSamples;
        if (start >= wav.frames) return undefined;
        const end = Math.min(start + frameSamples, wav.frames);
        const slices = perChannel.map((d) => d.subarray(start, end));
        return interleaveForSelection(
          channels === 2 ? slices : selected.channels.map(() => slices[0] as Uint8Array),
          names,
          selected,
        );
      });
    },
  };
}

/**
 * Options of {@link iterableMediaSource}.
 *
 * @example
 * ```ts
 * const options: IterableSourceOptions = { live: false }; // a recording: pauses lose nothing
 * const media = iterableMediaSource(frames, stereo, options);
 * ```
 */
export interface IterableSourceOptions {
  /** Whether the iterable's clock runs while paused. @default true */
  readonly live?: boolean;
}

/**
 * Sends frames from any (async) iterable: a microphone, a TTS stream, a test vector. The frames
 * must already be in the offered format (the first offered entry is the one they are in) and
 * pace themselves.
 *
 * @example
 * ```ts
 * const media = iterableMediaSource(frames(), { type: 'audio', format: 'PCMU', rate: 8000, channels: ['external'] });
 * ```
 */
export function iterableMediaSource(
  frames: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  media: MediaParameter,
  options: IterableSourceOptions = {},
): MediaSource {
  return {
    offeredMedia: [media],
    live: options.live ?? true,
    async *frames(selected) {
      if (!mediaEquals(selected, media)) {
        throw new AudioHookError(AudioHookErrorCode.MediaSource, 'selected media was not offered');
      }
      const unit = frameBytes(media);
      for await (const frame of frames) {
        if (frame.length % unit !== 0) {
          throw new AudioHookError(
            AudioHookErrorCode.MediaSource,
            `a frame of ${frame.length} bytes is not whole ${unit}-byte samples`,
          );
        }
        yield frame;
      }
    },
  };
}
