// Runtime validation (zod) of every AudioHook message and entity. Unknown extra fields are
// accepted and dropped; the older draft forms the spec lists are accepted when receiving.

import { z } from 'zod';
import { isDuration } from './duration';
import type { ClientMessageType, ServerMessageType } from './message-types';

/**
 * Any 8-4-4-4-12 hexadecimal UUID (any version, any variant, case-insensitive).
 *
 * @example
 * ```ts
 * UUID_PATTERN.test('01890a5d-ac96-774b-bcce-b302099a8057'); // true (v7 too)
 * ```
 */
export const UUID_PATTERN =
  /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * The reference implementation's UUID pattern: version 1-5, variant 8/9/a/b, or the nil UUID.
 *
 * @example
 * ```ts
 * STRICT_UUID_PATTERN.test('01890a5d-ac96-774b-bcce-b302099a8057'); // false (v7)
 * ```
 */
export const STRICT_UUID_PATTERN =
  /^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[1-5][0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}|00000000-0000-0000-0000-000000000000)$/;

/**
 * The nil UUID; a `conversationId` equal to it marks a connection probe.
 *
 * @example
 * ```ts
 * const isProbe = open.parameters.conversationId === NIL_UUID;
 * ```
 */
export const NIL_UUID = '00000000-0000-0000-0000-000000000000';

/**
 * Any BCP 47-style language tag: letters, digits and hyphens (`es`, `en-US`, `zh-Hans-CN`).
 *
 * @example
 * ```ts
 * LANGUAGE_PATTERN.test('zh-Hans-CN'); // true
 * ```
 */
export const LANGUAGE_PATTERN = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;

/**
 * The reference implementation's language pattern (`en-US`, `cmn-CN`).
 *
 * @example
 * ```ts
 * STRICT_LANGUAGE_PATTERN.test('en-US'); // true
 * STRICT_LANGUAGE_PATTERN.test('es'); // false
 * ```
 */
export const STRICT_LANGUAGE_PATTERN = /^[a-z]{2,3}-[a-zA-Z]{2,3}$/;

/**
 * The protocol version every message carries.
 *
 * @example
 * ```ts
 * const message = { version: PROTOCOL_VERSION, id, type: 'pong', seq, clientseq, parameters: {} };
 * ```
 */
export const PROTOCOL_VERSION = '2';

/**
 * Longest text message either side accepts, in characters.
 *
 * @example
 * ```ts
 * if (text.length > MAX_TEXT_MESSAGE_LENGTH) throw new Error('the peer would reject it');
 * ```
 */
export const MAX_TEXT_MESSAGE_LENGTH = 65_535;

/**
 * Deepest nesting accepted inside free-form JSON (`customConfig` values, entity `data`).
 *
 * @example
 * ```ts
 * // customConfig nested deeper than MAX_FREE_JSON_DEPTH levels is refused
 * logger.info(MAX_FREE_JSON_DEPTH); // 64
 * ```
 */
export const MAX_FREE_JSON_DEPTH = 64;

/** What {@link withoutProtoKeys} returns for a value nested too deeply. */
const TOO_DEEP: unique symbol = Symbol('too deep');

/**
 * `value` without any `"__proto__"` key at any depth, or {@link TOO_DEEP} when it nests more than
 * `levels` objects and arrays. JSON.parse makes such keys own data properties, harmless until a
 * consumer copies them with assignment (`Object.assign`, a loop), which would replace the copy's
 * prototype. Objects are copied only where something changes, so the caller's value is never
 * modified. One walk does both jobs.
 */
function withoutProtoKeys(value: unknown, levels: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (levels === 0) return TOO_DEEP;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const clean = withoutProtoKeys(item, levels - 1);
      if (clean === TOO_DEEP) return TOO_DEEP;
      if (clean !== item) (copy ??= [...value])[index] = clean;
    }
    return copy ?? value;
  }
  let changed = false;
  const kept: [string, unknown][] = [];
  for (const [key, item] of Object.entries(value)) {
    if (key === '__proto__') {
      changed = true;
      continue;
    }
    const clean = withoutProtoKeys(item, levels - 1);
    if (clean === TOO_DEEP) return TOO_DEEP;
    if (clean !== item) changed = true;
    kept.push([key, clean]);
  }
  // Object.fromEntries defines properties; it never invokes the __proto__ setter.
  return changed ? Object.fromEntries(kept) : value;
}

