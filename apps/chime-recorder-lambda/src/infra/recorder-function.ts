// The recorder itself: its call table, the function with an on-failure queue, the narrowed
// EventBridge rules, the sweep schedule, and a role limited to the calls its code makes.
import {
  Arn,
  Duration,
  type RemovalPolicy,
  Stack,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  type aws_logs as logs,
  type aws_s3 as s3,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import { acknowledge, acknowledgeWildcardResources, InfraError, InfraErrorCode } from '@org/infra';
import { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lib/table';
import { normalizeRecordingPrefix, stackSetSettingProblems } from './recorder-settings';

/**
 * The function's timeout: well under the default CLAIM_LEASE_MS (5 min), so a live claim is never
 * taken over (the stack parameters refuse a CLAIM_LEASE_MS that is not longer).
 */
export const FUNCTION_TIMEOUT = Duration.seconds(60);

/** Properties of {@link RecorderFunction}. */
export interface RecorderFunctionProps {
  /** The Lambda code: the ZIP that `nx build chime-recorder-lambda` writes. */
  readonly code: lambda.Code;
  /** Voice Connectors whose calls are recorded; the rules match only these. */
  readonly voiceConnectorIds: string[];
  readonly pipelineConfigurationArn: string;
  readonly bucket: s3.IBucket;
  /**
   * Key prefix of the recordings (`''` = bucket root; checked by `normalizeRecordingPrefix`): the
   * function's `RECORDING_BUCKET_PREFIX` and the metadata grant both use it.
   */
  readonly prefix: string;
  readonly logGroup: logs.ILogGroup;
  readonly removalPolicy: RemovalPolicy;
  /** @default 'INFO' */
  readonly logLevel?: string;
  /** Streaming statuses the rule delivers. @default ['STARTED', 'ENDED', 'FAILED'] */
  readonly streamingStatuses?: string[];
  /** Also subscribe to `Media Insights State Change`. @default true */
  readonly trackPipelineStatus?: boolean;
  /** How often the finalize sweep runs. @default Duration.minutes(1) */
  readonly sweepInterval?: Duration;
  /**
   * Further recorder settings (see the README), e.g. `{ FINALIZE_AFTER_MS: '120000' }`; the ones
   * this construct sets itself (`STACK_SET_SETTINGS`, e.g. `RECORDING_BUCKET_PREFIX`, `LOG_LEVEL`,
   * `TRACK_PIPELINE_STATUS`) are refused.
   */
  readonly settings?: Record<string, string>;
}

/**
 * The call table (TTL, point-in-time recovery, the due index), the function (Node.js 22, arm64)
 * with async retries and an on-failure queue, rules narrowed to the streaming-status and pipeline
 * events of the recorded Voice Connectors, the sweep schedule, and a role with exactly the
 * actions the code calls: `dynamodb:UpdateItem`, `dynamodb:GetItem`, `dynamodb:Query`,
 * `chime:CreateMediaInsightsPipeline`, `chime:DeleteMediaPipeline` (a duplicate pipeline, see the
 * README), `s3:PutObject` (metadata objects, when written).
 *
 * @example
 * ```ts
 * new RecorderFunction(this, 'Recorder', { code, voiceConnectorIds: [vcId], ... });
 * ```
 */
export class RecorderFunction extends Construct {
  readonly table: dynamodb.Table;
  readonly fn: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;
  readonly role: iam.Role;

  constructor(scope: Construct, id: string, rawProps: RecorderFunctionProps) {
    super(scope, id);
    const stackSet = stackSetSettingProblems(rawProps.settings ?? {});
    if (stackSet.length > 0) {
      throw new InfraError(InfraErrorCode.InvalidProps, stackSet.join('\n'));
    }
    const props = { ...rawProps, prefix: normalizeRecordingPrefix(rawProps.prefix) };
    const dueIndexName = 'due-index';
    this.table = this.#table(dueIndexName, props.removalPolicy);
    this.deadLetterQueue = new sqs.Queue(this, 'FailedEvents', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });
    acknowledge(this.deadLetterQueue, {
      id: 'AwsSolutions-SQS3',
      reason: 'This queue is the dead-letter destination of the function and of the rules itself.',
    });
    this.role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'chime-recorder-lambda: call table, CreateMediaInsightsPipeline, metadata, logs',
    });
    // As the recorder's loader reads the flag (trimmed; false, 0 or no in any case).
    const metadataFlag = props.settings?.['WRITE_METADATA_JSON']?.trim().toLowerCase() ?? '';
    const writeMetadata = !['false', '0', 'no'].includes(metadataFlag);
    this.fn = new lambda.Function(this, 'Function', {
      // The newest Node.js runtime (the bundle targets Node.js 20 syntax and runs on 22 and 24).
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code,
      role: this.role,
      memorySize: 256,
      timeout: FUNCTION_TIMEOUT,
      logGroup: props.logGroup,
      environment: {
        CALL_TABLE: this.table.tableName,
        DUE_INDEX_NAME: dueIndexName,
        RECORDING_BUCKET: props.bucket.bucketName,
        RECORDING_BUCKET_PREFIX: props.prefix,
        MEDIA_INSIGHT_PIPELINE_ARN: props.pipelineConfigurationArn,
        VOICECONNECTOR_ID: props.voiceConnectorIds.join(','),
        LOG_LEVEL: props.logLevel ?? 'INFO',
        TRACK_PIPELINE_STATUS: String(props.trackPipelineStatus ?? true),
        NODE_OPTIONS: '--enable-source-maps',
        ...props.settings,
      },
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });
    props.logGroup.grantWrite(this.role);
    this.#grants(props, dueIndexName, writeMetadata);
    this.#rules(props);
  }

  #table(dueIndexName: string, removalPolicy: RemovalPolicy): dynamodb.Table {
    const table = new dynamodb.Table(this, 'CallTable', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    table.addGlobalSecondaryIndex({
      indexName: dueIndexName,
      partitionKey: {
        name: TABLE_SCHEMA.dueIndexPartitionKey,
        type: dynamodb.AttributeType.STRING,
      },
      sortKey: { name: TABLE_SCHEMA.dueIndexSortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });
    return table;
  }

  /** The actions the code calls, each on the narrowest resource. */
  #grants(props: RecorderFunctionProps, dueIndexName: string, writeMetadata: boolean): void {
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem', 'dynamodb:GetItem', 'dynamodb:Query'],
        resources: [this.table.tableArn, `${this.table.tableArn}/index/${dueIndexName}`],
      }),
    );
    // A pipeline's id is made by the service at creation, so its ARN needs the wildcard.
    const pipelines = Arn.format(
      { service: 'chime', resource: 'media-pipeline', resourceName: '*' },
      Stack.of(this),
    );
    this.role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['chime:CreateMediaInsightsPipeline'],
        resources: [props.pipelineConfigurationArn, pipelines],
      }),
    );
    // A duplicate pipeline (CLIENT_REQUEST_TOKEN=none and a claim takeover) is deleted by the
    // invocation that created it; only pipelines, never the configuration.
    this.role.addToPolicy(
      new iam.PolicyStatement({ actions: ['chime:DeleteMediaPipeline'], resources: [pipelines] }),
    );
    acknowledgeWildcardResources(
      this.role,
      [pipelines],
      'Pipeline ids are made by the service per call; the actions are CreateMediaInsightsPipeline and DeleteMediaPipeline (of a duplicate) only.',
    );
    if (writeMetadata) {
      // The metadata objects (`<key>.json`), under the recordings' prefix only: at the bucket
      // root (prefix '') that is every `.json` key, as the function then writes `<key>.json`.
      const objects = props.bucket.arnForObjects(
        props.prefix === '' ? '*.json' : `${props.prefix}/*.json`,
      );
      this.role.addToPolicy(
        new iam.PolicyStatement({ actions: ['s3:PutObject'], resources: [objects] }),
      );
      acknowledgeWildcardResources(
        this.role,
        [objects],
        'Metadata object names follow the calls; PutObject of .json under the recordings prefix only.',
      );
    }
  }

  #rules(props: RecorderFunctionProps): void {
    const target = new targets.LambdaFunction(this.fn, {
      deadLetterQueue: this.deadLetterQueue,
      retryAttempts: 8,
      maxEventAge: Duration.hours(2),
    });
    new events.Rule(this, 'StreamingStatusRule', {
      description: 'Chime Voice Connector streaming status of the recorded connectors',
      eventPattern: {
        source: ['aws.chime'],
        detailType: ['Chime VoiceConnector Streaming Status'],
        detail: {
          voiceConnectorId: props.voiceConnectorIds,
          streamingStatus: props.streamingStatuses ?? ['STARTED', 'ENDED', 'FAILED'],
        },
      },
      targets: [target],
    });
    if (props.trackPipelineStatus ?? true) {
      new events.Rule(this, 'PipelineStateRule', {
        description: 'Outcomes of the pipelines the recorder created (matched by runtime metadata)',
        eventPattern: {
          source: ['aws.chime'],
          detailType: ['Media Insights State Change'],
          detail: { voiceConnectorId: props.voiceConnectorIds },
        },
        targets: [target],
      });
    }
    new events.Rule(this, 'SweepSchedule', {
      description: 'Finalises one-leg calls, missing ENDED events and retries',
      schedule: events.Schedule.rate(props.sweepInterval ?? Duration.minutes(1)),
      targets: [target],
    });
  }
}
