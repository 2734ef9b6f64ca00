import {
  CfnOutput,
  RemovalPolicy,
  Stack,
  type StackProps,
  type aws_lambda as lambda,
} from 'aws-cdk-lib';
import { accessLogsBucket, applyCommonTags, OperationalAlarms, standardLogGroup } from '@org/infra';
import type { Construct } from 'constructs';
import { RecorderFunction } from './recorder-function';
import { normalizeRecordingPrefix } from './recorder-settings';
import { RecordingSink } from './recording-sink';
import { RecorderTelephony } from './telephony';
import { TestPbx, VOICE_CONNECTOR_RANGES } from './test-pbx';

/** Properties of {@link RecorderStack}. */
export interface RecorderStackProps extends StackProps {
  /** The Lambda code: the ZIP that `nx build chime-recorder-lambda` writes. */
  readonly code: lambda.Code;
  /** An existing bucket for the recordings (OUTPUT_BUCKET); none: the stack creates one. */
  readonly outputBucket?: string;
  /**
   * Key prefix of the recordings and metadata objects; `''` is the bucket root. A trailing `/` is
   * dropped; a leading `/`, `..` and characters outside `[-_.a-zA-Z0-9/]` are refused. The
   * function's `RECORDING_BUCKET_PREFIX` and both S3 grants use this one value.
   * @default 'originalAudio'
   */
  readonly recordingBucketPrefix?: string;
  /**
   * An existing Voice Connector to record (its streaming must already notify EventBridge, with
   * automatic recording disabled); none: the stack creates and configures one.
   */
  readonly voiceConnectorId?: string;
  /** SIPREC sources allowed to send calls into the created Voice Connector (termination). */
  readonly siprecCidrs?: readonly string[];
  /** Build the Asterisk test PBX (BUILD_ASTERISK). @default false */
  readonly buildAsterisk?: boolean;
  /** The Voice Connector's SIP/RTP ranges for the test PBX. @default the region's published ranges */
  readonly voiceConnectorCidrs?: readonly string[];
  /** @default 't4g.small' */
  readonly asteriskInstanceType?: string;
  /** TLS/SRTP on the created Voice Connector. @default false */
  readonly voiceConnectorEncryption?: boolean;
  /** KVS retention of the call audio, hours; longer than the longest call. @default 24 */
  readonly kvsRetentionHours?: number;
  /** Days after which recordings in the created bucket expire; 0 keeps them. @default 0 */
  readonly recordingExpirationDays?: number;
  /** What a teardown does with the bucket, table and logs. @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
  /** The recorder's LOG_LEVEL, also the test PBX's Asterisk logging. @default 'INFO' */
  readonly logLevel?: string;
  /**
   * Subscribe the recorder to `Media Insights State Change` and let it act on those events (its
   * TRACK_PIPELINE_STATUS). @default true
   */
  readonly trackPipelineStatus?: boolean;
  /**
   * Further recorder settings (APP_SETTINGS; see the README), e.g. `{ FINALIZE_AFTER_MS: '120000' }`.
   * The settings the stack sets itself (`STACK_SET_SETTINGS`, `LOG_LEVEL` and
   * `TRACK_PIPELINE_STATUS` among them) are refused.
   */
  readonly settings?: Record<string, string>;
  /** The sample's TAG_OWNER: an `Owner` tag on every resource. */
  readonly owner?: string;
  /** ALARM_EMAIL: subscribed to the alarm topic (SNS sends a confirmation first). */
  readonly alarmEmail?: string;
}

/**
 * The whole recorder deployment, as the 2023 sample's stack and more: a Voice Connector
 * streaming to Kinesis Video Streams with EventBridge notifications, the Media Insights pipeline
 * configuration with its S3 recording sink, the recordings bucket (unless one is given), the
 * recorder function with its table, rules and queue, and optionally the Asterisk test PBX.
 *
 * @example
 * ```ts
 * new RecorderStack(app, 'ChimeRecorder', {
 *   code: lambda.Code.fromAsset('dist/apps/chime-recorder-lambda/chime-recorder-lambda.zip'),
 *   buildAsterisk: true,
 * });
 * ```
 */
export class RecorderStack extends Stack {
  readonly sink: RecordingSink;
  readonly recorder: RecorderFunction;
  readonly telephony: RecorderTelephony | undefined;
  readonly testPbx: TestPbx | undefined;
  /** The topic and the alarms (docs/deploy.md, Chime recorder, Alarms). */
  readonly alarms: OperationalAlarms;