/**
 * Audio formats of the protocol.
 *
 * @example
 * ```ts
 * MEDIA_FORMATS.includes('PCMU'); // true
 * ```
 */
export const MEDIA_FORMATS = ['PCMU', 'L16'] as const;
/**
 * An audio format of the protocol.
 *
 * @example
 * ```ts
 * const format: MediaFormat = 'PCMU';
 * ```
 */
export type MediaFormat = (typeof MEDIA_FORMATS)[number];

/**
 * Channel names of the protocol: `external` = the customer, `internal` = the agent/bot side.
 *
 * @example
 * ```ts
 * MEDIA_CHANNELS.includes('external'); // true
 * ```
 */
export const MEDIA_CHANNELS = ['external', 'internal'] as const;
/**
 * A channel name.
 *
 * @example
 * ```ts
 * const customer: MediaChannel = 'external';
 * ```
 */
export type MediaChannel = (typeof MEDIA_CHANNELS)[number];

/**
 * Reasons of a client `close`.
 *
 * @example
 * ```ts
 * CLOSE_REASONS.includes(message.parameters.reason); // a documented reason?
 * ```
 */
export const CLOSE_REASONS = ['end', 'error', 'disconnect', 'reconnect'] as const;
/**
 * Reason of a client `close`.
 *
 * @example
 * ```ts
 * const reason: CloseReason = 'disconnect';
 * ```
 */
export type CloseReason = (typeof CLOSE_REASONS)[number];

/**
 * Reasons of a server `disconnect`.
 *
 * @example
 * ```ts
 * DISCONNECT_REASONS.includes('completed'); // true
 * ```
 */
export const DISCONNECT_REASONS = ['completed', 'unauthorized', 'error'] as const;
/**
 * Reason of a server `disconnect`.
 *
 * @example
 * ```ts
 * const reason: DisconnectReason = 'unauthorized';
 * ```
 */
export type DisconnectReason = (typeof DISCONNECT_REASONS)[number];

/**
 * Error codes the protocol documents for client `error` messages.
 *
 * @example
 * ```ts
 * CLIENT_ERROR_CODES.includes(408); // true
 * ```
 */
export const CLIENT_ERROR_CODES = [400, 405, 408, 409, 413, 415, 429, 500, 503] as const;
/**
 * A documented client error code.
 *
 * @example
 * ```ts
 * const timeout: ClientErrorCode = 408;
 * ```
 */
export type ClientErrorCode = (typeof CLIENT_ERROR_CODES)[number];

/**
 * How strictly received messages are validated.
 *
 * @example
 * ```ts
 * const options: ValidationOptions = { strict: true };
 * parseClientMessage(text, options);
 * ```
 */
export interface ValidationOptions {
  /**
   * `true`: the reference implementation's checks (UUID versions 1-5, `xx-XX` languages, only
   * the documented enum values, every `open.media` entry valid). `false` (lenient): any UUID,
   * any BCP 47-style language, unknown enum values accepted, unusable `open.media` entries
   * dropped instead of failing the whole `open`.
   * @default false
   */
  readonly strict?: boolean;
}

