// Builders of VoiceVAResponse messages: event-only responses, WAV-mode replies (one FINAL whose
// prompts carry complete u-law 8 kHz WAV files) and CHUNK-mode replies (raw u-law chunks of
// 100 B to 64 KiB, then exactly one FINAL with empty audio).

import { encodeWav, type WavFormat } from '@org/audio';
import type { _com_cisco_wcc_ccai_media_v1_OutputEvent_EventType__Output as OutputEventType } from '../generated/com/cisco/wcc/ccai/media/v1/OutputEvent';
import type { InputHandlingConfig } from '../generated/com/cisco/wcc/ccai/media/v1/InputHandlingConfig';
import type { Prompt } from '../generated/com/cisco/wcc/ccai/media/v1/Prompt';
import type { VoiceVAInputMode__Output } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceVAInputMode';
import type { VoiceVAResponse } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceVAResponse';
import { ByovaError, ByovaErrorCode } from './errors';
import { toStruct, type JsonObject } from './struct';

/** The only audio format WxCC plays reliably: G.711 u-law, 8 kHz, mono. */
export const WXCC_AUDIO_FORMAT: WavFormat = Object.freeze({
  encoding: 'ulaw',
  sampleRate: 8000,
  channels: 1,
});
/** Smallest CHUNK prompt audio (Cisco). */
export const CHUNK_MIN_BYTES = 100;
/** Largest CHUNK prompt audio (Cisco). */
export const CHUNK_MAX_BYTES = 65536;
/** u-law silence, used to pad a final chunk shorter than {@link CHUNK_MIN_BYTES}. */
const ULAW_SILENCE = 0xff;

/** An output event type (OutputEvent.EventType). */
export type ByovaOutputEventType = OutputEventType;

/** One prompt of a reply. */
export interface ReplyPrompt {
  /** Transcript / display text. */
  readonly text?: string;
  /** Raw u-law 8 kHz audio (no header); absent for a text-only prompt. */
  readonly audio?: Uint8Array;
  /**
   * Whether the caller may interrupt it. Forced to false when the reply ends the session or
   * transfers (WxCC never interrupts those).
   * @default false
   */
  readonly bargeIn?: boolean;
}

/** The one output event of a response. */
export interface ReplyEvent {
  readonly type: ByovaOutputEventType;
  readonly name?: string;
  readonly metadata?: JsonObject;
}

/** What a virtual agent answers to one input. */
export interface TurnReply {
  readonly prompts: readonly ReplyPrompt[];
  /** At most one event: WxCC considers only the first. */
  readonly event?: ReplyEvent;
  /** Input mode of the next input (omitted in SESSION_END replies). */
  readonly inputMode?: VoiceVAInputMode__Output;
  /** Timers and DTMF collection of the next input (omitted in SESSION_END replies). */
  readonly inputHandlingConfig?: InputHandlingConfig;
  /** Marks the next input as sensitive (PCI). @default false */
  readonly inputSensitive?: boolean;
  /** Session transcript, for the last response of a session. */
  readonly transcript?: string;
  /** Session summary, for the last response of a session. */
  readonly summary?: string;
}

/** Whether an event ends the virtual agent's part of the call. */
export function isTerminalEvent(type: ByovaOutputEventType | undefined): boolean {
  return type === 'SESSION_END' || type === 'TRANSFER_TO_AGENT';
}

/**
 * Wraps raw u-law 8 kHz audio in a 44-byte WAV header (format tag 7), as WAV-mode prompts need.
 *
 * @example
 * ```ts
 * const wav = ulawToWav(encodeUlaw(samples));
 * ```
 */
export function ulawToWav(ulaw: Uint8Array): Uint8Array {
  return encodeWav(WXCC_AUDIO_FORMAT, ulaw);
}

/**
 * An event-only response, e.g. START_OF_INPUT (no prompt, no response type: FINAL on the wire).
 *
 * @example
 * ```ts
 * call.write(eventResponse('START_OF_INPUT'));
 * ```
 */
export function eventResponse(
  type: ByovaOutputEventType,
  name = '',
  metadata?: JsonObject,
): VoiceVAResponse {
  return {
    output_events: [
      metadata === undefined
        ? { event_type: type, name }
        : { event_type: type, name, metadata: toStruct(metadata) },
    ],
  };
}

