// The Voice Connector and its streaming, termination and origination settings.
//
// CloudFormation has `AWS::Chime::VoiceConnector` (name, encryption, network type) but no resource
// for a connector's streaming, termination or origination settings. Those are three Put/Delete
// API pairs, made here with `AwsCustomResource` (the CDK's own SDK-call custom resource, on the
// CDK's current Node.js runtime, with one least-privilege statement per call). The
// `cdk-amazon-chime-resources` constructs were read and not used: their provider function runs on
// Node.js 18 (a deprecated Lambda runtime), loads its code from a path relative to the working
// directory, and holds one role with two dozen `chime:` actions and `ssm:*Parameter*` on `*`;
// and the two resources this stack needs from them now exist in CloudFormation.
import {
  Arn,
  ArnFormat,
  Stack,
  aws_chime as chime,
  aws_iam as iam,
  type aws_logs as logs,
} from 'aws-cdk-lib';
import {
  AwsCustomResource,
  AwsCustomResourcePolicy,
  type AwsSdkCall,
  PhysicalResourceId,
} from 'aws-cdk-lib/custom-resources';
import { acknowledge } from '@org/infra';
import { Construct, type IConstruct } from 'constructs';

/** Streaming to Kinesis Video Streams with notifications to EventBridge. */
export interface StreamingSettings {
  /** Hours the KVS streams keep the audio; longer than the longest call. */
  readonly retentionHours: number;
  /**
   * The Media Insights pipeline configuration. Its `Disabled` flag stays `true`: this recorder
   * records selectively, so the service must not record every call by itself.
   */
  readonly pipelineConfigurationArn: string;
}

/** Properties of {@link RecorderTelephony}. */
export interface RecorderTelephonyProps {
  /** TLS for SIP and SRTP for media (the sample: off). */
  readonly encryption: boolean;
  readonly streaming: StreamingSettings;
  /** The custom resources' function logs. */
  readonly logGroup: logs.ILogGroup;
}

const VOICE_SDK = '@aws-sdk/client-chime-sdk-voice';

/**
 * A Voice Connector that streams every call leg to Kinesis Video Streams (retention as set),
 * notifies EventBridge of each stream's start and end, and names the Media Insights pipeline
 * configuration with automatic recording disabled; {@link allowTermination} adds the termination
 * allowlist (SIPREC sources or the test PBX), {@link routeOriginationTo} an origination route.
 *
 * @example
 * ```ts
 * const telephony = new RecorderTelephony(this, 'Telephony', {
 *   encryption: false,
 *   streaming: { retentionHours: 24, pipelineConfigurationArn },
 *   logGroup,
 * });
 * telephony.allowTermination(['198.51.100.0/27']);
 * ```
 */
export class RecorderTelephony extends Construct {
  readonly voiceConnector: chime.CfnVoiceConnector;
  /** The Voice Connector id (its events carry it as `detail.voiceConnectorId`). */
  readonly voiceConnectorId: string;
  /** `<id>.voiceconnector.chime.aws`: where a PBX sends its calls. */
  readonly outboundHostName: string;
  /** The streaming settings custom resource (tests read its SDK call). */
  readonly streaming: AwsCustomResource;
  readonly #vcArn: string;
  readonly #logGroup: logs.ILogGroup;
  readonly #acknowledged = new Set<IConstruct>();

