// Caller audio for the simulator: WAV files of any format the audio library reads, turned into
// 20 ms u-law 8 kHz frames, and a built-in speech-like test utterance.

import { readFileSync } from 'node:fs';
import { ToneGenerator, encodeUlaw, encodeWav, parseWav, toTelephonyUlaw } from '@org/audio';

/** Bytes of one 20 ms u-law frame at 8 kHz. */
export const FRAME_BYTES = 160;
export const FRAME_MS = 20;
/** u-law silence. */
export const ULAW_SILENCE = 0xff;

/** Reads a WAV file and converts it to u-law 8 kHz mono. */
export function loadCallerWav(path: string): Uint8Array {
  return toTelephonyUlaw(parseWav(readFileSync(path)));
}

/** A syllable-like test utterance: a 440 Hz tone at amplitude 9000 (trips energy VADs). */
export function testUtterance(speechMs = 1000): Uint8Array {
  const generator = new ToneGenerator({ frequency: 440, sampleRate: 8000, amplitude: 9000 });
  return encodeUlaw(generator.next(speechMs * 8));
}

/** Silence of `ms` milliseconds. */
export function silence(ms: number): Uint8Array {
  return new Uint8Array(ms * 8).fill(ULAW_SILENCE);
}

/** Splits audio into 20 ms frames (the last one padded with silence). */
export function frames(ulaw: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let offset = 0; offset < ulaw.length; offset += FRAME_BYTES) {
    const frame = new Uint8Array(FRAME_BYTES).fill(ULAW_SILENCE);
    frame.set(ulaw.subarray(offset, offset + FRAME_BYTES));
    out.push(frame);
  }
  return out;
}

/** Wraps u-law 8 kHz audio in a WAV file. */
export function ulawWav(ulaw: Uint8Array): Uint8Array {
  return encodeWav({ encoding: 'ulaw', sampleRate: 8000, channels: 1 }, ulaw);
}

/** Extracts the u-law audio of a prompt: a WAV in FINAL mode, raw u-law in CHUNK mode. */
export function promptAudio(audio: Uint8Array): { ulaw: Uint8Array; wav: boolean } {
  if (audio.length >= 12 && Buffer.from(audio.subarray(0, 4)).toString('latin1') === 'RIFF') {
    return { ulaw: toTelephonyUlaw(parseWav(audio)), wav: true };
  }
  return { ulaw: audio, wav: false };
}
