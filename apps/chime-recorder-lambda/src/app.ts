import {
  ChimeSDKMediaPipelinesClient,
  type ChimeSDKMediaPipelinesClientConfig,
} from '@aws-sdk/client-chime-sdk-media-pipelines';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { RecorderConfig } from './config';
import { CallStore } from './lib/call-store';
import { createHandler, type RecorderHandler } from './lib/handler';
import type { RecorderLogger } from './lib/logger';
import { sdkMetadataWriter } from './lib/metadata';
import { backoffRetryStrategy, sdkPipelineCreator } from './lib/pipeline-client';
import { Recorder } from './lib/recorder';

/** What the composition root can be given instead of its defaults (tests, the local harness). */
export interface AppOverrides {
  logger: RecorderLogger;
  /** Merged into the DynamoDB client configuration (endpoint, region, credentials). */
  dynamoDb?: DynamoDBClientConfig;
  /** Merged into the media-pipelines client configuration. */
  mediaPipelines?: ChimeSDKMediaPipelinesClientConfig;
  /** Merged into the S3 client configuration (metadata objects). */
  s3?: S3ClientConfig;
  now?: () => number;
  newId?: () => string;
}

/** The composed recorder. */
export interface RecorderApp {
  handler: RecorderHandler;
  recorder: Recorder;
  store: CallStore;
  /** Releases the SDK clients' sockets. */
  close(): void;
}

/**
 * The composition root: builds the SDK clients (which read `AWS_REGION`, credentials and the
 * standard `AWS_ENDPOINT_URL*` variables themselves), the store, the recorder and the handler.
 *
 * @example
 * ```ts
 * const app = createApp(loadConfig(process.env), { logger });
 * export const handler = app.handler;
 * ```
 */
export function createApp(config: RecorderConfig, o: AppOverrides): RecorderApp {
  // Every client: bounded connect and request time per attempt (the SDK default is none: a hung
  // call would wait for the Lambda timeout). `throwOnRequestTimeout` makes a breach a
  // TimeoutError (retried like a network error) instead of a warning.
  const requestHandler = {
    connectionTimeout: config.sdkConnectionTimeoutMs,
    requestTimeout: config.sdkRequestTimeoutMs,
    throwOnRequestTimeout: true,
  };
  const dynamo = new DynamoDBClient({ requestHandler, ...o.dynamoDb });
  const documents = DynamoDBDocumentClient.from(dynamo, {
    marshallOptions: { removeUndefinedValues: true },
  });
  const mediaPipelines = new ChimeSDKMediaPipelinesClient({
    retryStrategy: backoffRetryStrategy(config.pipelineMaxAttempts, config.pipelineRetryBaseMs),
    requestHandler,
    ...o.mediaPipelines,
  });
  const s3 = config.writeMetadataJson
    ? new S3Client({ forcePathStyle: config.s3ForcePathStyle, requestHandler, ...o.s3 })
    : undefined;
  const store = new CallStore({
    client: documents,
    tableName: config.tableName,
    dueIndexName: config.dueIndexName,
    consistentReads: config.consistentReads,
    ttlHours: config.stateTtlHours,
    sweepShards: config.sweepShards,
  });
  const recorder = new Recorder({
    settings: config,
    store,
    pipelines: sdkPipelineCreator(mediaPipelines),
    ...(s3 ? { metadata: sdkMetadataWriter(s3, config.bucket) } : {}),
    logger: o.logger,
    ...(o.now ? { now: o.now } : {}),
    ...(o.newId ? { newId: o.newId } : {}),
  });
  const handler = createHandler({
    recorder,
    logger: o.logger,
    voiceConnectorIds: config.voiceConnectorIds,
    debugEvents: config.logLevel === 'debug' || config.logLevel === 'trace',
    redactPii: config.redactPii,
    deadlineReserveMs: config.deadlineReserveMs,
  });
  return {
    handler,
    recorder,
    store,
    close() {
      dynamo.destroy();
      mediaPipelines.destroy();
      s3?.destroy();
    },
  };
}
