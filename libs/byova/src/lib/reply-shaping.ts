// From a connector's answer to the responses on the wire: prompts without audio kept or dropped,
// the connector's input configuration filled in when the reply has none, and the connector's
// reply mode (one WAV FINAL, or CHUNKs and an empty FINAL).

import type { VoiceVAResponse } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceVAResponse';
import type { InputPreferences } from './connector';
import { buildChunkReply, buildWavReply, type TurnReply } from './responses';

/** How replies are shaped, from the gateway's settings and the connector. */
export interface ReplyShape {
  /** `drop` removes prompts that have no audio. @default 'send' */
  readonly textOnlyPrompts?: 'send' | 'drop';
  /** The input configuration a reply gets when it sets none. */
  readonly defaultInput: InputPreferences;
  /** One FINAL with WAV prompts, or raw CHUNKs and an empty FINAL. */
  readonly replyMode: 'wav' | 'chunk';
  /** Audio per CHUNK response (100 to 65536). @default 16000 */
  readonly chunkBytes?: number;
}

/**
 * The reply as it goes out: text-only prompts dropped when configured, the default input
 * configuration filled in.
 *
 * @example
 * ```ts
 * const effective = shapeReply(reply, { defaultInput: connector.input, replyMode: 'wav' });
 * ```
 */
export function shapeReply(reply: TurnReply, shape: ReplyShape): TurnReply {
  return {
    ...reply,
    prompts:
      shape.textOnlyPrompts === 'drop'
        ? reply.prompts.filter((p) => p.audio !== undefined && p.audio.length > 0)
        : reply.prompts,
    inputMode: reply.inputMode ?? shape.defaultInput.inputMode,
    inputHandlingConfig: reply.inputHandlingConfig ?? shape.defaultInput.inputHandlingConfig,
  };
}

/**
 * The responses of a shaped reply in the connector's reply mode.
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_ARGUMENT` for a chunk size outside 100-65536.
 * @example
 * ```ts
 * for (const response of replyResponses(effective, shape)) call.write(response);
 * ```
 */
export function replyResponses(reply: TurnReply, shape: ReplyShape): VoiceVAResponse[] {
  return shape.replyMode === 'chunk'
    ? buildChunkReply(reply, { chunkBytes: shape.chunkBytes ?? 16000 })
    : [buildWavReply(reply)];
}

/**
 * A FINAL without prompts that keeps the virtual agent listening: how event and DTMF turns the
 * connector does not answer are closed.
 *
 * @example
 * ```ts
 * call.write(plainFinal(state.input));
 * ```
 */
export function plainFinal(input: InputPreferences): VoiceVAResponse {
  return {
    response_type: 'FINAL',
    input_mode: input.inputMode,
    input_handling_config: input.inputHandlingConfig,
  };
}
