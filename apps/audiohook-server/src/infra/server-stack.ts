// The AudioHook server on AWS, the production form of the vendor sample's one `cdk deploy`:
// Fargate behind an HTTPS-only ALB, a public certificate and DNS name, the recording bucket, the
// API keys in Secrets Manager, the shared replay cache, and scaling on sessions per task.

import {
  CfnOutput,
  Duration,
  SecretValue,
  Stack,
  type StackProps,
  type aws_dynamodb as dynamodb,
  aws_ecs as ecs,
  aws_efs as efs,
  type aws_s3 as s3,
  aws_secretsmanager as secretsmanager,
} from 'aws-cdk-lib';
import {
  accessLogsBucket,
  acknowledge,
  applyCommonTags,
  ContainerService,
  importSecret,
  FARGATE_MAX_STOP_TIMEOUT,
  InfraError,
  InfraErrorCode,
  type OperationalAlarms,
  PublicDomain,
  secureBucket,
  SharedFileSystem,
  StandardNetwork,
  stateTable,
} from '@org/infra';
import type { Construct } from 'constructs';
import { UPLOAD_MARGIN_MS } from '../shutdown-budget';
import type { AudioHookParameters } from './parameters';
import { AUDIOHOOK_PATH, serverIngress } from './server-ingress';
import { serverAlarms } from './server-alarms';
import {
  CONTAINER_PORT,
  grantServerCalls,
  RECORDINGS_DIR,
  serverEnvironment,
  serverFacts,
  type ServerFacts,
} from './server-runtime';
import { scaleOnSessions } from './server-scaling';

/** Properties of {@link AudioHookServerStack}. */
export interface AudioHookServerStackProps extends StackProps {
  readonly params: AudioHookParameters;
  /** The server image (from the bundle folder in synth, any image in tests). */
  readonly image: ecs.ContainerImage;
}

/**
 * @example
 * ```ts
 * new AudioHookServerStack(app, 'AudioHookServer', {
 *   params: readAudioHookParameters(process.env),
 *   image: ecs.ContainerImage.fromAsset('dist/apps/audiohook-server'),
 * });
 * ```
 */
export class AudioHookServerStack extends Stack {
  readonly recordingBucket: s3.IBucket;
  readonly replayTable: dynamodb.ITable;
  readonly apiKeys: secretsmanager.ISecret;
  readonly server: ContainerService;
  /** What the server needs after SIGTERM, from its configuration: drain, then close. */
  readonly drainDeadline: Duration;
  /** The drain and close, then the uploads: the deadline the server gives itself (main.ts). */
  readonly shutdownDeadline: Duration;
  /** The topic and alarms (ALARM_EMAIL). */
  readonly alarms: OperationalAlarms;