  constructor(scope: Construct, id: string, props: RecorderStackProps) {
    super(scope, id, props);
    const removalPolicy = props.removalPolicy ?? RemovalPolicy.RETAIN;
    // One value for the function's environment and both S3 grants (sink role, metadata writes).
    const prefix = normalizeRecordingPrefix(props.recordingBucketPrefix);
    const logGroup = standardLogGroup(this, 'Logs', { removalPolicy });
    this.sink = new RecordingSink(this, 'Sink', {
      ...(props.outputBucket === undefined ? {} : { existingBucketName: props.outputBucket }),
      prefix,
      expirationDays: props.recordingExpirationDays ?? 0,
      removalPolicy,
    });
    const configArn = this.sink.configuration.attrMediaInsightsPipelineConfigurationArn;

    if (props.voiceConnectorId === undefined) {
      this.telephony = new RecorderTelephony(this, 'Telephony', {
        encryption: props.voiceConnectorEncryption ?? false,
        streaming: {
          retentionHours: props.kvsRetentionHours ?? 24,
          pipelineConfigurationArn: configArn,
        },
        logGroup,
      });
      if (props.buildAsterisk ?? false) {
        this.testPbx = this.#testPbx(props, this.telephony.outboundHostName, removalPolicy);
        this.telephony.allowTermination([`${this.testPbx.publicIp}/32`]);
        this.telephony.routeOriginationTo(this.testPbx.publicIp);
      } else if ((props.siprecCidrs ?? []).length > 0) {
        this.telephony.allowTermination(props.siprecCidrs ?? []);
      }
    }
    const voiceConnectorId =
      props.voiceConnectorId ?? (this.telephony as RecorderTelephony).voiceConnectorId;

    this.recorder = new RecorderFunction(this, 'Recorder', {
      code: props.code,
      voiceConnectorIds: [voiceConnectorId],
      pipelineConfigurationArn: configArn,
      bucket: this.sink.bucket,
      prefix,
      logGroup,
      removalPolicy,
      ...(props.logLevel === undefined ? {} : { logLevel: props.logLevel }),
      ...(props.trackPipelineStatus === undefined
        ? {}
        : { trackPipelineStatus: props.trackPipelineStatus }),
      ...(props.settings === undefined ? {} : { settings: props.settings }),
    });
    this.alarms = recorderAlarms(this, this.recorder, props.alarmEmail);
    applyCommonTags(this, {
      service: 'chime-recorder',
      ...(props.owner ? { owner: props.owner } : {}),
    });
    this.#outputs(voiceConnectorId, configArn);
  }

  #testPbx(
    props: RecorderStackProps,
    outboundHostName: string,
    removalPolicy: RemovalPolicy,
  ): TestPbx {
    const cidrs =
      props.voiceConnectorCidrs && props.voiceConnectorCidrs.length > 0
        ? props.voiceConnectorCidrs
        : VOICE_CONNECTOR_RANGES[this.region];
    if (cidrs === undefined) {
      throw new Error(
        `no published Voice Connector ranges for region ${this.region}: set VOICE_CONNECTOR_CIDRS (or the stack's env region)`,
      );
    }
    return new TestPbx(this, 'TestPbx', {
      outboundHostName,
      voiceConnectorCidrs: cidrs,
      flowLogsBucket:
        this.sink.logsBucket ?? accessLogsBucket(this, 'PbxFlowLogs', { removalPolicy }),
      ...(props.asteriskInstanceType ? { instanceType: props.asteriskInstanceType } : {}),
      logLevel: props.logLevel ?? 'INFO',
    });
  }

  #outputs(voiceConnectorId: string, configArn: string): void {
    new CfnOutput(this, 'VoiceConnectorId', { value: voiceConnectorId });
    if (this.telephony) {
      new CfnOutput(this, 'OutboundHostName', { value: this.telephony.outboundHostName });
    }
    new CfnOutput(this, 'MediaInsightsPipelineConfigurationArn', { value: configArn });
    new CfnOutput(this, 'RecordingBucketName', { value: this.sink.bucket.bucketName });
    new CfnOutput(this, 'CallTableName', { value: this.recorder.table.tableName });
    new CfnOutput(this, 'FunctionName', { value: this.recorder.fn.functionName });
    new CfnOutput(this, 'FailedEventsQueueUrl', { value: this.recorder.deadLetterQueue.queueUrl });
    this.alarms.output('alarmTopicArn');
    if (this.testPbx) {
      new CfnOutput(this, 'TestPbxInstanceId', { value: this.testPbx.instance.instanceId });
      new CfnOutput(this, 'TestPbxPublicIp', { value: this.testPbx.publicIp });
    }
  }
}

/**
 * The recorder's alarms: the function's errors and throttles (a failed invocation is retried and
 * then lands in the failure queue, so an error is worth a look before that), and any message in
 * the failure queue (an event that failed every attempt: a call that may not be recorded).
 */
function recorderAlarms(
  scope: Construct,
  recorder: RecorderFunction,
  email: string | undefined,
): OperationalAlarms {
  const alarms = new OperationalAlarms(scope, 'Alarms', { email });
  alarms.addFunctionAlarms('Recorder', recorder.fn);
  alarms.addDeadLetterQueueAlarm('FailedEvents', recorder.deadLetterQueue);
  return alarms;
}
