import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { CallItem } from './call-store';
import { type CallOptions, sendOptions } from './deadline';
import { RecorderError, RecorderErrorCode } from './errors';

/**
 * The metadata object written next to a recording (`<key>.json`). The first nine fields are the
 * 2023 sample's, with the same names; the rest say what the recording holds.
 */
export interface RecordingMetadata {
  account: string | null;
  callId: string;
  transactionId: string;
  direction: string | null;
  fromNumber: string | null;
  toNumber: string | null;
  voiceConnectorId: string;
  /** Earliest leg start, ISO-8601 UTC with milliseconds. */
  startTime: string | null;
  /** Latest leg end (or failure), ISO-8601 UTC with milliseconds. */
  endTime: string | null;
  /** The recording's object key in the bucket. */
  recording: string | null;
  /** Leg of each WAV channel, in order, e.g. `["caller", "callee"]`. */
  streams: string[];
  /** Fewer than two legs, or a leg that never reported ENDED. */
  partial: boolean;
  pipelineId: string | null;
}

/** Writes metadata objects; the recorder's only call to S3. */
export interface MetadataWriter {
  write(key: string, document: RecordingMetadata, options?: CallOptions): Promise<void>;
}

const ACCOUNT_IN_ARN = /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/;

/**
 * Builds the metadata document from what the call item records once the pipeline is created, so
 * the sweep can write it again after a failure without any event at hand.
 *
 * @example
 * ```ts
 * const doc = metadataDocument(call); // { account: '112233445566', callId: '…', … }
 * ```
 */
export function metadataDocument(call: CallItem): RecordingMetadata {
  const iso = (ms: number | undefined) => (ms === undefined ? null : new Date(ms).toISOString());
  const firstStream = call.streamArns?.[0];
  return {
    account: (firstStream && ACCOUNT_IN_ARN.exec(firstStream)?.[1]) || null,
    callId: call.callId,
    transactionId: call.transactionId,
    direction: call.direction ?? null,
    fromNumber: call.fromNumber ?? null,
    toNumber: call.toNumber ?? null,
    voiceConnectorId: call.voiceConnectorId,
    startTime: iso(call.callStartMs),
    endTime: iso(call.callEndMs),
    recording: call.recordingKey ?? null,
    streams: call.legsRecorded ?? [],
    partial: call.partial ?? false,
    pipelineId: call.pipelineId ?? null,
  };
}

/** The longest wait between two metadata writes, unless `CREATE_RETRY_AFTER_MS` is longer. */
const METADATA_RETRY_CAP_MS = 3_600_000;

/**
 * How long the sweep waits before writing a metadata object again after `failedAttempts` failed
 * writes: `CREATE_RETRY_AFTER_MS`, doubled per failed write, at most an hour (or
 * `CREATE_RETRY_AFTER_MS` when that is longer).
 *
 * @example
 * ```ts
 * metadataRetryDelayMs(1, 60_000); // 60_000
 * metadataRetryDelayMs(3, 60_000); // 240_000
 * ```
 */
export function metadataRetryDelayMs(failedAttempts: number, baseMs: number): number {
  const cap = Math.max(baseMs, METADATA_RETRY_CAP_MS);
  return Math.min(cap, baseMs * 2 ** Math.min(Math.max(failedAttempts - 1, 0), 30));
}

/**
 * A {@link MetadataWriter} over the S3 client: one `PutObject` (JSON, SSE as the bucket default).
 * Repeating it writes the same object again, so retries are safe.
 *
 * @example
 * ```ts
 * const writer = sdkMetadataWriter(new S3Client({}), 'my-recordings');
 * ```
 * @throws RecorderError `CHIME_REC_ERR_METADATA_WRITE_FAILED` (retryable) when S3 fails.
 */
export function sdkMetadataWriter(client: S3Client, bucket: string): MetadataWriter {
  return {
    async write(key, document, options) {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: `${JSON.stringify(document, null, 2)}\n`,
            ContentType: 'application/json',
          }),
          sendOptions(options),
        );
      } catch (err) {
        const e = err instanceof Error ? err : new Error(String(err));
        throw new RecorderError(
          RecorderErrorCode.MetadataWriteFailed,
          `could not write the metadata object: ${e.name}: ${e.message}`.slice(0, 1000),
          { cause: err, retryable: true, details: { awsError: e.name } },
        );
      }
    },
  };
}
