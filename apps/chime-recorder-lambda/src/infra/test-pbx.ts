// The optional test PBX (BUILD_ASTERISK): an Asterisk instance with a fixed public address that
// the Voice Connector trusts, so a test call can be placed into the connector without a SIPREC
// source. Disposable by design: one small instance in a public subnet, no SSH (Session Manager).
import { aws_ec2 as ec2, aws_iam as iam, type aws_s3 as s3 } from 'aws-cdk-lib';
import { acknowledge } from '@org/infra';
import { Construct } from 'constructs';

/**
 * The Voice Connector's published SIP signaling and media ranges per region, from the Amazon
 * Chime SDK network configuration page. Uncertain (AWS may change them): `VOICE_CONNECTOR_CIDRS`
 * overrides them.
 */
export const VOICE_CONNECTOR_RANGES: Readonly<Record<string, readonly string[]>> = {
  'us-east-1': [
    '3.80.16.0/23',
    '52.55.62.128/25',
    '52.55.63.0/25',
    '34.212.95.128/25',
    '34.223.21.0/25',
  ],
  'us-west-2': ['99.77.253.0/24'],
  'ap-northeast-2': ['99.77.242.0/24'],
  'ap-southeast-1': ['99.77.240.0/24'],
  'ap-southeast-2': ['99.77.239.0/24'],
  'ap-northeast-1': ['99.77.244.0/24'],
  'ca-central-1': ['99.77.233.0/24'],
  'eu-central-1': ['99.77.247.0/24'],
  'eu-west-1': ['99.77.250.0/24'],
  'eu-west-2': ['99.77.249.0/24'],
};

/** What Asterisk logs for one LOG_LEVEL: logger.conf's levels and the core verbose/debug levels. */
export interface AsteriskLogging {
  /** The levels of the `console` and `messages` channels (logger.conf); none: no channel. */
  readonly levels: readonly string[];
  /** `verbose` in asterisk.conf, and `core set verbose` once Asterisk runs. */
  readonly verbose: number;
  /** `debug` in asterisk.conf, and `core set debug` once Asterisk runs. */
  readonly debug: number;
}

/** The recorder's LOG_LEVEL values (any case) as the test PBX's Asterisk logging. */
export const ASTERISK_LOGGING: Readonly<Record<string, AsteriskLogging>> = {
  TRACE: {
    levels: ['notice', 'warning', 'error', 'debug', 'verbose', 'dtmf'],
    verbose: 5,
    debug: 5,
  },
  DEBUG: { levels: ['notice', 'warning', 'error', 'debug', 'verbose'], verbose: 3, debug: 1 },
  INFO: { levels: ['notice', 'warning', 'error', 'verbose'], verbose: 3, debug: 0 },
  WARN: { levels: ['warning', 'error'], verbose: 0, debug: 0 },
  WARNING: { levels: ['warning', 'error'], verbose: 0, debug: 0 },
  ERROR: { levels: ['error'], verbose: 0, debug: 0 },
  FATAL: { levels: ['error'], verbose: 0, debug: 0 },
  SILENT: { levels: [], verbose: 0, debug: 0 },
};

/**
 * The Asterisk logging for `logLevel` (the stack's LOG_LEVEL, any case).
 * @throws Error for a level the recorder does not know.
 */
export function asteriskLogging(logLevel: string): AsteriskLogging {
  const logging = ASTERISK_LOGGING[logLevel.toUpperCase()];
  if (logging === undefined) {
    throw new Error(
      `LOG_LEVEL ${JSON.stringify(logLevel)}: expected one of ${Object.keys(ASTERISK_LOGGING).join(', ')}`,
    );
  }
  return logging;
}

