// Event entities (spec §10): transcript, agentassist, barge_in, bot_turn_response. The `event`
// message accepts any entity type; these schemas validate and build the documented ones.

import { z } from 'zod';
import { isDuration } from './duration';
import { toIssues } from './codec';
import { AudioHookError, AudioHookErrorCode } from './errors';
import { UUID_PATTERN, type EventEntity } from './schemas';

const uuid = z.string().regex(UUID_PATTERN, { message: 'Invalid UUID' });
const duration = z.string().refine(isDuration, { message: 'Invalid duration (PT<seconds>S)' });
const confidence = z.number().min(0).max(1);

const token = z.object({
  type: z.literal('word'),
  value: z.string(),
  confidence,
  offset: duration,
  duration,
  language: z.string().optional(),
});

const interpretation = z.object({
  type: z.literal('display'),
  transcript: z.string(),
  tokens: z.array(token).optional(),
});

const alternative = z.object({
  confidence,
  languages: z.array(z.string()).optional(),
  interpretations: z.array(interpretation),
});

/**
 * Schema of `transcript` entity data (Transcription Connector).
 *
 * @example
 * ```ts
 * const data = transcriptDataSchema.parse(entity.data);
 * logger.info(data.alternatives[0]?.interpretations[0]?.transcript);
 * ```
 */
export const transcriptDataSchema = z.object({
  id: uuid,
  channelId: z.union([z.literal(0), z.literal(1)]),
  isFinal: z.boolean(),
  offset: duration.optional(),
  duration: duration.optional(),
  alternatives: z.array(alternative).min(1),
});

const utterance = z.object({
  id: z.string(),
  position: duration,
  duration: duration.optional(),
  text: z.string(),
  language: z.string(),
  confidence,
  channel: z.enum(['external', 'internal']),
  isFinal: z.boolean(),
});

const faq = z.object({
  type: z.literal('faq'),
  id: z.string(),
  confidence,
  position: duration.optional(),
  question: z.string(),
  answer: z.string(),
});

const article = z.object({
  type: z.literal('article'),
  id: z.string(),
  confidence,
  position: duration.optional(),
  title: z.string(),
  excerpts: z.array(z.string()),
  documentUri: z.string(),
  metadata: z.record(z.string(), z.string()).optional(),
});

/**
 * Schema of `agentassist` entity data (experimental).
 *
 * @example
 * ```ts
 * agentAssistDataSchema.safeParse(entity.data).success;
 * ```
 */
export const agentAssistDataSchema = z.object({
  id: uuid,
  utterances: z.array(utterance).optional(),
  suggestions: z.array(z.discriminatedUnion('type', [faq, article])).optional(),
});

/**
 * Schema of `bot_turn_response` entity data (Audio Connector).
 *
 * @example
 * ```ts
 * botTurnResponseDataSchema.parse({ disposition: 'no_input' });
 * ```
 */
export const botTurnResponseDataSchema = z.object({
  disposition: z.enum(['no_input', 'no_match', 'match']),
  text: z.string().optional(),
  confidence: confidence.optional(),
});

/**
 * Schema of `barge_in` entity data (Audio Connector): an empty object.
 *
 * @example
 * ```ts
 * bargeInDataSchema.parse({}); // barge_in carries no data
 * ```
 */
export const bargeInDataSchema = z.object({});

/**
 * Data of a `transcript` entity.
 *
 * @example
 * ```ts
 * client.on('transcript', (data: TranscriptData) => logger.info(data.isFinal, data.alternatives[0]?.confidence));
 * ```
 */
export type TranscriptData = z.output<typeof transcriptDataSchema>;
/**
 * Data of an `agentassist` entity.
 *
 * @example
 * ```ts
 * const data: AgentAssistData = { id: utteranceId, utterances: [] };
 * session.sendEvent([agentAssistEntity(data)]);
 * ```
 */