function finalFields(reply: TurnReply): VoiceVAResponse {
  const response: VoiceVAResponse = { response_type: 'FINAL' };
  if (reply.event !== undefined) {
    response.output_events = [
      {
        event_type: reply.event.type,
        name: reply.event.name ?? '',
        ...(reply.event.metadata !== undefined ? { metadata: toStruct(reply.event.metadata) } : {}),
      },
    ];
  }
  if (reply.event?.type !== 'SESSION_END') {
    if (reply.inputMode !== undefined) response.input_mode = reply.inputMode;
    if (reply.inputHandlingConfig !== undefined) {
      response.input_handling_config = reply.inputHandlingConfig;
    }
    if (reply.inputSensitive === true) response.input_sensitive = true;
  }
  if (reply.transcript !== undefined) response.session_transcript = { text: reply.transcript };
  if (reply.summary !== undefined) response.session_summary = { text: reply.summary };
  return response;
}

/**
 * The whole reply as one FINAL response whose prompts carry complete u-law 8 kHz WAV files.
 *
 * @example
 * ```ts
 * call.write(buildWavReply({ prompts: [{ text: 'Hello', audio: ulaw, bargeIn: true }], inputMode: 'INPUT_VOICE_DTMF' }));
 * ```
 */
export function buildWavReply(reply: TurnReply): VoiceVAResponse {
  const terminal = isTerminalEvent(reply.event?.type);
  const prompts: Prompt[] = reply.prompts.map((prompt) => ({
    text: prompt.text ?? '',
    ...(prompt.audio !== undefined && prompt.audio.length > 0
      ? { audio_content: ulawToWav(prompt.audio) }
      : {}),
    is_barge_in_enabled: !terminal && prompt.bargeIn === true,
  }));
  return { ...finalFields(reply), prompts };
}

/** Options of {@link buildChunkReply}. */
export interface ChunkReplyOptions {
  /**
   * Audio bytes per CHUNK response (100 to 65536). Larger is better: WxCC plays chunks as they
   * come and they need no pacing.
   * @default 16000
   */
  readonly chunkBytes?: number;
}

/**
 * The reply as CHUNK responses of raw u-law audio, then exactly one FINAL with empty audio that
 * carries the event and the input configuration. A last piece shorter than 100 bytes is merged
 * into the previous chunk, or padded with u-law silence when it is the only one.
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_ARGUMENT` for a chunk size outside 100-65536.
 * @example
 * ```ts
 * for (const response of buildChunkReply(reply, { chunkBytes: 8000 })) call.write(response);
 * ```
 */
export function buildChunkReply(
  reply: TurnReply,
  options: ChunkReplyOptions = {},
): VoiceVAResponse[] {
  const chunkBytes = options.chunkBytes ?? 16000;
  if (
    !Number.isInteger(chunkBytes) ||
    chunkBytes < CHUNK_MIN_BYTES ||
    chunkBytes > CHUNK_MAX_BYTES
  ) {
    throw new ByovaError(
      ByovaErrorCode.InvalidArgument,
      `chunkBytes must be an integer from ${CHUNK_MIN_BYTES} to ${CHUNK_MAX_BYTES}, got ${chunkBytes}`,
    );
  }
  const terminal = isTerminalEvent(reply.event?.type);
  const responses: VoiceVAResponse[] = [];
  const textOnly: Prompt[] = [];
  for (const prompt of reply.prompts) {
    const bargeIn = !terminal && prompt.bargeIn === true;
    const audio = prompt.audio ?? new Uint8Array(0);
    if (audio.length === 0) {
      textOnly.push({ text: prompt.text ?? '', is_barge_in_enabled: bargeIn });
      continue;
    }
    for (const [i, piece] of splitAudio(audio, chunkBytes).entries()) {
      responses.push({
        response_type: 'CHUNK',
        prompts: [
          {
            text: i === 0 ? (prompt.text ?? '') : '',
            audio_content: piece,
            is_barge_in_enabled: bargeIn,
          },
        ],
      });
    }
  }
  responses.push({ ...finalFields(reply), prompts: textOnly });
  return responses;
}

function splitAudio(audio: Uint8Array, chunkBytes: number): Uint8Array[] {
  if (audio.length < CHUNK_MIN_BYTES) {
    const padded = new Uint8Array(CHUNK_MIN_BYTES).fill(ULAW_SILENCE);
    padded.set(audio);
    return [padded];
  }
  const pieces: Uint8Array[] = [];
  let offset = 0;
  while (offset < audio.length) {
    let end = Math.min(offset + chunkBytes, audio.length);
    const rest = audio.length - end;
    // Never leave a tail below the minimum: take it now if it fits, else split the remainder evenly.
    if (rest > 0 && rest < CHUNK_MIN_BYTES) {
      end = end - offset + rest <= CHUNK_MAX_BYTES ? audio.length : end - CHUNK_MIN_BYTES;
    }
    pieces.push(audio.subarray(offset, end));
    offset = end;
  }
  return pieces;
}