/** Properties of {@link TestPbx}. */
export interface TestPbxProps {
  /** The connector's `<id>.voiceconnector.chime.aws`. */
  readonly outboundHostName: string;
  /** Where the connector's SIP and RTP come from (see {@link VOICE_CONNECTOR_RANGES}). */
  readonly voiceConnectorCidrs: readonly string[];
  /** @default 't4g.small' (arm64) */
  readonly instanceType?: string;
  /** The bucket of the VPC flow logs. */
  readonly flowLogsBucket: s3.IBucket;
  /** The stack's LOG_LEVEL, mapped to Asterisk's logging ({@link ASTERISK_LOGGING}). @default 'INFO' */
  readonly logLevel?: string;
}

/**
 * A VPC with one public subnet (flow logs to S3, no NAT), an Elastic IP, and an Ubuntu 24.04
 * instance running Asterisk: IMDSv2 only, encrypted root volume, detailed monitoring, Session
 * Manager instead of SSH, SIP (5060) and RTP (10000–20000) open to the Voice Connector's ranges
 * only. Asterisk sends calls to the connector (`PJSIP/<number>@voiceconnector`) and answers calls
 * from it with a test prompt.
 *
 * @example
 * ```ts
 * const pbx = new TestPbx(this, 'TestPbx', { outboundHostName, voiceConnectorCidrs, flowLogsBucket });
 * // terminationCidrs: [`${pbx.publicIp}/32`]
 * ```
 */
export class TestPbx extends Construct {
  /** The PBX's fixed public address (the connector's termination allowlist takes it as /32). */
  readonly publicIp: string;
  readonly instance: ec2.Instance;

  constructor(scope: Construct, id: string, props: TestPbxProps) {
    super(scope, id);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: 1,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 }],
      flowLogs: {
        toS3: {
          destination: ec2.FlowLogDestination.toS3(props.flowLogsBucket, 'vpc-flow-logs/'),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
    });
    const group = new ec2.SecurityGroup(this, 'SipAndRtp', {
      vpc: vpc as ec2.IVpc,
      description: 'Asterisk test PBX: SIP and RTP from the Chime Voice Connector ranges only',
      allowAllOutbound: true,
    });
    for (const cidr of props.voiceConnectorCidrs) {
      const peer = ec2.Peer.ipv4(cidr);
      group.addIngressRule(peer, ec2.Port.udp(5060), 'SIP from the Voice Connector');
      group.addIngressRule(peer, ec2.Port.tcp(5060), 'SIP over TCP from the Voice Connector');
      group.addIngressRule(peer, ec2.Port.udpRange(10000, 20000), 'RTP from the Voice Connector');
    }
    const eip = new ec2.CfnEIP(this, 'Address', { domain: 'vpc' });
    this.publicIp = eip.attrPublicIp;

    const role = new iam.Role(this, 'Role', {
      assumedBy: new iam.ServicePrincipal('ec2.amazonaws.com'),
      description: 'Asterisk test PBX: Session Manager access only',
      managedPolicies: [iam.ManagedPolicy.fromAwsManagedPolicyName('AmazonSSMManagedInstanceCore')],
    });
    acknowledge(role, {
      id: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]',
      reason: 'AmazonSSMManagedInstanceCore is the AWS-maintained minimum for Session Manager.',
    });

    this.instance = new ec2.Instance(this, 'Asterisk', {
      vpc: vpc as ec2.IVpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      instanceType: new ec2.InstanceType(props.instanceType ?? 't4g.small'),
      machineImage: ec2.MachineImage.fromSsmParameter(
        '/aws/service/canonical/ubuntu/server/24.04/stable/current/arm64/hvm/ebs-gp3/ami-id',
      ),
      securityGroup: group,
      role,
      requireImdsv2: true,
      // A changed LOG_LEVEL (or any user data) replaces the instance: user data runs at first boot
      // only, so a restart alone would keep the old settings.
      userDataCausesReplacement: true,
      detailedMonitoring: true,
      blockDevices: [
        {
          deviceName: '/dev/sda1',
          volume: ec2.BlockDeviceVolume.ebs(16, {
            encrypted: true,
            volumeType: ec2.EbsDeviceVolumeType.GP3,
          }),
        },
      ],
      userData: asteriskUserData(
        this.publicIp,
        props.outboundHostName,
        props.voiceConnectorCidrs,
        asteriskLogging(props.logLevel ?? 'INFO'),
      ),
    });
    new ec2.CfnEIPAssociation(this, 'AddressAssociation', {
      allocationId: eip.attrAllocationId,
      instanceId: this.instance.instanceId,
    });
    acknowledge(this.instance, {
      id: 'AwsSolutions-EC29',
      reason: 'A disposable test PBX: termination protection would only block the teardown.',
    });
  }
}

