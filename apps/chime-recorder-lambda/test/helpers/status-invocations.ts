// The invocations of the pipeline-status specs: a creating invocation with seams around the
// create, the metadata write and its store, and readers of the call table's items.
import { ChimeSDKMediaPipelinesClient } from '@aws-sdk/client-chime-sdk-media-pipelines';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { loadConfig } from '../../src/config';
import { CallStore, type CallStoreOptions } from '../../src/lib/call-store';
import { createHandler, type RecorderHandler } from '../../src/lib/handler';
import { type LogEntry, memoryLogger } from '../../src/lib/logger';
import { type MetadataWriter, sdkMetadataWriter } from '../../src/lib/metadata';
import { type PipelineCreator, sdkPipelineCreator } from '../../src/lib/pipeline-client';
import { Recorder } from '../../src/lib/recorder';
import { BASE_ENV, BUCKET, CREDENTIALS, Harness, type sampleCall, TABLE } from './harness';

export const START = Date.parse('2023-04-05T22:14:20Z');
export const OTHER_PIPELINE = 'arn:aws:chime:us-east-1:112233445566:media-pipeline/other';
const EARLY_ATTRIBUTES = [
  'earlyPipelineArn',
  'earlyPipelineStatus',
  'earlyPipelineState',
  'earlyPipelineFailureReason',
];

/** The harness and the SDK clients the invocations share. */
export interface StatusContext {
  h: Harness;
  mediaPipelines: ChimeSDKMediaPipelinesClient;
  s3: S3Client;
  documents: DynamoDBDocumentClient;
}

let current: StatusContext | undefined;

/** Starts the harness and the clients (one set per spec file). */
export async function startStatusContext(): Promise<StatusContext> {
  const h = await Harness.start();
  current = {
    h,
    mediaPipelines: new ChimeSDKMediaPipelinesClient({
      endpoint: h.fake.url,
      region: 'us-east-1',
      credentials: CREDENTIALS,
    }),
    s3: new S3Client(h.s3.config),
    documents: DynamoDBDocumentClient.from(h.dynamo, {
      marshallOptions: { removeUndefinedValues: true },
    }),
  };
  return current;
}

/** Stops what {@link startStatusContext} started. */
export async function stopStatusContext(): Promise<void> {
  if (current === undefined) return;
  current.mediaPipelines.destroy();
  current.s3.destroy();
  await current.h.close();
  current = undefined;
}

function context(): StatusContext {
  if (current === undefined) throw new Error('startStatusContext() first');
  return current;
}

export const storeOptions = (): CallStoreOptions => ({
  client: context().documents,
  tableName: TABLE,
});

/** A CallStore whose writes can be paused, to interleave two invocations deterministically. */
export class HookedStore extends CallStore {
  beforeDefer?: () => Promise<void>;
  afterMarkCreated?: () => void;
  /** Runs once, after the first pipeline record written. */
  afterRecord?: (() => Promise<void>) | undefined;

  override async recordPipelineChange(
    ...args: Parameters<CallStore['recordPipelineChange']>
  ): Promise<boolean> {
    const written = await super.recordPipelineChange(...args);
    const hook = this.afterRecord;
    this.afterRecord = undefined;
    await hook?.();
    return written;
  }

  override async deferPipelineChange(
    ...args: Parameters<CallStore['deferPipelineChange']>
  ): Promise<boolean> {
    await this.beforeDefer?.();
    return super.deferPipelineChange(...args);
  }

  override async markCreated(
    ...args: Parameters<CallStore['markCreated']>
  ): ReturnType<CallStore['markCreated']> {
    const out = await super.markCreated(...args);
    this.afterMarkCreated?.();
    return out;
  }
}

/** The invocation that creates the pipeline, with seams around the create and the metadata write. */
export function creator(
  o: {
    create?: (
      input: Parameters<PipelineCreator['create']>[0],
    ) => ReturnType<PipelineCreator['create']>;
    metadata?: MetadataWriter;
    store?: CallStore;
    now?: () => number;
  } = {},
): { handler: RecorderHandler; logs: LogEntry[] } {
  const logger = memoryLogger();
  const real = sdkPipelineCreator(context().mediaPipelines);
  const recorder = new Recorder({
    settings: loadConfig(BASE_ENV),
    store: o.store ?? new CallStore(storeOptions()),
    pipelines: { create: o.create ?? ((input) => real.create(input)) },
    metadata: o.metadata ?? sdkMetadataWriter(context().s3, BUCKET),
    logger,
    now: o.now ?? (() => START),
  });
  return {
    handler: createHandler({ recorder, logger, voiceConnectorIds: [] }),
    logs: logger.entries,
  };
}

/** A create that returns the real pipeline, but only after `during(pipelineArn)` has finished. */
export function createThen(during: (pipelineArn: string) => Promise<void>) {
  const real = sdkPipelineCreator(context().mediaPipelines);
  return async (input: Parameters<PipelineCreator['create']>[0]) => {
    const ref = await real.create(input);
    await during(String(ref.pipelineArn));
    return ref;
  };
}

export async function record(handler: RecorderHandler, call: ReturnType<typeof sampleCall>) {
  let last: unknown;
  for (const e of call.all) last = await handler(e);
  return last;
}

export async function callItem(transactionId: string): Promise<Record<string, unknown>> {
  const [item] = await context().h.items(transactionId);
  return item ?? {};
}

/** The `PIPELINE#<arn>` records of a call: the pipelines that are not, or not yet, the call's. */
export async function pipelineRecords(transactionId: string): Promise<Record<string, unknown>[]> {
  return (await context().h.items(transactionId))
    .filter((i) => String(i['sk']).startsWith('PIPELINE#'))
    .map(({ pipelineArn, pipelineStatus, state, failureReason }) => ({
      pipelineArn,
      pipelineStatus,
      ...(state === undefined ? {} : { state }),
      ...(failureReason === undefined ? {} : { failureReason }),
    }));
}

export function expectSettled(item: Record<string, unknown>): void {
  // Out of the due index (a sparse index: `dueAtMs` is what puts a call in it).
  for (const a of [...EARLY_ATTRIBUTES, 'metadataPending', 'dueAtMs']) {
    expect(item).not.toHaveProperty(a);
  }
}
