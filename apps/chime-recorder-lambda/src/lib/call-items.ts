import { z } from 'zod';
import { RecorderError, RecorderErrorCode } from './errors';

/** Sort key of the one call item of a transaction. */
export const CALL_SK = 'CALL';

/** Where a leg's stream is. */
export type LegStatus = 'STARTED' | 'ENDED' | 'FAILED';
/** Where the call's pipeline is. Absent: still collecting legs. */
export type CallState = 'CREATING' | 'CREATED' | 'RECORDED' | 'FAILED';

const legItemSchema = z.object({
  pk: z.string(),
  sk: z.string(),
  role: z.enum(['caller', 'callee']),
  status: z.enum(['STARTED', 'ENDED', 'FAILED']).optional(),
  streamArn: z.string().optional(),
  startTimeMs: z.number().optional(),
  endTimeMs: z.number().optional(),
  failedAtMs: z.number().optional(),
  failureReason: z.string().optional(),
  ttl: z.number().optional(),
});

const callItemSchema = z.object({
  pk: z.string(),
  sk: z.literal(CALL_SK),
  transactionId: z.string(),
  callId: z.string(),
  voiceConnectorId: z.string(),
  firstSeenAtMs: z.number(),
  updatedAtMs: z.number(),
  ttl: z.number().optional(),
  state: z.enum(['CREATING', 'CREATED', 'RECORDED', 'FAILED']).optional(),
  claimId: z.string().optional(),
  claimedAtMs: z.number().optional(),
  createAttempts: z.number().optional(),
  dueShard: z.string().optional(),
  dueAtMs: z.number().optional(),
  streamingFailedAtMs: z.number().optional(),
  streamingFailureReason: z.string().optional(),
  pipelineArn: z.string().optional(),
  pipelineId: z.string().optional(),
  pipelineStatus: z.string().optional(),
  streamArns: z.array(z.string()).optional(),
  direction: z.string().optional(),
  fromNumber: z.string().optional(),
  toNumber: z.string().optional(),
  legsRecorded: z.array(z.string()).optional(),
  partial: z.boolean().optional(),
  callStartMs: z.number().optional(),
  callEndMs: z.number().optional(),
  recordingKey: z.string().optional(),
  metadataKey: z.string().optional(),
  metadataPending: z.boolean().optional(),
  metadataAttempts: z.number().optional(),
  failureCode: z.string().optional(),
  failureReason: z.string().optional(),
  lastErrorCode: z.string().optional(),
  // A pipeline status event that arrived before the call was CREATED (see CallStore.deferPipelineChange).
  earlyPipelineArn: z.string().optional(),
  earlyPipelineStatus: z.string().optional(),
  earlyPipelineState: z.enum(['RECORDED', 'FAILED']).optional(),
  earlyPipelineFailureReason: z.string().optional(),
});

/** A leg item (`sk = LEG#caller | LEG#callee`). */
export type LegItem = z.infer<typeof legItemSchema>;
/** The call item (`sk = CALL`). */
export type CallItem = z.infer<typeof callItemSchema>;

/** Parses a call item read from the table. @throws RecorderError `CHIME_REC_ERR_STATE_CORRUPT` */
export function parseCall(item: unknown): CallItem {
  return parseItem(callItemSchema, item, 'call');
}

/** Parses a leg item read from the table. @throws RecorderError `CHIME_REC_ERR_STATE_CORRUPT` */
export function parseLeg(item: unknown): LegItem {
  return parseItem(legItemSchema, item, 'leg');
}

/** Parses an item read from the table. @throws RecorderError `CHIME_REC_ERR_STATE_CORRUPT` */
export function parseItem<T>(schema: z.ZodType<T>, item: unknown, what: string): T {
  const r = schema.safeParse(item);
  if (!r.success) {
    throw new RecorderError(
      RecorderErrorCode.StateCorrupt,
      `the ${what} item does not have the shape this recorder writes: ${r.error.issues
        .map((i) => `${i.path.join('.')}: ${i.message}`)
        .join('; ')}`,
    );
  }
  return r.data;
}