/** Installs Asterisk, points it at the Voice Connector and sets its logging (LOG_LEVEL). */
function asteriskUserData(
  publicIp: string,
  outboundHost: string,
  cidrs: readonly string[],
  logging: AsteriskLogging,
): ec2.UserData {
  const data = ec2.UserData.forLinux();
  const pjsip = [
    '[transport-udp]',
    'type=transport',
    'protocol=udp',
    'bind=0.0.0.0:5060',
    `external_media_address=${publicIp}`,
    `external_signaling_address=${publicIp}`,
    '',
    '[voiceconnector]',
    'type=endpoint',
    'context=from-voiceconnector',
    'transport=transport-udp',
    'disallow=all',
    'allow=ulaw',
    'direct_media=no',
    'aors=voiceconnector',
    '',
    '[voiceconnector]',
    'type=aor',
    `contact=sip:${outboundHost}`,
    '',
    '[voiceconnector]',
    'type=identify',
    'endpoint=voiceconnector',
    ...cidrs.map((c) => `match=${c}`),
  ];
  const extensions = [
    '[from-voiceconnector]',
    'exten => _X.,1,Answer()',
    ' same => n,Playback(demo-congrats)',
    ' same => n,Wait(20)',
    ' same => n,Hangup()',
    '',
    '[to-voiceconnector]',
    'exten => _+X.,1,Dial(PJSIP/${EXTEN}@voiceconnector,60)',
  ];
  data.addCommands(
    'set -eu',
    'export DEBIAN_FRONTEND=noninteractive',
    'apt-get update',
    'apt-get install -y asterisk',
    `printf '%s\\n' ${shellWords(pjsip)} > /etc/asterisk/pjsip.conf`,
    `printf '%s\\n' ${shellWords(extensions)} > /etc/asterisk/extensions.conf`,
    "printf '%s\\n' '[general]' 'rtpstart=10000' 'rtpend=20000' > /etc/asterisk/rtp.conf",
    ...loggingCommands(logging),
    'systemctl enable asterisk',
    'systemctl restart asterisk',
    // The same levels at once in the running Asterisk (core set verbose/debug).
    'for i in $(seq 1 30); do asterisk -rx "core waitfullybooted" && break; sleep 2; done',
    `asterisk -rx 'core set verbose ${logging.verbose}' || true`,
    `asterisk -rx 'core set debug ${logging.debug}' || true`,
  );
  return data;
}

/** logger.conf (console and messages channels) and asterisk.conf's verbose and debug levels. */
function loggingCommands(logging: AsteriskLogging): string[] {
  const levels = logging.levels.join(',');
  const logger = [
    '[general]',
    'dateformat=%F %T.%3q',
    '',
    '[logfiles]',
    ...(logging.levels.length === 0 ? [] : [`console => ${levels}`, `messages => ${levels}`]),
  ];
  return [
    `printf '%s\\n' ${shellWords(logger)} > /etc/asterisk/logger.conf`,
    // Debian's asterisk.conf has them commented out in [options] (`;verbose = 3`, `;debug = 3`).
    `sed -i -E 's/^;?[[:space:]]*verbose[[:space:]]*=.*/verbose = ${logging.verbose}/; s/^;?[[:space:]]*debug[[:space:]]*=.*/debug = ${logging.debug}/' /etc/asterisk/asterisk.conf`,
  ];
}

function shellWords(lines: readonly string[]): string {
  return lines.map((l) => `'${l.replace(/'/g, "'\\''")}'`).join(' ');
}
