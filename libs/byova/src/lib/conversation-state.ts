// What a conversation must remember between its short-lived ProcessCallerInput streams, as
// plain JSON: the same on one instance and across instances sharing a store.

import { z } from 'zod';
import type { DTMFDigits } from '../generated/com/cisco/wcc/ccai/media/v1/DTMFDigits';
import type { InputHandlingConfig } from '../generated/com/cisco/wcc/ccai/media/v1/InputHandlingConfig';
import type { InputPreferences } from './connector';
import { dtmfDigitToKey } from './dtmf';
import { ByovaError, ByovaErrorCode } from './errors';
import type { JsonObject } from './struct';

/** The state a later turn of a conversation needs. JSON-safe. */
export interface ConversationState {
  readonly conversationId: string;
  readonly agentId: string;
  readonly customerOrgId: string;
  /** YAML key of the connector serving the agent. */
  readonly connectorKey: string;
  /** Epoch ms. */
  readonly startedAt: number;
  /** Epoch ms of the last request or stream end. */
  readonly lastActivityAt: number;
  /** SESSION_START was answered. */
  readonly welcomed: boolean;
  /** Between START_OF_DTMF and the DTMF entry: caller audio is not analysed. */
  readonly dtmfMode: boolean;
  /** Turns handled (speech, DTMF entries, events). */
  readonly turns: number;
  /** The input configuration last sent to WxCC (its terminator is stripped from DTMF entries). */
  readonly input: InputPreferences;
  /** The prompt last sent may be interrupted by the caller. */
  readonly bargeIn: boolean;
  /** The connector session's {@link ConnectorSession.snapshot} ({} when it keeps nothing). */
  readonly connector: JsonObject;
}

const count = z.number().int().min(0);
const isDtmfDigit = (value: unknown): value is DTMFDigits => {
  if (typeof value !== 'string' && typeof value !== 'number') return false;
  if (value === 'DTMF_EVENT_UNSPECIFIED' || value === 0) return true;
  try {
    dtmfDigitToKey(value as DTMFDigits);
    return true;
  } catch {
    return false;
  }
};

const inputHandlingConfig = z
  .object({
    dtmf_config: z
      .object({
        inter_digit_timeout_msec: count.optional(),
        termchar: z.custom<DTMFDigits>(isDtmfDigit, 'not a DTMF digit').optional(),
        dtmf_input_length: count.optional(),
      })
      .nullable()
      .optional(),
    speech_timers: z
      .object({
        max_speech_timeout_msec: count.optional(),
        complete_timeout_msec: count.optional(),
        incomplete_timeout_msec: count.optional(),
        no_input_timeout_msec: count.optional(),
      })
      .nullable()
      .optional(),
  })
  .transform((value) => value as InputHandlingConfig);

const jsonObject = z.custom<JsonObject>(
  (value) => value !== null && typeof value === 'object' && !Array.isArray(value),
  'not a JSON object',
);

const stateSchema = z.object({
  conversationId: z.string().min(1),
  agentId: z.string(),
  customerOrgId: z.string(),
  connectorKey: z.string(),
  startedAt: z.number().finite(),
  lastActivityAt: z.number().finite(),
  welcomed: z.boolean(),
  dtmfMode: z.boolean(),
  turns: count,
  input: z.object({
    inputMode: z.enum([
      'INPUT_VOICE_MODE_UNSPECIFIED',
      'INPUT_VOICE',
      'INPUT_EVENT_DTMF',
      'INPUT_VOICE_DTMF',
    ]),
    inputHandlingConfig,
  }),
  bargeIn: z.boolean(),
  connector: jsonObject,
});

/**
 * The state of a conversation that has just begun.
 *
 * @example
 * ```ts
 * const state = newConversationState({ conversationId, agentId, customerOrgId, connectorKey: connector.key, input: connector.input, now: Date.now() });
 * ```
 */
export function newConversationState(init: {
  readonly conversationId: string;
  readonly agentId: string;
  readonly customerOrgId: string;
  readonly connectorKey: string;
  readonly input: InputPreferences;
  readonly now: number;
}): ConversationState {
  return {
    conversationId: init.conversationId,
    agentId: init.agentId,
    customerOrgId: init.customerOrgId,
    connectorKey: init.connectorKey,
    startedAt: init.now,
    lastActivityAt: init.now,
    welcomed: false,
    dtmfMode: false,
    turns: 0,
    input: init.input,
    bargeIn: false,
    connector: {},
  };
}

/**
 * Validates a stored conversation state (e.g. read back from a shared store).
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_STATE` naming every problem.
 * @example
 * ```ts
 * const state = parseConversationState(JSON.parse(item.state));
 * ```
 */
export function parseConversationState(value: unknown): ConversationState {
  const result = stateSchema.safeParse(value);
  if (!result.success) {
    throw new ByovaError(
      ByovaErrorCode.InvalidState,
      `invalid conversation state: ${result.error.issues
        .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
        .join('; ')}`,
    );
  }
  return result.data;
}
