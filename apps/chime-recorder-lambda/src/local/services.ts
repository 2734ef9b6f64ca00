// The local stand-ins the harness runs the recorder against: an in-memory DynamoDB (dynalite), a
// local S3 (s3rver) with the recordings bucket, and the media-pipelines fake, all on loopback.
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { S3ClientConfig } from '@aws-sdk/client-s3';
import dynalite from 'dynalite';
import S3rver from 's3rver';
import type { AppOverrides } from '../app';
import { ensureCallTable } from './table';
import { FakeMediaPipelines } from './fake-media-pipelines';

const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

/** The running stand-ins and the client settings that reach them. */
export interface LocalServices {
  readonly dynamoEndpoint: string;
  readonly s3Endpoint: string;
  readonly fake: FakeMediaPipelines;
  readonly dynamo: DynamoDBClient;
  /** Client settings for {@link createApp}'s overrides. */
  readonly clients: Required<Pick<AppOverrides, 'dynamoDb' | 'mediaPipelines' | 's3'>>;
  close(): Promise<void>;
}

/**
 * Starts the three stand-ins on free loopback ports and creates the call table and the bucket.
 *
 * @example
 * ```ts
 * const local = await startLocalServices('calls', 'due-index', 'recordings');
 * const app = createApp(config, { logger, ...local.clients });
 * await local.close();
 * ```
 */
export async function startLocalServices(
  tableName: string,
  dueIndexName: string,
  bucket: string,
): Promise<LocalServices> {
  const db = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => db.listen(0, '127.0.0.1', () => resolve()));
  const dynamoEndpoint = `http://127.0.0.1:${(db.address() as AddressInfo).port}`;
  const directory = await mkdtemp(join(tmpdir(), 'chime-recorder-local-'));
  const s3 = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory,
    configureBuckets: [{ name: bucket, configs: [] }],
  });
  const s3Endpoint = `http://127.0.0.1:${(await s3.run()).port}`;
  const fake = await FakeMediaPipelines.start();
  const region = 'us-east-1';
  const dynamo = new DynamoDBClient({ endpoint: dynamoEndpoint, region, credentials: CREDENTIALS });
  await ensureCallTable(dynamo, tableName, dueIndexName);
  const s3Client: S3ClientConfig = {
    endpoint: s3Endpoint,
    region,
    credentials: CREDENTIALS,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
  };
  return {
    dynamoEndpoint,
    s3Endpoint,
    fake,
    dynamo,
    clients: {
      dynamoDb: { endpoint: dynamoEndpoint, region, credentials: CREDENTIALS },
      mediaPipelines: { endpoint: fake.url, region, credentials: CREDENTIALS },
      s3: s3Client,
    },
    async close() {
      dynamo.destroy();
      await fake.close();
      await s3.close();
      await new Promise<void>((resolve) => db.close(() => resolve()));
      await rm(directory, { recursive: true, force: true });
    },
  };
}
