// Validation of decoded VoiceVARequest messages into a discriminated union the gateway can switch on.

import { z } from 'zod';
import type { DTMFDigits__Output } from '../generated/com/cisco/wcc/ccai/media/v1/DTMFDigits';
import type { _com_cisco_wcc_ccai_media_v1_EventInput_EventType__Output as EventInputType } from '../generated/com/cisco/wcc/ccai/media/v1/EventInput';
import type { VoiceInput__Output } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceInput';
import type { VoiceVARequest__Output } from '../generated/com/cisco/wcc/ccai/media/v1/VoiceVARequest';
import { dtmfDigitToKey, type DtmfKey } from './dtmf';
import { ByovaError, ByovaErrorCode } from './errors';
import { OVERSIZED_REQUEST } from './request-size';
import { fromStruct, type JsonObject } from './struct';

/** A WxCC event type (EventInput.EventType). */
export type ByovaEventType = EventInputType;

/** The input a request carries (the `voice_va_input_type` oneof). */
export type ByovaInput =
  | { readonly kind: 'audio'; readonly audio: VoiceInput__Output }
  | {
      readonly kind: 'dtmf';
      readonly events: readonly DTMFDigits__Output[];
      /** The keys, in the order pressed (ZERO is '0', STAR '*', POUND '#'). */
      readonly keys: readonly DtmfKey[];
    }
  | {
      readonly kind: 'event';
      readonly type: ByovaEventType;
      readonly name: string;
      readonly parameters: JsonObject;
    }
  /** No member of the oneof is set: a request that only carries the envelope. */
  | { readonly kind: 'none' };

/** A validated request. */
export interface ByovaRequest {
  readonly conversationId: string;
  readonly customerOrgId: string;
  /** Empty when WxCC did not name an agent. */
  readonly virtualAgentId: string;
  readonly allowPartialResponses: boolean;
  readonly vendorSpecificConfig: string;
  readonly input: ByovaInput;
}

/** Longest conversation id accepted. */
export const MAX_CONVERSATION_ID_LENGTH = 256;

const envelope = z.object({
  conversation_id: z
    .string()
    .min(1, 'conversation_id is required')
    .max(MAX_CONVERSATION_ID_LENGTH, `conversation_id is longer than ${MAX_CONVERSATION_ID_LENGTH}`)
    // eslint-disable-next-line no-control-regex
    .regex(/^[^\u0000-\u001f\u007f]+$/, 'conversation_id contains control characters'),
  customer_org_id: z.string().max(256, 'customer_org_id is longer than 256'),
  virtual_agent_id: z.string().max(512, 'virtual_agent_id is longer than 512'),
});

/**
 * Validates a decoded `VoiceVARequest` (decoded with {@link BYOVA_LOADER_OPTIONS}).
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_REQUEST` when the envelope is invalid (missing or
 * oversized `conversation_id`...) or the request was not decoded for its size outside caller audio
 * (more than the server's limit, 64 KiB by default: a DTMF entry of 65,536 keys...) or its number of
 * `audio_input` records, `BYOVA_ERR_INVALID_DTMF` for a DTMF event that is not a key.
 * @example
 * ```ts
 * const request = parseVoiceVARequest(message);
 * if (request.input.kind === 'dtmf') handleDigits(request.input.keys.join(''));
 * ```
 */
export function parseVoiceVARequest(message: VoiceVARequest__Output): ByovaRequest {
  const oversized = (message as { [OVERSIZED_REQUEST]?: string })[OVERSIZED_REQUEST];
  if (oversized !== undefined) throw new ByovaError(ByovaErrorCode.InvalidRequest, oversized);
  const checked = envelope.safeParse({
    conversation_id: message.conversation_id ?? '',
    customer_org_id: message.customer_org_id ?? '',
    virtual_agent_id: message.virtual_agent_id ?? '',
  });
  if (!checked.success) {
    throw new ByovaError(
      ByovaErrorCode.InvalidRequest,
      checked.error.issues.map((issue) => issue.message).join('; '),
    );
  }
  return {
    conversationId: message.conversation_id,
    customerOrgId: message.customer_org_id,
    virtualAgentId: message.virtual_agent_id,
    allowPartialResponses: message.allow_partial_responses,
    vendorSpecificConfig: message.vendor_specific_config,
    input: parseInput(message),
  };
}

function parseInput(message: VoiceVARequest__Output): ByovaInput {
  switch (message.voice_va_input_type) {
    case 'audio_input':
      if (message.audio_input == null) break;
      return { kind: 'audio', audio: message.audio_input };
    case 'dtmf_input': {
      const events = message.dtmf_input?.dtmf_events ?? [];
      return { kind: 'dtmf', events, keys: events.map(dtmfDigitToKey) };
    }
    case 'event_input': {
      const event = message.event_input;
      if (event == null) break;
      return {
        kind: 'event',
        type: event.event_type,
        name: event.name,
        parameters: fromStruct(event.parameters),
      };
    }
    default:
      break;
  }
  return { kind: 'none' };
}