export type AgentAssistData = z.output<typeof agentAssistDataSchema>;
/**
 * Data of a `bot_turn_response` entity.
 *
 * @example
 * ```ts
 * const data: BotTurnResponseData = { disposition: 'match', text: 'yes' };
 * session.sendEvent([botTurnResponseEntity(data)]);
 * ```
 */
export type BotTurnResponseData = z.output<typeof botTurnResponseDataSchema>;

/**
 * A documented entity, narrowed by `type`.
 *
 * @example
 * ```ts
 * const entity = validateEntity(raw) as KnownEntity;
 * if (entity.type === 'transcript') logger.info(entity.data.isFinal);
 * ```
 */
export type KnownEntity =
  | { readonly type: 'transcript'; readonly data: TranscriptData }
  | { readonly type: 'agentassist'; readonly data: AgentAssistData }
  | { readonly type: 'barge_in'; readonly data: Record<string, never> }
  | { readonly type: 'bot_turn_response'; readonly data: BotTurnResponseData };

const entitySchemas: Record<string, z.ZodType> = {
  transcript: transcriptDataSchema,
  agentassist: agentAssistDataSchema,
  barge_in: bargeInDataSchema,
  bot_turn_response: botTurnResponseDataSchema,
};

/**
 * Validates an entity of a documented type (`transcript`, `agentassist`, `barge_in`,
 * `bot_turn_response`). Entities of other types are returned unchanged (they are allowed).
 *
 * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_PARAMETERS` with the failing path.
 *
 * @example
 * ```ts
 * const entity = validateEntity(message.parameters.entities[0]);
 * if (entity.type === 'transcript') show(entity.data.alternatives[0]);
 * ```
 */
export function validateEntity(entity: EventEntity): KnownEntity | EventEntity {
  // Own keys only: `constructor`, `toString` or `__proto__` are other entity types, not schemas.
  const schema = Object.hasOwn(entitySchemas, entity.type) ? entitySchemas[entity.type] : undefined;
  if (schema === undefined) return entity;
  const parsed = schema.safeParse(entity.data);
  if (!parsed.success) {
    const issues = toIssues(parsed.error.issues, ['data']);
    throw new AudioHookError(
      AudioHookErrorCode.InvalidParameters,
      `invalid ${entity.type} entity: ${issues[0]?.path.join('.') ?? ''} ${issues[0]?.message ?? ''}`,
      { issues, messageType: 'event' },
    );
  }
  return { type: entity.type, data: parsed.data } as KnownEntity;
}

/**
 * Builds a `transcript` entity, validated.
 *
 * @example
 * ```ts
 * session.sendEvent([transcriptEntity({ id, channelId: 0, isFinal: true,
 *   offset: 'PT6.7S', duration: 'PT2.6S',
 *   alternatives: [{ confidence: 0.9, interpretations: [{ type: 'display', transcript: 'hi' }] }] })]);
 * ```
 */
export function transcriptEntity(data: TranscriptData): EventEntity {
  return validateEntity({ type: 'transcript', data }) as EventEntity;
}

/**
 * Builds a `barge_in` entity.
 *
 * @example
 * ```ts
 * session.sendEvent([bargeInEntity()]);
 * ```
 */
export function bargeInEntity(): EventEntity {
  return { type: 'barge_in', data: {} };
}

/**
 * Builds a `bot_turn_response` entity, validated.
 *
 * @example
 * ```ts
 * session.sendEvent([botTurnResponseEntity({ disposition: 'match', text: 'yes' })]);
 * ```
 */
export function botTurnResponseEntity(data: BotTurnResponseData): EventEntity {
  return validateEntity({ type: 'bot_turn_response', data }) as EventEntity;
}

/**
 * Builds an `agentassist` entity, validated.
 *
 * @example
 * ```ts
 * session.sendEvent([agentAssistEntity({ id: utteranceId, utterances })]);
 * ```
 */
export function agentAssistEntity(data: AgentAssistData): EventEntity {
  return validateEntity({ type: 'agentassist', data }) as EventEntity;
}