/** The building blocks every message schema shares. */
function buildPrimitives(strict: boolean) {
  const uuid = z
    .string()
    .regex(strict ? STRICT_UUID_PATTERN : UUID_PATTERN, { message: 'Invalid UUID' });
  const duration = z.string().refine(isDuration, { message: 'Invalid duration (PT<seconds>S)' });
  const language = z
    .string()
    .regex(strict ? STRICT_LANGUAGE_PATTERN : LANGUAGE_PATTERN, { message: 'Invalid language' });
  const nonNegativeInt = z.int().min(0);
  const stringMap = z.record(z.string(), z.string());
  // Free-form JSON: any value, nested at most MAX_FREE_JSON_DEPTH levels, "__proto__" keys dropped.
  const freeJson = z.unknown().transform((value, ctx) => {
    const clean = withoutProtoKeys(value, MAX_FREE_JSON_DEPTH);
    if (clean !== TOO_DEEP) return clean;
    ctx.addIssue({ code: 'custom', message: `Nested deeper than ${MAX_FREE_JSON_DEPTH} levels` });
    return z.NEVER;
  });
  const jsonObject = z.record(z.string(), freeJson);
  // The envelope only needs an object here; each type's parameter schema checks the contents.
  const parametersObject = z.record(z.string(), z.unknown());
  const extensible = <T extends readonly [string, ...string[]]>(values: T) =>
    strict ? z.enum(values as unknown as [string, ...string[]]) : z.string().min(1);
  const mediaParameter = z.object({
    type: z.literal('audio'),
    format: z.enum(MEDIA_FORMATS),
    rate: z.literal(8000),
    channels: z.array(z.enum(MEDIA_CHANNELS)).min(1).max(2),
  });
  const entity = z.object({ type: z.string().min(1), data: freeJson });
  return {
    uuid,
    duration,
    language,
    nonNegativeInt,
    stringMap,
    jsonObject,
    parametersObject,
    extensible,
    mediaParameter,
    entity,
  };
}

type Primitives = ReturnType<typeof buildPrimitives>;

/** Parameters of the client → server messages. */
function buildClientParameters(p: Primitives, strict: boolean) {
  const { uuid, duration, language, nonNegativeInt, mediaParameter } = p;
  // Lenient: an offer this library cannot use is dropped rather than failing the open.
  const offeredMedia = strict
    ? z.array(mediaParameter)
    : z.array(z.unknown()).transform((items) =>
        items.flatMap((item) => {
          const parsed = mediaParameter.safeParse(item);
          return parsed.success ? [parsed.data] : [];
        }),
      );

  const participant = z.object({
    id: uuid,
    ani: strict ? z.string() : z.string().default(''),
    aniName: strict ? z.string() : z.string().default(''),
    dnis: strict ? z.string() : z.string().default(''),
  });

  const continuedSession = z.object({
    id: uuid,
    serverseq: nonNegativeInt,
    clientseq: nonNegativeInt,
  });

  const open = z.object({
    organizationId: uuid,
    conversationId: uuid,
    participant,
    media: offeredMedia,
    language: language.optional(),
    supportedLanguages: z.boolean().optional(),
    continuedSessions: z.array(continuedSession).optional(),
    customConfig: p.jsonObject.optional(),
    inputVariables: p.stringMap.optional(),
  });
  const clientParameters = {
    open,
    close: z.object({ reason: p.extensible(CLOSE_REASONS) }),
    ping: z.object({ rtt: duration.optional() }),
    paused: z.object({}),
    resumed: z.object({ start: duration, discarded: duration }),
    discarded: z.object({ start: duration, discarded: duration }),
    update: z.object({ language: strict ? language : language.optional() }),
    error: z.object({
      code: z.int().min(400).max(9999),
      message: z.string(),
      retryAfter: duration.optional(),
    }),
    dtmf: z.object({ digit: z.string() }),
    playback_started: z.object({}),
    playback_completed: z.object({}),
    // Older draft forms (2022 era): empty parameters; tolerated, never produced.
    reconnecting: z.object({}),
    reconnected: z.object({}),
  };
  return { participant, continuedSession, clientParameters };
}

/** Parameters of the server → client messages. */
function buildServerParameters(p: Primitives) {
  const { duration, entity, mediaParameter, stringMap } = p;
  const eventParameters = z
    .object({
      entities: z.array(entity).optional(),
      // Older draft: a single `entity`.
      entity: entity.optional(),
    })
    .transform((value, ctx) => {
      const entities = value.entities ?? (value.entity === undefined ? undefined : [value.entity]);
      if (entities === undefined || entities.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['entities'],
          message: 'entities must be a non-empty array',
        });
        return z.NEVER;
      }
      return { entities };
    });

  const serverParameters = {
    opened: z.object({
      media: z.array(mediaParameter),
      startPaused: z.boolean().optional(),
      discardTo: duration.optional(),
      supportedLanguages: z.array(z.string()).optional(),
    }),
    closed: z.object({ outputVariables: stringMap.optional() }),
    pong: z.object({}),
    pause: z.object({}),
    resume: z.object({}),
    event: eventParameters,
    disconnect: z.object({
      reason: p.extensible(DISCONNECT_REASONS),
      info: z.string().optional(),
      outputVariables: stringMap.optional(),
    }),
    reconnect: z.object({
      info: z.string().optional(),
      // Older draft: `rebalance` | `error`.
      reason: z.string().optional(),
    }),
    updated: z.object({}),
  };
  return serverParameters;
}