  constructor(scope: Construct, id: string, props: RecorderTelephonyProps) {
    super(scope, id);
    const stack = Stack.of(this);
    this.voiceConnector = new chime.CfnVoiceConnector(this, 'VoiceConnector', {
      name: `${stack.stackName}-recorder`.slice(0, 100),
      requireEncryption: props.encryption,
    });
    this.voiceConnectorId = this.voiceConnector.attrVoiceConnectorId;
    this.outboundHostName = this.voiceConnector.attrOutboundHostName;
    this.#logGroup = props.logGroup;
    const vcArn = Arn.format(
      {
        service: 'chime',
        resource: 'vc',
        resourceName: this.voiceConnectorId,
        arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
      },
      stack,
    );
    this.#vcArn = vcArn;
    this.streaming = this.#setting('Streaming', {
      put: {
        action: 'PutVoiceConnectorStreamingConfiguration',
        parameters: {
          VoiceConnectorId: this.voiceConnectorId,
          StreamingConfiguration: {
            Disabled: false,
            DataRetentionInHours: props.streaming.retentionHours,
            StreamingNotificationTargets: [{ NotificationTarget: 'EventBridge' }],
            MediaInsightsConfiguration: {
              Disabled: true,
              ConfigurationArn: props.streaming.pipelineConfigurationArn,
            },
          },
        },
      },
      delete: 'DeleteVoiceConnectorStreamingConfiguration',
      // The first streaming configuration of an account creates the connector's service-linked
      // role, which writes the KVS streams.
      extra: [
        new iam.PolicyStatement({
          actions: ['iam:CreateServiceLinkedRole'],
          resources: [
            `arn:${stack.partition}:iam::${stack.account}:role/aws-service-role/voiceconnector.chime.amazonaws.com/AWSServiceRoleForAmazonChimeVoiceConnector`,
          ],
          conditions: {
            StringEquals: { 'iam:AWSServiceName': 'voiceconnector.chime.amazonaws.com' },
          },
        }),
      ],
    });
  }

  /** Lets `cidrs` send calls into the connector (termination), to US numbers, 1 call/s. */
  allowTermination(cidrs: readonly string[]): AwsCustomResource {
    return this.#setting('Termination', {
      put: {
        action: 'PutVoiceConnectorTermination',
        parameters: {
          VoiceConnectorId: this.voiceConnectorId,
          Termination: {
            Disabled: false,
            CidrAllowedList: [...cidrs],
            CallingRegions: ['US'],
            CpsLimit: 1,
          },
        },
      },
      delete: 'DeleteVoiceConnectorTermination',
    });
  }

  /** Sends calls from the connector's phone numbers to `host` (origination, SIP over UDP). */
  routeOriginationTo(host: string): AwsCustomResource {
    return this.#setting('Origination', {
      put: {
        action: 'PutVoiceConnectorOrigination',
        parameters: {
          VoiceConnectorId: this.voiceConnectorId,
          Origination: {
            Disabled: false,
            Routes: [{ Host: host, Port: 5060, Protocol: 'UDP', Priority: 1, Weight: 1 }],
          },
        },
      },
      delete: 'DeleteVoiceConnectorOrigination',
    });
  }

  /** One Put/Delete pair of Voice Connector settings as a custom resource. */
  #setting(
    id: string,
    s: {
      put: { action: string; parameters: Record<string, unknown> };
      delete: string;
      extra?: iam.PolicyStatement[];
    },
  ): AwsCustomResource {
    const put: AwsSdkCall = {
      service: VOICE_SDK,
      action: s.put.action,
      parameters: s.put.parameters,
      physicalResourceId: PhysicalResourceId.of(`${this.voiceConnectorId}-${id.toLowerCase()}`),
    };
    const resource = new AwsCustomResource(this, id, {
      onCreate: put,
      onUpdate: put,
      onDelete: {
        service: VOICE_SDK,
        action: s.delete,
        parameters: { VoiceConnectorId: this.voiceConnectorId },
        // Deleting the connector itself removes its settings; a missing one is not an error.
        ignoreErrorCodesMatching: 'NotFound.*',
      },
      policy: AwsCustomResourcePolicy.fromStatements([
        new iam.PolicyStatement({
          actions: [`chime:${s.put.action}`, `chime:${s.delete}`],
          resources: [this.#vcArn],
        }),
        ...(s.extra ?? []),
      ]),
      installLatestAwsSdk: false,
      logGroup: this.#logGroup,
    });
    const provider = Stack.of(this).node.tryFindChild(
      `AWS${AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`,
    );
    if (provider !== undefined && !this.#acknowledged.has(provider)) {
      this.#acknowledged.add(provider);
      acknowledge(provider, {
        id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        reason: "The CDK's SDK-call function: the managed policy only lets it write its own logs.",
      });
    }
    return resource;
  }
}
