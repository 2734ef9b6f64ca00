import {
  type ChimeSDKMediaPipelinesClient,
  CreateMediaInsightsPipelineCommand,
  type CreateMediaInsightsPipelineCommandInput,
  DeleteMediaPipelineCommand,
} from '@aws-sdk/client-chime-sdk-media-pipelines';
import { type CallOptions, sendOptions } from './deadline';
import { RecorderError, RecorderErrorCode } from './errors';

/** What a successful create returned. */
export interface CreatedPipelineRef {
  pipelineId?: string;
  pipelineArn?: string;
  status?: string;
}

/**
 * Creates media insights pipelines, and stops a duplicate one (`CLIENT_REQUEST_TOKEN=none` and a
 * claim takeover): the recorder's only calls to the media-pipelines API.
 */
export interface PipelineCreator {
  create(
    input: CreateMediaInsightsPipelineCommandInput,
    options?: CallOptions,
  ): Promise<CreatedPipelineRef>;
  /**
   * Stops and deletes a pipeline (`DeleteMediaPipeline`). Absent: duplicates are only logged.
   * @throws RecorderError `CHIME_REC_ERR_PIPELINE_UNAVAILABLE` or `CHIME_REC_ERR_PIPELINE_REJECTED`.
   */
  delete?(pipelineId: string, options?: CallOptions): Promise<void>;
}

/** Errors that trying again later can fix. */
const TRANSIENT_ERRORS = new Set([
  'ThrottledClientException',
  'ServiceUnavailableException',
  'ServiceFailureException',
  'ResourceLimitExceededException',
  'TimeoutError',
  'RequestTimeout',
  // The invocation ran out of time (InvocationDeadline): the sweep tries again.
  'AbortError',
]);

/**
 * A {@link PipelineCreator} over the AWS SDK client. The client's retry strategy (see
 * {@link backoffRetryStrategy}) retries throttling, 5xx and network errors inside one call; what
 * still fails is translated once, here, into a {@link RecorderError}: `PIPELINE_UNAVAILABLE`
 * (retryable) or `PIPELINE_REJECTED` (permanent, e.g. `BadRequestException`, `NotFoundException`).
 *
 * @example
 * ```ts
 * const creator = sdkPipelineCreator(new ChimeSDKMediaPipelinesClient({ retryStrategy: backoffRetryStrategy(4, 200) }));
 * ```
 */
export function sdkPipelineCreator(client: ChimeSDKMediaPipelinesClient): PipelineCreator {
  return {
    async create(input, options) {
      try {
        const out = await client.send(
          new CreateMediaInsightsPipelineCommand(input),
          sendOptions(options),
        );
        const p = out.MediaInsightsPipeline;
        const ref: CreatedPipelineRef = {};
        if (p?.MediaPipelineId) ref.pipelineId = p.MediaPipelineId;
        if (p?.MediaPipelineArn) ref.pipelineArn = p.MediaPipelineArn;
        if (p?.Status) ref.status = p.Status;
        return ref;
      } catch (err) {
        throw translate(err);
      }
    },
    async delete(pipelineId, options) {
      try {
        await client.send(
          new DeleteMediaPipelineCommand({ MediaPipelineId: pipelineId }),
          sendOptions(options),
        );
      } catch (err) {
        throw translate(err, 'DeleteMediaPipeline');
      }
    },
  };
}

function translate(err: unknown, operation = 'CreateMediaInsightsPipeline'): RecorderError {
  const e = err instanceof Error ? err : new Error(String(err));
  const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const attempts = (e as { $metadata?: { attempts?: number } }).$metadata?.attempts;
  const transient =
    TRANSIENT_ERRORS.has(e.name) ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    // No HTTP status at all: the request never got an answer (connection refused or reset).
    status === undefined;
  const details = { awsError: e.name, httpStatus: status, attempts };
  const message = `${operation} failed: ${e.name}: ${e.message}`.slice(0, 1000);
  return transient
    ? new RecorderError(RecorderErrorCode.PipelineUnavailable, message, {
        cause: err,
        retryable: true,
        details,
      })
    : new RecorderError(RecorderErrorCode.PipelineRejected, message, { cause: err, details });
}

/** The shape of the SDK's retry strategy (v2) this module implements. */
export interface RetryStrategyV2Like {
  acquireInitialRetryToken(scope: string): Promise<RetryTokenLike>;
  refreshRetryTokenForRetry(
    token: RetryTokenLike,
    errorInfo: { errorType: string; retryAfterHint?: Date },
  ): Promise<RetryTokenLike>;
  recordSuccess(token: RetryTokenLike): void;
}

/** A retry token as the SDK's retry middleware reads it. */
export interface RetryTokenLike {
  getRetryCount(): number;
  getRetryDelay(): number;
}

/**
 * An SDK retry strategy with full-jitter exponential back-off that retries throttling
 * (`ThrottledClientException`, HTTP 429), 5xx (`ServiceUnavailableException`,
 * `ServiceFailureException`) and transient network errors, and never client errors. Unlike the
 * SDK default it has no shared retry quota to exhaust across calls, and its timing is set by
 * configuration.
 *
 * @param maxAttempts total attempts including the first. @default 4
 * @param baseDelayMs first back-off; doubles per retry, capped at 20 s. @default 200
 * @example
 * ```ts
 * new ChimeSDKMediaPipelinesClient({ retryStrategy: backoffRetryStrategy(4, 200) });
 * ```
 */
export function backoffRetryStrategy(
  maxAttempts = 4,
  baseDelayMs = 200,
  random: () => number = Math.random,
): RetryStrategyV2Like {
  const token = (count: number, delay: number): RetryTokenLike => ({
    getRetryCount: () => count,
    getRetryDelay: () => delay,
  });
  return {
    acquireInitialRetryToken: async () => token(0, 0),
    refreshRetryTokenForRetry: async (previous, info) => {
      const count = previous.getRetryCount() + 1;
      if (info.errorType === 'CLIENT_ERROR' || count >= maxAttempts) {
        throw new Error('no more retries');
      }
      const ceiling = Math.min(20_000, baseDelayMs * 2 ** (count - 1));
      // Half fixed, half jitter: spreads concurrent retries without ever retrying at once.
      const delay = Math.round(ceiling / 2 + (random() * ceiling) / 2);
      const hinted = info.retryAfterHint ? info.retryAfterHint.getTime() - Date.now() : 0;
      return token(count, Math.min(20_000, Math.max(delay, hinted)));
    },
    recordSuccess: () => undefined,
  };
}
