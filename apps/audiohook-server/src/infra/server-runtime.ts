// What runs: the container's environment (validated with the server's own configuration loader,
// so the stack never deploys settings the server would refuse), the deadlines that the load
// balancer and ECS must wait for, and the task role limited to the calls the code makes.

import {
  Duration,
  Stack,
  type aws_dynamodb as dynamodb,
  aws_iam as iam,
  type aws_s3 as s3,
  type aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import { acknowledgeWildcardResources } from '@org/infra';
import { loadConfig } from '../config';
import { shutdownDeadlineMs } from '../shutdown-budget';

/** The port the server listens on in the container. */
export const CONTAINER_PORT = 8080;
/** Recordings are written here (a scratch volume on the task's ephemeral storage). */
export const RECORDINGS_DIR = '/var/lib/audiohook/recordings';
/** The `Service` dimension value of the server's EMF metric (the lead's contract). */
export const METRIC_SERVICE = 'audiohook-server';
/** The EMF metric the service scales on. */
export const METRIC_NAME = 'ActiveSessions';

/** Inputs of {@link serverEnvironment}. */
export interface ServerEnvironmentInput {
  readonly bucket: s3.IBucket;
  readonly secret: secretsmanager.ISecret;
  readonly replayTable: dynamodb.ITable;
  readonly metricNamespace: string;
  /** Further server settings (APP_SETTINGS), e.g. `{ LOG_LEVEL: 'debug' }`. */
  readonly settings: Readonly<Record<string, string>>;
}

/**
 * The container environment. The stack's own values win over APP_SETTINGS: they are what the
 * rest of the stack (bucket, secret, table, port, metric) is built around.
 */
export function serverEnvironment(input: ServerEnvironmentInput): Record<string, string> {
  return {
    ...input.settings,
    SERVERHOST: '0.0.0.0',
    SERVERPORT: String(CONTAINER_PORT),
    LOG_ROOT_DIR: RECORDINGS_DIR,
    RECORDING_S3_BUCKET: input.bucket.bucketName,
    SECRET_NAME_OR_ARN: input.secret.secretArn,
    REPLAY_CACHE_TABLE: input.replayTable.tableName,
    EMF_NAMESPACE: input.metricNamespace,
    AWS_REGION: Stack.of(input.bucket).region,
  };
}

/** What the stack takes from the server's own configuration of the container environment. */
export interface ServerFacts {
  /** `DRAIN_TIMEOUT_MS` + `CLOSE_TIMEOUT_MS`: sessions are over; deregistration waits longer. */
  readonly drainDeadline: Duration;
  /**
   * The whole time the server gives itself after SIGTERM (drain, close, then the uploads: the
   * `shutdownDeadlineMs` main.ts passes to the service kit), which must fit the stop timeout.
   */
  readonly shutdownDeadline: Duration;
  /** `TRANSCRIPTION_ENGINE=transcribe`: the task calls Amazon Transcribe streaming. */
  readonly usesTranscribe: boolean;
  /** `MAX_SESSIONS`: a task refuses sessions beyond it. */
  readonly maxSessions: number;
  /** `EMF_INTERVAL_SECONDS`: how often a task publishes ActiveSessions. */
  readonly metricInterval: Duration;
}

/**
 * Reads `environment` with the server's own configuration loader, as the server will at start.
 * Throws its configuration error when the environment is one the server would refuse.
 */
export function serverFacts(environment: Readonly<Record<string, string>>): ServerFacts {
  const config = loadConfig(environment, { cwd: '/app' });
  return {
    drainDeadline: Duration.millis(config.drain.timeoutMs + config.limits.closeTimeoutMs),
    shutdownDeadline: Duration.millis(shutdownDeadlineMs(config)),
    usesTranscribe: config.transcription.engine === 'transcribe',
    maxSessions: config.limits.maxSessions,
    metricInterval: Duration.millis(config.emf.intervalMs),
  };
}

/** Inputs of {@link grantServerCalls}. */
export interface ServerGrants {
  readonly role: iam.IRole;
  readonly bucket: s3.IBucket;
  readonly secret: secretsmanager.ISecret;
  readonly replayTable: dynamodb.ITable;
  /** Grant Amazon Transcribe streaming (only with `TRANSCRIPTION_ENGINE=transcribe`). */
  readonly transcribe: boolean;
}

/**
 * The task role's permissions: exactly the AWS calls the server makes (the test compares them
 * with its source), each on the one resource it needs; Transcribe only when it is the engine.
 */
export function grantServerCalls(grants: ServerGrants): iam.Policy {
  const policy = new iam.Policy(Stack.of(grants.role), 'ServerCalls', {
    roles: [grants.role],
    statements: [
      new iam.PolicyStatement({
        sid: 'UploadRecordings',
        actions: ['s3:PutObject', 's3:AbortMultipartUpload'],
        resources: [grants.bucket.arnForObjects('*')],
      }),
      new iam.PolicyStatement({
        sid: 'ReadApiKeys',
        actions: ['secretsmanager:GetSecretValue'],
        // A secret imported by name has a partial ARN; the real one ends with -<6 characters>.
        resources: [grants.secret.secretFullArn ?? `${grants.secret.secretArn}-??????`],
      }),
      new iam.PolicyStatement({
        // One conditional write per nonce (claimed unless present and unexpired).
        sid: 'ClaimNonces',
        actions: ['dynamodb:PutItem'],
        resources: [grants.replayTable.tableArn],
      }),
    ],
  });
  if (grants.transcribe) grantTranscribe(policy);
  acknowledgeWildcardResources(
    policy,
    [grants.bucket.arnForObjects('*')],
    'Recording keys are dated and random (YYYY-MM-DD/<uuid>.wav|json): only the bucket is known.',
  );
  return policy;
}

/** TRANSCRIPTION_ENGINE=transcribe. Streaming transcription has no IAM resource type. */
function grantTranscribe(policy: iam.Policy): void {
  policy.addStatements(
    new iam.PolicyStatement({
      sid: 'TranscribeStreams',
      actions: [
        'transcribe:StartStreamTranscription',
        'transcribe:StartStreamTranscriptionWebSocket',
      ],
      resources: ['*'],
    }),
  );
  acknowledgeWildcardResources(
    policy,
    ['*'],
    'Amazon Transcribe streaming actions support no resource-level permissions ("*" is required).',
  );
}
