import { z } from 'zod';
import { RecorderError, RecorderErrorCode } from './errors';
import { parseUtcMs, type MsRounding } from './time';

/** `detail-type` of the Voice Connector streaming-status events this recorder acts on. */
export const STREAMING_STATUS_DETAIL_TYPE = 'Chime VoiceConnector Streaming Status';
/** `detail-type` of the media-pipelines outcome events (optional loop closing). */
export const MEDIA_INSIGHTS_STATE_CHANGE_DETAIL_TYPE = 'Media Insights State Change';
/** `detail-type` of EventBridge scheduled rules; the recorder runs its finalize sweep on them. */
export const SCHEDULED_EVENT_DETAIL_TYPE = 'Scheduled Event';

/** Which KVS stream of a call an item or event is about. `isCaller: true` is `caller`. */
export type LegRole = 'caller' | 'callee';

/** Fields every streaming-status event carries. */
export interface StreamingBase {
  /** The Voice Connector's call identifier; the same on both legs. Keys the call table. */
  transactionId: string;
  /** The SIP Call-ID; not guaranteed to be S3-safe. */
  callId: string;
  voiceConnectorId: string;
  direction?: string;
  /** Envelope `id`: identifies one delivery, kept on the item for tracing. */
  eventId: string;
}

/** STARTED: a leg's stream has begun. */
export interface StreamStarted extends StreamingBase {
  status: 'STARTED';
  role: LegRole;
  streamArn: string;
  startTimeMs: number;
  fromNumber?: string;
  toNumber?: string;
  mediaType?: string;
}

/** ENDED: a leg's stream has ended; it repeats the STARTED facts, so it stands on its own. */
export interface StreamEnded extends Omit<StreamStarted, 'status'> {
  status: 'ENDED';
  endTimeMs: number;
}

/** UPDATED: a re-INVITE or hold. It never ends a call. */
export interface StreamUpdated extends StreamingBase {
  status: 'UPDATED';
}

/** FAILED: streaming failed. Chime does not say which leg, unless `isCaller` happens to be set. */
export interface StreamFailed extends StreamingBase {
  status: 'FAILED';
  role?: LegRole;
  failTimeMs?: number;
  failureReason?: string;
}

/** A validated `Chime VoiceConnector Streaming Status` event. */
export type StreamingEvent = StreamStarted | StreamEnded | StreamUpdated | StreamFailed;

/** A validated `Media Insights State Change` event. */
export interface PipelineStateEvent {
  eventId: string;
  mediaInsightsPipelineArn: string;
  eventType: string;
  mediaInsightsPipelineConfigurationArn?: string;
  /** Echoed from `MediaInsightsRuntimeMetadata` (or set by Voice Connector-started pipelines). */
  transactionId?: string;
  failureReason?: string;
}

/** What the handler should do with one raw invocation payload. */
export type ClassifiedEvent =
  | { kind: 'streaming'; event: StreamingEvent }
  | { kind: 'pipeline-state'; event: PipelineStateEvent }
  | { kind: 'sweep'; eventId: string }
  | {
      kind: 'ignored';
      eventId: string;
      /** The envelope field that did not match what the recorder handles. */
      field: 'source' | 'detail-type';
      /** Its value, cut to {@link MAX_REPORTED_VALUE_CHARS} characters. */
      value: string;
      source: string;
      detailType: string;
    }
  | { kind: 'malformed'; error: RecorderError; eventId?: string; detailType?: string };

/** Sources whose events the recorder acts on (some of their detail types). */
export const HANDLED_SOURCES: readonly string[] = ['aws.chime', 'aws.events'];
/** Longest envelope value an `ignored` classification repeats (logs and results stay bounded). */
export const MAX_REPORTED_VALUE_CHARS = 128;

const envelopeSchema = z.object({
  version: z.string().optional(),
  id: z.string().min(1).max(256),
  'detail-type': z.string().min(1),
  source: z.string().min(1),
  account: z.string().optional(),
  time: z.string().optional(),
  region: z.string().optional(),
  resources: z.array(z.unknown()).optional(),
  detail: z.unknown().optional(),
});

function timestamp(rounding: MsRounding) {
  return z
    .string()
    .max(64)
    .transform((text, ctx) => {
      try {
        return parseUtcMs(text, rounding);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not an ISO-8601 date-time' });
        return z.NEVER;
      }
    });
}

/** KVS stream ARNs as Chime names them; also the shape the API's `StreamArn` accepts. */
const KVS_STREAM_ARN = /^arn:aws[a-z-]*:kinesisvideo:[a-z0-9-]+:\d{12}:stream\/[\w.-]+\/\d+$/;

const baseFields = {
  transactionId: z.string().min(1).max(256),
  callId: z.string().min(1).max(1024),
  voiceConnectorId: z.string().min(1).max(128),
  direction: z.string().max(32).optional(),
  version: z.string().optional(),
};

const legFields = {
  ...baseFields,
  isCaller: z.boolean(),
  streamArn: z.string().max(1024).regex(KVS_STREAM_ARN, 'not a Kinesis Video stream ARN'),
  startTime: timestamp('floor'),
  fromNumber: z.string().max(256).optional(),
  toNumber: z.string().max(256).optional(),
  mediaType: z.string().max(64).optional(),
};

