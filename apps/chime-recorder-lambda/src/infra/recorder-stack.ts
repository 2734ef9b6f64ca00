import {
  Arn,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  aws_dynamodb as dynamodb,
  aws_events as events,
  aws_events_targets as targets,
  aws_iam as iam,
  aws_lambda as lambda,
  aws_lambda_destinations as destinations,
  aws_logs as logs,
  aws_sqs as sqs,
} from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { TABLE_SCHEMA } from '../lib/table';

/** Properties of {@link RecorderStack}. */
export interface RecorderStackProps extends StackProps {
  /** The Lambda code: the ZIP that `nx build chime-recorder-lambda` writes. */
  code: lambda.Code;
  /** Voice Connectors whose calls are recorded; the EventBridge rules match only these. */
  voiceConnectorIds: string[];
  /** ARN of the Media Insights Pipeline Configuration (an `S3RecordingSink`). */
  pipelineConfigurationArn: string;
  /** The bucket the configuration's role writes to. */
  recordingBucketName: string;
  /** @default 'originalAudio' */
  recordingBucketPrefix?: string;
  /** Streaming statuses the rule delivers. @default ['STARTED', 'ENDED', 'FAILED'] */
  streamingStatuses?: string[];
  /** Also subscribe to `Media Insights State Change`. @default true */
  trackPipelineStatus?: boolean;
  /** How often the finalize sweep runs. @default Duration.minutes(1) */
  sweepInterval?: Duration;
  /** Further recorder settings (see the README), e.g. `{ FINALIZE_AFTER_MS: '120000' }`. */
  settings?: Record<string, string>;
  /**
   * Resources of the `chime:CreateMediaInsightsPipeline` grant.
   * @default the configuration ARN and `media-pipeline/*` in this account and region
   */
  pipelinePermissionResources?: string[];
  /** @default RemovalPolicy.RETAIN */
  removalPolicy?: RemovalPolicy;
}

/**
 * The recorder's deployment: the call table (TTL, point-in-time recovery, the due index), the
 * function with an on-failure queue for async retries, narrowed EventBridge rules, the sweep
 * schedule and a least-privilege role.
 *
 * @example
 * ```ts
 * new RecorderStack(app, 'ChimeRecorder', {
 *   code: lambda.Code.fromAsset('dist/apps/chime-recorder-lambda/chime-recorder-lambda.zip'),
 *   voiceConnectorIds: ['bfggco08s5m5esgxfskzks'],
 *   pipelineConfigurationArn: 'arn:aws:chime:us-east-1:112233445566:media-insights-pipeline-configuration/Record',
 *   recordingBucketName: 'my-recordings',
 * });
 * ```
 */
export class RecorderStack extends Stack {
  readonly table: dynamodb.Table;
  readonly fn: lambda.Function;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: RecorderStackProps) {
    super(scope, id, props);
    if (props.voiceConnectorIds.length === 0) {
      throw new Error('RecorderStack needs at least one Voice Connector id');
    }
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    const dueIndexName = 'due-index';

    this.table = new dynamodb.Table(this, 'CallTable', {
      partitionKey: { name: TABLE_SCHEMA.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_SCHEMA.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_SCHEMA.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      encryption: dynamodb.TableEncryption.AWS_MANAGED,
      removalPolicy,
    });
    this.table.addGlobalSecondaryIndex({
      indexName: dueIndexName,
      partitionKey: {
        name: TABLE_SCHEMA.dueIndexPartitionKey,
        type: dynamodb.AttributeType.STRING,
      },
      sortKey: { name: TABLE_SCHEMA.dueIndexSortKey, type: dynamodb.AttributeType.NUMBER },
      projectionType: dynamodb.ProjectionType.KEYS_ONLY,
    });

    this.deadLetterQueue = new sqs.Queue(this, 'FailedEvents', {
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    });

    const logGroup = new logs.LogGroup(this, 'Logs', {
      retention: logs.RetentionDays.ONE_MONTH,
      removalPolicy,
    });

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'chime-recorder-lambda: call table, CreateMediaInsightsPipeline, its logs',
    });

    this.fn = new lambda.Function(this, 'Function', {
      runtime: lambda.Runtime.NODEJS_22_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: props.code,
      role,
      memorySize: 256,
      // Well under the default CLAIM_LEASE_MS (5 min), so a live claim is never taken over.
      timeout: Duration.seconds(60),
      logGroup,
      environment: {
        CALL_TABLE: this.table.tableName,
        DUE_INDEX_NAME: dueIndexName,
        RECORDING_BUCKET: props.recordingBucketName,
        RECORDING_BUCKET_PREFIX: props.recordingBucketPrefix ?? 'originalAudio',
        MEDIA_INSIGHT_PIPELINE_ARN: props.pipelineConfigurationArn,
        VOICECONNECTOR_ID: props.voiceConnectorIds.join(','),
        LOG_LEVEL: 'INFO',
        TRACK_PIPELINE_STATUS: String(props.trackPipelineStatus ?? true),
        NODE_OPTIONS: '--enable-source-maps',
        ...props.settings,
      },
      retryAttempts: 2,
      maxEventAge: Duration.hours(6),
      onFailure: new destinations.SqsDestination(this.deadLetterQueue),
    });
    logGroup.grantWrite(role);

    // Only the two item operations the recorder performs, on the table and its due index.
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:UpdateItem', 'dynamodb:Query'],
        resources: [this.table.tableArn, `${this.table.tableArn}/index/${dueIndexName}`],
      }),
    );
    if (props.settings?.['WRITE_METADATA_JSON']?.toLowerCase() !== 'false') {
      // The metadata objects (`<key>.json`), under the recordings' prefix only.
      const prefix = (props.recordingBucketPrefix ?? 'originalAudio').replace(/^\/+|\/+$/g, '');
      role.addToPolicy(
        new iam.PolicyStatement({
          actions: ['s3:PutObject'],
          resources: [
            Arn.format(
              {
                service: 's3',
                region: '',
                account: '',
                resource: props.recordingBucketName,
                resourceName: prefix === '' ? '*.json' : `${prefix}/*.json`,
              },
              this,
            ),
          ],
        }),
      );
    }
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['chime:CreateMediaInsightsPipeline'],
        resources: props.pipelinePermissionResources ?? [
          props.pipelineConfigurationArn,
          Arn.format({ service: 'chime', resource: 'media-pipeline', resourceName: '*' }, this),
        ],
      }),
    );

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

    new CfnOutput(this, 'CallTableName', { value: this.table.tableName });
    new CfnOutput(this, 'FunctionName', { value: this.fn.functionName });
    new CfnOutput(this, 'FailedEventsQueueUrl', { value: this.deadLetterQueue.queueUrl });
  }
}