  constructor(scope: Construct, id: string, props: AudioHookServerStackProps) {
    super(scope, id, props);
    const p = props.params;
    applyCommonTags(this, { owner: p.TAG_OWNER, service: 'audiohook-server' });
    const logsBucket = accessLogsBucket(this, 'AccessLogs', { removalPolicy: p.REMOVAL_POLICY });
    const network = new StandardNetwork(this, 'Network', {
      natGateways: p.NAT_GATEWAYS,
      flowLogsBucket: logsBucket,
    });
    this.recordingBucket = secureBucket(this, 'Recordings', {
      accessLogs: { bucket: logsBucket, prefix: 'recordings-access/' },
      versioned: true,
      removalPolicy: p.REMOVAL_POLICY,
      lifecycleRules: [
        { id: 'expire-old-versions', noncurrentVersionExpiration: Duration.days(30) },
        ...(p.RECORDING_RETENTION_DAYS > 0
          ? [{ id: 'expire-recordings', expiration: Duration.days(p.RECORDING_RETENTION_DAYS) }]
          : []),
      ],
    });
    this.replayTable = stateTable(this, 'ReplayCache');
    this.apiKeys = this.#apiKeySecret(p.SECRET_NAME);

    const environment = serverEnvironment({
      bucket: this.recordingBucket,
      secret: this.apiKeys,
      replayTable: this.replayTable,
      metricNamespace: p.METRIC_NAMESPACE,
      settings: p.APP_SETTINGS,
    });
    const facts = serverFacts(environment);
    this.drainDeadline = facts.drainDeadline;
    this.shutdownDeadline = facts.shutdownDeadline;
    const stopTimeout = FARGATE_MAX_STOP_TIMEOUT;
    checkDeadlines(facts, stopTimeout, Duration.seconds(p.DEREGISTRATION_DELAY_S));
    this.server = new ContainerService(this, 'Server', {
      cluster: network.cluster,
      name: 'audiohook-server',
      image: props.image,
      cpu: p.TASK_CPU,
      memoryLimitMiB: p.TASK_MEMORY_MIB,
      architecture: p.ARM64 ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
      ports: [CONTAINER_PORT],
      environment,
      secrets: Object.fromEntries(
        Object.entries(p.APP_SECRETS).map(([name, secret]) => [
          name,
          ecs.Secret.fromSecretsManager(importSecret(this, `AppSecret${name}`, secret)),
        ]),
      ),
      stopTimeout,
      // On EFS, recordings in progress outlive their task and another task adopts them.
      scratchPaths: p.RECORDINGS_ON_EFS ? [] : [RECORDINGS_DIR],
      ephemeralStorageGiB: p.EPHEMERAL_STORAGE_GIB,
      desiredCount: p.MIN_TASKS,
      logRetention: p.LOG_RETENTION_DAYS,
      removalPolicy: p.REMOVAL_POLICY,
      healthCheck: {
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${CONTAINER_PORT}/health/check').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 3,
        startPeriod: Duration.seconds(30),
      },
    });
    if (p.RECORDINGS_ON_EFS) this.#recordingsOnEfs(p, network);
    grantServerCalls({
      role: this.server.taskDefinition.taskRole,
      bucket: this.recordingBucket,
      secret: this.apiKeys,
      replayTable: this.replayTable,
      transcribe: facts.usesTranscribe,
    });
    this.alarms = this.#publish(p, network, logsBucket, facts);
  }