const streamingDetailSchema = z.discriminatedUnion('streamingStatus', [
  z.object({ ...legFields, streamingStatus: z.literal('STARTED') }),
  z.object({ ...legFields, streamingStatus: z.literal('ENDED'), endTime: timestamp('ceil') }),
  z.object({ ...baseFields, streamingStatus: z.literal('UPDATED') }),
  z.object({
    ...baseFields,
    streamingStatus: z.literal('FAILED'),
    isCaller: z.boolean().optional(),
    failTime: timestamp('ceil').optional(),
    failureReason: z.string().max(1024).optional(),
  }),
]);

const pipelineStateDetailSchema = z.object({
  mediaInsightsPipelineArn: z.string().min(1).max(1024),
  eventType: z.string().min(1).max(128),
  mediaInsightsPipelineConfigurationArn: z.string().max(1024).optional(),
  transactionId: z.string().min(1).max(256).optional(),
  failureReason: z.string().max(4096).optional(),
});

/**
 * Validates one raw EventBridge payload and says what it is. Never throws: a payload that does
 * not validate comes back as `malformed` with a {@link RecorderError} naming the bad fields (paths
 * and messages only, never the values, which may be phone numbers).
 *
 * @example
 * ```ts
 * const c = classifyEvent(JSON.parse(body));
 * if (c.kind === 'streaming') console.log(c.event.status, c.event.transactionId);
 * ```
 */
export function classifyEvent(raw: unknown): ClassifiedEvent {
  const envelope = envelopeSchema.safeParse(raw);
  if (!envelope.success) {
    return { kind: 'malformed', error: malformed('EventBridge envelope', envelope.error) };
  }
  const e = envelope.data;
  const eventId = e.id;
  const detailType = e['detail-type'];

  if (e.source === 'aws.chime' && detailType === STREAMING_STATUS_DETAIL_TYPE) {
    const detail = streamingDetailSchema.safeParse(e.detail);
    if (!detail.success) {
      return {
        kind: 'malformed',
        error: malformed(detailType, detail.error),
        eventId,
        detailType,
      };
    }
    return { kind: 'streaming', event: toStreamingEvent(detail.data, eventId) };
  }
  if (e.source === 'aws.chime' && detailType === MEDIA_INSIGHTS_STATE_CHANGE_DETAIL_TYPE) {
    const detail = pipelineStateDetailSchema.safeParse(e.detail);
    if (!detail.success) {
      return {
        kind: 'malformed',
        error: malformed(detailType, detail.error),
        eventId,
        detailType,
      };
    }
    return { kind: 'pipeline-state', event: dropUndefined({ eventId, ...detail.data }) };
  }
  if (e.source === 'aws.events' && detailType === SCHEDULED_EVENT_DETAIL_TYPE) {
    return { kind: 'sweep', eventId };
  }
  const field = HANDLED_SOURCES.includes(e.source) ? 'detail-type' : 'source';
  return {
    kind: 'ignored',
    eventId,
    field,
    value: bounded(field === 'source' ? e.source : detailType),
    source: bounded(e.source),
    detailType: bounded(detailType),
  };
}

function bounded(text: string): string {
  return text.length > MAX_REPORTED_VALUE_CHARS
    ? `${text.slice(0, MAX_REPORTED_VALUE_CHARS)}…`
    : text;
}

type StreamingDetail = z.infer<typeof streamingDetailSchema>;

function toStreamingEvent(d: StreamingDetail, eventId: string): StreamingEvent {
  const base = dropUndefined({
    transactionId: d.transactionId,
    callId: d.callId,
    voiceConnectorId: d.voiceConnectorId,
    direction: d.direction,
    eventId,
  });
  switch (d.streamingStatus) {
    case 'STARTED':
    case 'ENDED': {
      const leg = dropUndefined({
        ...base,
        role: roleOf(d.isCaller),
        streamArn: d.streamArn,
        startTimeMs: d.startTime,
        fromNumber: d.fromNumber,
        toNumber: d.toNumber,
        mediaType: d.mediaType,
      });
      return d.streamingStatus === 'STARTED'
        ? { ...leg, status: 'STARTED' }
        : { ...leg, status: 'ENDED', endTimeMs: d.endTime };
    }
    case 'UPDATED':
      return { ...base, status: 'UPDATED' };
    case 'FAILED':
      return dropUndefined({
        ...base,
        status: 'FAILED' as const,
        role: d.isCaller === undefined ? undefined : roleOf(d.isCaller),
        failTimeMs: d.failTime,
        failureReason: d.failureReason,
      });
  }
}

function roleOf(isCaller: boolean): LegRole {
  return isCaller ? 'caller' : 'callee';
}

function malformed(what: string, error: z.ZodError): RecorderError {
  const issues = error.issues.map((i) => ({
    path: i.path.map(String).join('.'),
    message: i.message,
  }));
  const summary = issues.map((i) => `${i.path || '(root)'}: ${i.message}`).join('; ');
  return new RecorderError(RecorderErrorCode.EventMalformed, `invalid ${what}: ${summary}`, {
    details: { issues },
  });
}

type DropUndefined<T> = {
  [K in keyof T as undefined extends T[K] ? never : K]: T[K];
} & {
  [K in keyof T as undefined extends T[K] ? K : never]?: Exclude<T[K], undefined>;
};

/** Removes `undefined` properties so objects satisfy `exactOptionalPropertyTypes`. */
export function dropUndefined<T extends object>(value: T): DropUndefined<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = v;
  return out as DropUndefined<T>;
}
