// Audio of a server session. From the client: binary frames are accepted as audio only while
// ACTIVE with media selected and whole samples for every channel; everything else is a protocol
// error (or ignored by option); audio the client sent before it read the server's `disconnect`
// is still audio. To the client (Audio Connector): whole frames of the media.

import { AudioHookError, AudioHookErrorCode } from '../errors';
import type { AudioHookLogger } from '../logger';
import { AudioFrame, frameBytes } from '../media';
import type { MediaParameter } from '../schemas';
import type { AudioHookTransport } from '../transport';
import type { ServerSessionOptions, ServerSessionState } from './types';

/** What the audio path needs from its session. @internal */
export interface AudioPathHost {
  readonly transport: AudioHookTransport;
  state(): ServerSessionState;
  /** The media selected in `opened`. */
  media(): MediaParameter | undefined;
  /** Ends the session with `disconnect` error, `info` after `Client Error: `. */
  protocolError(info: string, error: AudioHookError): void;
  /** A valid frame of audio. */
  audio(frame: AudioFrame): void;
  log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void;
}

/** Turns the client's binary frames into audio frames, and sends server audio. @internal */
export class AudioPath {
  readonly #host: AudioPathHost;
  readonly #disconnectOutsideActive: boolean;
  readonly #frameOptions: { readonly l16ByteOrder: 'le' | 'be' };
  /**
   * True when the server sent `disconnect` while audio was flowing (ACTIVE): frames the client
   * had already sent keep arriving until it reads the `disconnect`, and are still audio.
   */
  #audioInFlight = false;

  constructor(options: ServerSessionOptions, host: AudioPathHost) {
    this.#host = host;
    this.#disconnectOutsideActive = (options.audioOutsideActive ?? 'disconnect') === 'disconnect';
    this.#frameOptions = { l16ByteOrder: options.l16ByteOrder ?? 'le' };
  }

  /** The server sent `disconnect`; `wasActive`: audio was flowing then. */
  disconnectSent(wasActive: boolean): void {
    this.#audioInFlight = wasActive;
  }

  /** Handles one binary frame. */
  accept(data: Uint8Array): void {
    const host = this.#host;
    const state = host.state();
    if (state !== 'ACTIVE' && !this.#acceptsLateAudio(state)) {
      const early = state === 'PREPARING' || state === 'OPENING' || state === 'PAUSED';
      if (early && this.#disconnectOutsideActive) {
        host.protocolError(
          `Received audio in state ${state}`,
          new AudioHookError(AudioHookErrorCode.ProtocolViolation, `audio in state ${state}`),
        );
      } else host.log('debug', 'audio ignored', { state, bytes: data.length });
      return;
    }
    const media = host.media();
    if (media === undefined) {
      host.protocolError(
        'Received audio but no media was selected',
        new AudioHookError(AudioHookErrorCode.ProtocolViolation, 'audio without media'),
      );
      return;
    }
    let frame: AudioFrame;
    try {
      frame = new AudioFrame(data, media, this.#frameOptions);
    } catch (error) {
      const err = error as AudioHookError;
      if (state !== 'ACTIVE') {
        host.log('debug', 'late audio frame ignored', { state, bytes: data.length });
        return;
      }
      host.protocolError(`Binary data not a valid audio frame. Error: ${err.message}`, err);
      return;
    }
    host.audio(frame);
  }

  /**
   * Audio after the server's `disconnect` (the client sent it before reading the `disconnect`)
   * is still received audio, until the client's `close`; the recording must not lose it.
   */
  #acceptsLateAudio(state: ServerSessionState): boolean {
    return this.#audioInFlight && (state === 'DISCONNECTING' || state === 'SIGNALED-ERROR');
  }

  /**
   * Sends server audio as one binary frame of the selected media.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_STATE` when no media was selected or the session
   *   is not ACTIVE/PAUSED; `AUDIOHOOK_ERR_INVALID_AUDIO_FRAME` for a partial sample frame.
   */
  send(data: Uint8Array): void {
    const state = this.#host.state();
    const media = this.#host.media();
    if (media === undefined || (state !== 'ACTIVE' && state !== 'PAUSED')) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidState,
        `cannot send audio in state ${state}${media === undefined ? ' without media' : ''}`,
      );
    }
    if (data.length % frameBytes(media) !== 0) {
      throw new AudioHookError(
        AudioHookErrorCode.InvalidAudioFrame,
        `${data.length} bytes are not whole sample frames of the selected media`,
      );
    }
    this.#host.transport.sendBinary(data);
  }
}
