// Where the recordings go: the bucket (created, or the OUTPUT_BUCKET given), and the Media Insights
// pipeline configuration whose S3 recording sink the recorder's CreateMediaInsightsPipeline calls
// name, with the role the media-pipelines service takes to read KVS and write the bucket.
import {
  Duration,
  type RemovalPolicy,
  Stack,
  aws_chime as chime,
  aws_iam as iam,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { accessLogsBucket, acknowledgeWildcardResources, secureBucket } from '@org/infra';
import { Construct } from 'constructs';
import { normalizeRecordingPrefix } from './recorder-settings';

/** Properties of {@link RecordingSink}. */
export interface RecordingSinkProps {
  /** An existing bucket (the sample's OUTPUT_BUCKET); none: this construct creates one. */
  readonly existingBucketName?: string;
  /** Key prefix of the recordings (`''` = bucket root; checked by `normalizeRecordingPrefix`). */
  readonly prefix: string;
  /** Days after which recordings expire; 0 keeps them. */
  readonly expirationDays: number;
  /** What a teardown does with the bucket it created (a non-empty bucket is never deleted). */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The recordings bucket (when none is given: SSE-S3, public access blocked, owner-enforced, TLS
 * 1.2+ only, server access logs, a lifecycle moving recordings to Infrequent Access after 30
 * days and optionally expiring them), and a Media Insights pipeline configuration with a single
 * `S3RecordingSink` element writing to it.
 *
 * @example
 * ```ts
 * const sink = new RecordingSink(this, 'Sink', {
 *   prefix: 'originalAudio', expirationDays: 0, removalPolicy: RemovalPolicy.RETAIN,
 * });
 * sink.configuration.attrMediaInsightsPipelineConfigurationArn;
 * ```
 */
export class RecordingSink extends Construct {
  readonly bucket: s3.IBucket;
  /** Whether {@link bucket} was created here. */
  readonly ownsBucket: boolean;
  /** The server access log bucket of a bucket created here (other logs may go there too). */
  readonly logsBucket: s3.IBucket | undefined;
  readonly configuration: chime.CfnMediaInsightsPipelineConfiguration;
  /** The role the media-pipelines service assumes for this configuration. */
  readonly accessRole: iam.Role;

  constructor(scope: Construct, id: string, props: RecordingSinkProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.ownsBucket = props.existingBucketName === undefined;
    if (props.existingBucketName !== undefined) {
      this.bucket = s3.Bucket.fromBucketName(this, 'Recordings', props.existingBucketName);
      this.logsBucket = undefined;
    } else {
      const logs = accessLogsBucket(this, 'AccessLogs', { removalPolicy: props.removalPolicy });
      this.logsBucket = logs;
      this.bucket = secureBucket(this, 'Recordings', {
        accessLogs: { bucket: logs, prefix: 'recordings-access/' },
        removalPolicy: props.removalPolicy,
        lifecycleRules: [
          {
            id: 'recordings-to-infrequent-access',
            transitions: [
              {
                storageClass: s3.StorageClass.INFREQUENT_ACCESS,
                transitionAfter: Duration.days(30),
              },
            ],
            ...(props.expirationDays > 0
              ? { expiration: Duration.days(props.expirationDays) }
              : {}),
          },
        ],
      });
    }
    // Every key the pipelines write: `<prefix>/<name>.wav`, or `<name>.wav` at the bucket root.
    const prefix = normalizeRecordingPrefix(props.prefix);
    const objects = this.bucket.arnForObjects(prefix === '' ? '*' : `${prefix}/*`);

    this.accessRole = new iam.Role(this, 'AccessRole', {
      description: 'Media Insights pipelines of the Chime recorder: read KVS, write recordings',
      assumedBy: new iam.ServicePrincipal('mediapipelines.chime.amazonaws.com', {
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: { 'aws:SourceArn': `arn:${stack.partition}:chime:*:${stack.account}:*` },
        },
      }),
    });
    // Only what an S3 recording sink does: read the call's fragments, write the audio file.
    this.accessRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject', 's3:PutObjectTagging'],
        resources: [objects],
      }),
    );
    const streams = `arn:${stack.partition}:kinesisvideo:${stack.region}:${stack.account}:stream/ChimeVoiceConnector-*`;
    this.accessRole.addToPolicy(
      new iam.PolicyStatement({
        actions: [
          'kinesisvideo:GetDataEndpoint',
          'kinesisvideo:ListFragments',
          'kinesisvideo:GetMediaForFragmentList',
        ],
        resources: [streams],
      }),
    );
    acknowledgeWildcardResources(
      this.accessRole,
      [objects],
      'Recording names follow the calls; the pipelines write objects under the prefix only.',
    );
    acknowledgeWildcardResources(
      this.accessRole,
      [streams],
      'Chime creates one KVS stream per call leg; only its ChimeVoiceConnector-* streams are readable.',
    );

    this.configuration = new chime.CfnMediaInsightsPipelineConfiguration(this, 'Configuration', {
      mediaInsightsPipelineConfigurationName: `${stack.stackName}-recording`.slice(0, 64),
      resourceAccessRoleArn: this.accessRole.roleArn,
      elements: [
        {
          type: 'S3RecordingSink',
          s3RecordingSinkConfiguration: {
            destination: this.bucket.bucketArn,
            recordingFileFormat: 'Wav',
          },
        },
      ],
    });
    this.configuration.node.addDependency(this.accessRole);
  }
}