/** Every schema of one validation mode. */
function build(strict: boolean) {
  const p = buildPrimitives(strict);
  const { uuid, duration, nonNegativeInt, parametersObject } = p;
  const { participant, continuedSession, clientParameters } = buildClientParameters(p, strict);
  const clientEnvelope = z.object({
    version: z.literal(PROTOCOL_VERSION),
    id: uuid,
    type: z.string().min(1),
    seq: nonNegativeInt,
    serverseq: nonNegativeInt,
    position: duration,
    parameters: parametersObject,
  });

  const serverEnvelope = z.object({
    version: z.literal(PROTOCOL_VERSION),
    id: uuid,
    type: z.string().min(1),
    seq: nonNegativeInt,
    clientseq: nonNegativeInt,
    parameters: parametersObject,
  });

  return {
    uuid,
    duration,
    language: p.language,
    mediaParameter: p.mediaParameter,
    participant,
    continuedSession,
    entity: p.entity,
    clientParameters,
    serverParameters: buildServerParameters(p),
    clientEnvelope,
    serverEnvelope,
  };
}

/**
 * The lenient schema set (the default).
 *
 * @example
 * ```ts
 * const media = schemas.mediaParameter.safeParse(value);
 * if (media.success) logger.info(media.data.format);
 * ```
 */
export const schemas = build(false);
/**
 * The strict (reference-equivalent) schema set.
 *
 * @example
 * ```ts
 * strictSchemas.participant.safeParse({ id }).success; // false: ani, aniName, dnis required
 * ```
 */
export const strictSchemas = build(true);

/**
 * The schema set for the given options.
 *
 * @example
 * ```ts
 * const open = schemasFor({ strict: true }).clientParameters.open.parse(value);
 * ```
 */
export function schemasFor(options: ValidationOptions = {}): typeof schemas {
  return options.strict === true ? strictSchemas : schemas;
}

export type {
  MediaParameter,
  Participant,
  ContinuedSession,
  EventEntity,
  ClientMessageType,
  ServerMessageType,
  ClientParameters,
  ServerParameters,
  OpenParameters,
  CloseParameters,
  PingParameters,
  ResumedParameters,
  DiscardedParameters,
  UpdateParameters,
  ErrorParameters,
  DtmfParameters,
  OpenedParameters,
  ClosedParameters,
  EventParameters,
  DisconnectParameters,
  ReconnectParameters,
  ClientMessageOf,
  ServerMessageOf,
  ClientMessage,
  ServerMessage,
  AudioHookMessage,
  OpenMessage,
  OpenedMessage,
  CloseMessage,
  ClosedMessage,
} from './message-types';

/**
 * Every client message type this library knows.
 *
 * @example
 * ```ts
 * CLIENT_MESSAGE_TYPES.includes('open'); // true
 * ```
 */
export const CLIENT_MESSAGE_TYPES = Object.keys(schemas.clientParameters) as ClientMessageType[];
/**
 * Every server message type this library knows.
 *
 * @example
 * ```ts
 * SERVER_MESSAGE_TYPES.includes('opened'); // true
 * ```
 */
export const SERVER_MESSAGE_TYPES = Object.keys(schemas.serverParameters) as ServerMessageType[];

/**
 * Finds `language` among `supported`, comparing case-insensitively (spec §13: `en-us` matches
 * `en-US`). Returns the entry as configured, or `undefined`.
 *
 * @example
 * ```ts
 * matchLanguage('EN-us', ['en-US', 'fr-FR']); // 'en-US'
 * ```
 */
export function matchLanguage(
  language: string | undefined,
  supported: readonly string[],
): string | undefined {
  if (language === undefined) return undefined;
  const wanted = language.toLowerCase();
  return supported.find((entry) => entry.toLowerCase() === wanted);
}
