// Secure defaults for the stores every stack creates: S3 buckets, log groups and the DynamoDB
// state tables whose key schema the apps rely on.

import {
  Duration,
  RemovalPolicy,
  Stack,
  aws_dynamodb as dynamodb,
  aws_iam as iam,
  aws_logs as logs,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { acknowledge } from './nag';

/** Where a bucket's server access logs go, or why it has none. */
export type AccessLogging =
  { readonly bucket: s3.IBucket; readonly prefix: string } | { readonly none: string };

/** Options of {@link secureBucket}. */
export interface SecureBucketProps {
  /** Server access logs: a log bucket and prefix, or `{ none: '<one-line reason>' }`. */
  readonly accessLogs: AccessLogging;
  /**
   * `S3_MANAGED` (SSE-S3) or `KMS` (a customer-managed key with rotation).
   * @default s3.BucketEncryption.S3_MANAGED
   */
  readonly encryption?: s3.BucketEncryption.S3_MANAGED | s3.BucketEncryption.KMS;
  /** Further lifecycle rules; an abort of incomplete multipart uploads after 1 day is always added. */
  readonly lifecycleRules?: s3.LifecycleRule[];
  /** @default false */
  readonly versioned?: boolean;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A bucket that is private and encrypted and refuses plain HTTP and TLS below 1.2: public access
 * blocked, objects owned by the bucket owner (no ACLs), SSE-S3 or KMS, a lifecycle rule that
 * aborts incomplete multipart uploads, and server access logs (or an acknowledged reason).
 *
 * @example
 * ```ts
 * const recordings = secureBucket(this, 'Recordings', {
 *   accessLogs: { bucket: logs, prefix: 'recordings-access/' },
 *   versioned: true,
 * });
 * ```
 */
export function secureBucket(scope: Construct, id: string, props: SecureBucketProps): s3.IBucket {
  const access = props.accessLogs;
  const bucket = new s3.Bucket(scope, id, {
    blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
    objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
    encryption: props.encryption ?? s3.BucketEncryption.S3_MANAGED,
    ...(props.encryption === s3.BucketEncryption.KMS ? { bucketKeyEnabled: true } : {}),
    enforceSSL: true,
    minimumTLSVersion: 1.2,
    versioned: props.versioned ?? false,
    lifecycleRules: [
      { id: 'abort-incomplete-uploads', abortIncompleteMultipartUploadAfter: Duration.days(1) },
      ...(props.lifecycleRules ?? []),
    ],
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
  if ('none' in access) acknowledge(bucket, { id: 'AwsSolutions-S1', reason: access.none });
  else logAccessTo(bucket, access.bucket, access.prefix);
  // Typed as the interface: the class declares optional members as `T | undefined`, which
  // exactOptionalPropertyTypes refuses wherever an IBucket is expected.
  return bucket as s3.IBucket;
}

/**
 * Server access logging delivered by a bucket policy on the log bucket (the CDK default without
 * a feature flag is the log-delivery ACL, which an owner-enforced bucket refuses).
 */
function logAccessTo(source: s3.Bucket, target: s3.IBucket, prefix: string): void {
  const cfn = source.node.defaultChild as s3.CfnBucket;
  cfn.loggingConfiguration = { destinationBucketName: target.bucketName, logFilePrefix: prefix };
  target.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal('logging.s3.amazonaws.com')],
      actions: ['s3:PutObject'],
      resources: [target.arnForObjects(`${prefix}*`)],
      conditions: {
        ArnLike: { 'aws:SourceArn': source.bucketArn },
        StringEquals: { 'aws:SourceAccount': Stack.of(source).account },
      },
    }),
  );
}

/** Options of {@link accessLogsBucket}. */
export interface AccessLogsBucketProps {
  /** Days the logs are kept. @default 90 */
  readonly expirationDays?: number;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * The destination of a stack's load balancer access logs, S3 server access logs and VPC flow
 * logs: SSE-S3 (the only encryption ELB log delivery supports), private, TLS-only, expiring.
 *
 * @example
 * ```ts
 * const logsBucket = accessLogsBucket(this, 'AccessLogs', { expirationDays: 30 });
 * ```
 */
export function accessLogsBucket(
  scope: Construct,
  id: string,
  props: AccessLogsBucketProps = {},
): s3.IBucket {
  return secureBucket(scope, id, {
    accessLogs: {
      none: 'This is the access-log destination itself; logging it into itself would loop.',
    },
    encryption: s3.BucketEncryption.S3_MANAGED,
    lifecycleRules: [{ id: 'expire-logs', expiration: Duration.days(props.expirationDays ?? 90) }],
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
}

/** Options of {@link standardLogGroup}. */
export interface StandardLogGroupProps {
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly retention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A log group with a retention period (never "forever") and an explicit removal policy.
 *
 * @example
 * ```ts
 * const group = standardLogGroup(this, 'Logs', { retention: logs.RetentionDays.THREE_MONTHS });
 * ```
 */
export function standardLogGroup(
  scope: Construct,
  id: string,
  props: StandardLogGroupProps = {},
): logs.LogGroup {
  return new logs.LogGroup(scope, id, {
    retention: props.retention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.RETAIN,
  });
}

/**
 * The key schema every state table shares (the lead's contract): partition key `pk` (String),
 * no sort key, TTL attribute `expiresAt` (Number, epoch seconds), on-demand billing.
 */
export const STATE_TABLE_SCHEMA = {
  partitionKey: 'pk',
  ttlAttribute: 'expiresAt',
} as const;

/** Options of {@link stateTable}. */
export interface StateTableProps {
  /**
   * The tables hold short-lived shared state (nonces, conversations, leases) that expires by TTL.
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A DynamoDB table with the contract's key schema ({@link STATE_TABLE_SCHEMA}), on-demand
 * billing, TTL, point-in-time recovery and AWS-managed encryption.
 *
 * @example
 * ```ts
 * const replay = stateTable(this, 'ReplayCache');
 * container.addEnvironment('REPLAY_CACHE_TABLE', replay.tableName);
 * ```
 */
export function stateTable(
  scope: Construct,
  id: string,
  props: StateTableProps = {},
): dynamodb.ITable {
  const table = new dynamodb.Table(scope, id, {
    partitionKey: { name: STATE_TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    timeToLiveAttribute: STATE_TABLE_SCHEMA.ttlAttribute,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    encryption: dynamodb.TableEncryption.AWS_MANAGED,
    removalPolicy: props.removalPolicy ?? RemovalPolicy.DESTROY,
  });
  return table as dynamodb.ITable;
}
