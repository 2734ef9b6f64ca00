// Audio of a server session. From the client: binary frames are accepted as audio only while
// ACTIVE with media selected and whole samples for every channel; everything else is a protocol
// error (or ignored by option); audio the client sent before it read the server's `disconnect`
// is still audio. To the client (Audio Connector): whole frames of the media.

import { AudioHookError, AudioHookErrorCode } from '../errors';
import { AudioFrame, frameBytes } from '../media';
import type { ServerCore } from './core';
import type { ServerSessionState } from './types';

const LITTLE_ENDIAN = { l16ByteOrder: 'le' } as const;
const BIG_ENDIAN = { l16ByteOrder: 'be' } as const;

/** Turns the client's binary frames into audio frames, and sends server audio. @internal */
export class AudioPath {
  readonly #core: ServerCore;
  readonly #disconnectOutsideActive: boolean;
  readonly #frameOptions: { readonly l16ByteOrder: 'le' | 'be' };
  /**
   * True when the server sent `disconnect` while audio was flowing (ACTIVE): frames the client
   * had already sent keep arriving until it reads the `disconnect`, and are still audio.
   */
  #audioInFlight = false;

  constructor(core: ServerCore) {
    const options = core.options;
    this.#core = core;
    this.#disconnectOutsideActive = (options.audioOutsideActive ?? 'disconnect') === 'disconnect';
    this.#frameOptions = options.l16ByteOrder === 'be' ? BIG_ENDIAN : LITTLE_ENDIAN;
  }

  /** The server sent `disconnect`; `wasActive`: audio was flowing then. */
  disconnectSent(wasActive: boolean): void {
    this.#audioInFlight = wasActive;
  }

  /** Handles one binary frame. */
  accept(data: Uint8Array): void {
    const core = this.#core;
    const state = core.state;
    if (state !== 'ACTIVE' && !this.#acceptsLateAudio(state)) {
      const early = state === 'PREPARING' || state === 'OPENING' || state === 'PAUSED';
      if (early && this.#disconnectOutsideActive) {
        core.protocolError(
          `Received audio in state ${state}`,
          new AudioHookError(AudioHookErrorCode.ProtocolViolation, `audio in state ${state}`),
        );
      } else core.log('debug', 'audio ignored', { state, bytes: data.length });
      return;
    }
    const media = core.open.selectedMedia;
    if (media === undefined) {
      core.protocolError(
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
        core.log('debug', 'late audio frame ignored', { state, bytes: data.length });
        return;
      }
      core.protocolError(`Binary data not a valid audio frame. Error: ${err.message}`, err);
      return;
    }
    core.acceptAudio(frame);
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
    const state = this.#core.state;
    const media = this.#core.open.selectedMedia;
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
    this.#core.transport.sendBinary(data);
  }
}