  /** The load balancer, the domain, scaling, alarms and the outputs. */
  #publish(
    p: AudioHookParameters,
    network: StandardNetwork,
    logsBucket: s3.IBucket,
    facts: ServerFacts,
  ): OperationalAlarms {
    const domain = new PublicDomain(this, 'Domain', {
      domainName: p.APPLICATION_DOMAIN,
      certificateArn: p.CERTIFICATE_ARN,
      hostedZone:
        p.HOSTED_ZONE_NAME !== undefined && p.HOSTED_ZONE_ID !== undefined
          ? { name: p.HOSTED_ZONE_NAME, id: p.HOSTED_ZONE_ID }
          : undefined,
    });
    const { loadBalancer, targetGroup } = serverIngress(this, {
      vpc: network.vpc,
      domain,
      accessLogs: logsBucket,
      ingressCidrs: p.INGRESS_CIDRS,
      service: this.server.service,
      deregistrationDelay: Duration.seconds(p.DEREGISTRATION_DELAY_S),
    });
    scaleOnSessions({
      service: this.server.service,
      namespace: p.METRIC_NAMESPACE,
      minTasks: p.MIN_TASKS,
      maxTasks: p.MAX_TASKS,
      sessionsPerTask: p.SESSIONS_PER_TASK,
      cpuTargetPercent: p.CPU_TARGET_PERCENT,
    });
    const alarms = serverAlarms(this, {
      email: p.ALARM_EMAIL,
      server: this.server,
      loadBalancer: loadBalancer.loadBalancer,
      targetGroup,
      namespace: p.METRIC_NAMESPACE,
      maxSessions: facts.maxSessions,
      metricInterval: facts.metricInterval,
    });
    new CfnOutput(this, 'recordingBucketName', {
      value: this.recordingBucket.bucketName,
      description: 'Bucket the recordings (WAV + JSON sidecar) are uploaded to',
    });
    new CfnOutput(this, 'audioHookUrl', {
      value: `wss://${p.APPLICATION_DOMAIN}${AUDIOHOOK_PATH}`,
      description: 'Connection URI to paste into the Genesys Cloud AudioHook integration',
    });
    new CfnOutput(this, 'loadBalancerDnsName', {
      value: loadBalancer.loadBalancer.loadBalancerDnsName,
      description: 'Target of the CNAME for APPLICATION_DOMAIN when there is no hosted zone',
    });
    new CfnOutput(this, 'apiKeySecretArn', {
      value: this.apiKeys.secretArn,
      description: 'Secret holding {"<api key>": "<base64 client secret>"}',
    });
    new CfnOutput(this, 'replayCacheTableName', { value: this.replayTable.tableName });
    alarms.output('alarmTopicArn');
    return alarms;
  }

  /** LOG_ROOT_DIR on a file system shared by the tasks (RECORDINGS_ON_EFS). */
  #recordingsOnEfs(p: AudioHookParameters, network: StandardNetwork): void {
    const files = new SharedFileSystem(this, 'RecordingFiles', {
      vpc: network.vpc,
      removalPolicy: p.REMOVAL_POLICY,
      path: '/audiohook-recordings',
      owner: { uid: '1000', gid: '1000' },
      // Every session streams its audio to disk: sustained writes, not a trickle.
      throughputMode: efs.ThroughputMode.ELASTIC,
    });
    files.mountIn(
      this.server.taskDefinition,
      this.server.container,
      this.server.service,
      RECORDINGS_DIR,
    );
    new CfnOutput(this, 'recordingFileSystemId', { value: files.fileSystem.fileSystemId });
  }

  /** The seed's SECRET_NAME (an existing secret), or a new one holding an empty key map. */
  #apiKeySecret(name: string | undefined): secretsmanager.ISecret {
    if (name !== undefined) return importSecret(this, 'ApiKeys', name);
    const secret = new secretsmanager.Secret(this, 'ApiKeys', {
      description:
        'AudioHook API keys: {"<api key>": "<base64 client secret>"} (none until you add them)',
      secretStringValue: SecretValue.unsafePlainText('{}'),
    });
    acknowledge(secret, {
      id: 'AwsSolutions-SMG4',
      reason:
        'The keys are shared with Genesys Cloud and rotated by hand (docs/deploy.md); automatic rotation would break the integration.',
    });
    return secret as secretsmanager.ISecret;
  }
}

/**
 * The server's deadlines against ECS's: its whole shutdown (drain, close, uploads: what main.ts
 * gives itself) must end before SIGKILL, and deregistration must outlast the drain and close.
 */
function checkDeadlines(facts: ServerFacts, stopTimeout: Duration, deregistration: Duration): void {
  const shutdown = facts.shutdownDeadline.toSeconds();
  if (shutdown > stopTimeout.toSeconds()) {
    throw new InfraError(
      InfraErrorCode.Parameters,
      `the server's shutdown deadline, DRAIN_TIMEOUT_MS + CLOSE_TIMEOUT_MS + ${UPLOAD_MARGIN_MS / 1000} s for uploads (${shutdown} s), exceeds Fargate's ${stopTimeout.toSeconds()} s stop timeout (SIGKILL would cut the last uploads): lower DRAIN_TIMEOUT_MS or CLOSE_TIMEOUT_MS`,
    );
  }
  if (deregistration.toSeconds() <= facts.drainDeadline.toSeconds()) {
    throw new InfraError(
      InfraErrorCode.Parameters,
      `DEREGISTRATION_DELAY_S must exceed the server's drain deadline (${facts.drainDeadline.toSeconds()} s)`,
    );
  }
}
