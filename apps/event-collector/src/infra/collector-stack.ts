// The event collector on AWS: Fargate tasks in private subnets (no inbound traffic) with the
// Genesys credentials from Secrets Manager, the JSONL on encrypted EFS, the DynamoDB lease that
// lets one task collect while the others stand by, logs in CloudWatch, and alarms when fewer
// tasks run than desired, when no task holds the lease and collects (EMF metric Leader) and when
// none receives from Genesys (EMF metric Receiving).

import { posix } from 'node:path';
import {
  aws_cloudwatch as cloudwatch,
  CfnOutput,
  Duration,
  Stack,
  type StackProps,
  type aws_dynamodb as dynamodb,
  aws_ecs as ecs,
  aws_efs as efs,
} from 'aws-cdk-lib';
import {
  accessLogsBucket,
  applyCommonTags,
  appSettingsProblems,
  ContainerService,
  importSecret,
  invalidParameters,
  metricPeriodCovering,
  OperationalAlarms,
  SharedFileSystem,
  StandardNetwork,
  stateTable,
} from '@org/infra';
import type { Construct } from 'constructs';
import { loadConfig } from '../config';
import { EMF_DIMENSIONS } from '../lib/emf';
import type { CollectorParameters } from './parameters';

/** The image's user (`node`), which owns the files. */
export const FILE_OWNER = { uid: '1000', gid: '1000' } as const;
/** Where the file system is mounted in the container. */
export const DATA_DIR = '/data';
/**
 * Settings naming the state the tasks share through the file system (the lease fences each
 * change to these files, and the next holder takes them over): APP_SETTINGS may set them only to
 * a path under {@link DATA_DIR}.
 */
export const SHARED_FILE_SETTINGS = [
  'OUTPUT_FILE',
  'CHECKPOINT_FILE',
  'ELASTIC_SPOOL_FILE',
  'ELASTIC_DEAD_LETTER_FILE',
] as const;

/**
 * One line per setting of {@link SHARED_FILE_SETTINGS} in `settings` (APP_SETTINGS) whose path is
 * not a file under `mountPath` once `.` and `..` are resolved (a relative path is refused too: it
 * is relative to the container's working folder). Such a file would be each task's own, on its
 * local disk, so the lease's fencing and the next holder's take-over would never see the other
 * tasks' output. Names only, through the APP_SETTINGS refusals of `@org/infra`.
 *
 * @example
 * ```ts
 * sharedFileProblems({ CHECKPOINT_FILE: '/tmp/cp.json' });
 * // ['CHECKPOINT_FILE cannot be in APP_SETTINGS: … outside /data, the EFS mount path …']
 * ```
 */
export function sharedFileProblems(
  settings: Readonly<Record<string, string>>,
  mountPath: string = DATA_DIR,
): string[] {
  const inside = (path: string): boolean => {
    const normal = posix.normalize(path.trim());
    return (
      posix.isAbsolute(normal) && normal.startsWith(`${mountPath}/`) && normal !== `${mountPath}/`
    );
  };
  const outside = SHARED_FILE_SETTINGS.filter(
    (name) => Object.hasOwn(settings, name) && !inside(settings[name] ?? ''),
  );
  const refusal = `a path outside ${mountPath}, the EFS mount path all tasks share, would be each task's own local file, which the lease's fencing and the next holder's take-over never see; give a file under ${mountPath}/ or leave it unset (the files default to ${mountPath}, beside OUTPUT_FILE)`;
  return appSettingsProblems(
    Object.fromEntries(outside.map((name) => [name, settings[name] ?? ''])),
    { refused: Object.fromEntries(outside.map((name) => [name, refusal])) },
  );
}

/** The container's name (also the log stream prefix). */
export const CONTAINER_NAME = 'event-collector';
/** The status server's port (`HTTP_PORT`). */
export const HTTP_PORT = 8077;
/** Secrets Manager keys injected as variables of the same names. */
export const GENESYS_SECRET_KEYS = ['GENESYS_CLIENT_ID', 'GENESYS_CLIENT_SECRET'] as const;
/** After SHUTDOWN_TIMEOUT_MS the collector exits on its own 5 s later; this is on top of that. */
export const STOP_MARGIN = Duration.seconds(10);

/** Properties of {@link EventCollectorStack}. */
export interface EventCollectorStackProps extends StackProps {
  readonly params: CollectorParameters;
  readonly image: ecs.ContainerImage;
}

/**
 * @example
 * ```ts
 * new EventCollectorStack(app, 'EventCollector', {
 *   params: readCollectorParameters(process.env),
 *   image: ecs.ContainerImage.fromAsset('dist/apps/event-collector'),
 * });
 * ```
 */
export class EventCollectorStack extends Stack {
  readonly collector: ContainerService;
  readonly leaseTable: dynamodb.ITable;
  /** The JSONL, its checkpoint and the Elasticsearch spool, shared by leader and standbys. */
  readonly storage: SharedFileSystem;
  /** How long the collector may take after SIGTERM, from its configuration. */
  readonly shutdownDeadline: Duration;
  /**
   * The alarm topic (ALARM_EMAIL), the running-tasks alarm, NoLeader (no task reports the EMF
   * metric `Leader` 1: nobody collects) and NotReceiving (none reports `Receiving` 1): see
   * docs/deploy.md, Alarms.
   */
  readonly alarms: OperationalAlarms;

  constructor(scope: Construct, id: string, props: EventCollectorStackProps) {
    super(scope, id, props);
    const p = props.params;
    const misplaced = sharedFileProblems(p.APP_SETTINGS);
    if (misplaced.length > 0) throw invalidParameters(misplaced.map((m) => `APP_SETTINGS: ${m}`));
    applyCommonTags(this, { owner: p.TAG_OWNER, service: 'event-collector' });
    const logsBucket = accessLogsBucket(this, 'AccessLogs', { removalPolicy: p.REMOVAL_POLICY });
    const network = new StandardNetwork(this, 'Network', {
      natGateways: p.NAT_GATEWAYS,
      flowLogsBucket: logsBucket,
    });
    this.leaseTable = stateTable(this, 'Lease');
    this.storage = new SharedFileSystem(this, 'Storage', {
      vpc: network.vpc,
      removalPolicy: p.REMOVAL_POLICY,
      path: '/event-collector',
      owner: FILE_OWNER,
      // A few MB of JSONL written line by line: bursting credits far exceed what it needs.
      throughputMode: efs.ThroughputMode.BURSTING,
    });
    // ELASTIC_URL from the parameter or from APP_SETTINGS: either way it gets ELASTIC_AUTH from
    // the secret, and its validation below.
    const elasticUrl = p.ELASTIC_URL ?? p.APP_SETTINGS['ELASTIC_URL'];
    const environment = {
      ...p.APP_SETTINGS,
      ...(p.GENESYS_ENV === undefined ? {} : { GENESYS_ENV: p.GENESYS_ENV }),
      ...(elasticUrl === undefined ? {} : { ELASTIC_URL: elasticUrl }),
      OUTPUT_FILE: `${DATA_DIR}/audiohook_events.jsonl`,
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: String(HTTP_PORT),
      LEASE_TABLE: this.leaseTable.tableName,
      AWS_REGION: this.region,
      EMF_NAMESPACE: p.METRIC_NAMESPACE,
    };
    // The collector's own loader checks the settings now (the credentials come at task start;
    // ELASTIC_AUTH among them, so credentials inside ELASTIC_URL, which would sit in the template
    // in clear, are refused here as they would be at start, and so is a query or fragment).
    const config = loadConfig({
      ...environment,
      GENESYS_CLIENT_ID: 'from-secrets-manager',
      GENESYS_CLIENT_SECRET: 'from-secrets-manager',
      ...(elasticUrl === undefined ? {} : { ELASTIC_AUTH: 'from-secrets-manager' }),
    });
    this.shutdownDeadline = Duration.millis(config.shutdownTimeoutMs).plus(Duration.seconds(5));
    const secret = importSecret(this, 'Genesys', p.GENESYS_SECRET_NAME);
    const secretKeys = [
      ...GENESYS_SECRET_KEYS,
      ...(elasticUrl === undefined ? [] : ['ELASTIC_AUTH']),
    ];
    this.collector = new ContainerService(this, 'Collector', {
      cluster: network.cluster,
      name: CONTAINER_NAME,
      image: props.image,
      cpu: p.TASK_CPU,
      memoryLimitMiB: p.TASK_MEMORY_MIB,
      architecture: p.ARM64 ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
      ports: [HTTP_PORT],
      environment,
      secrets: Object.fromEntries(
        secretKeys.map((key) => [key, ecs.Secret.fromSecretsManager(secret, key)]),
      ),
      stopTimeout: this.shutdownDeadline.plus(STOP_MARGIN),
      desiredCount: p.TASKS,
      logRetention: p.LOG_RETENTION_DAYS,
      removalPolicy: p.REMOVAL_POLICY,
      healthCheck: {
        // 200 while the leader receives or a standby can read the lease; 503 otherwise.
        command: [
          'CMD',
          'node',
          '-e',
          `fetch('http://127.0.0.1:${HTTP_PORT}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
        ],
        interval: Duration.seconds(30),
        timeout: Duration.seconds(5),
        retries: 5,
        startPeriod: Duration.seconds(120),
      },
    });
    // The lease (src/lib/lease.ts): read, take over, renew and release one item.
    this.leaseTable.grant(
      this.collector.taskDefinition.taskRole,
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:UpdateItem',
    );
    this.storage.mountIn(
      this.collector.taskDefinition,
      this.collector.container,
      this.collector.service,
      DATA_DIR,
    );
    this.alarms = this.#alarms(p, Duration.millis(config.emf.intervalMs));
    this.#outputs(p);
  }

  /**
   * RunningTasks, NoLeader and NotReceiving: every task publishes `Leader` (1 while it holds the
   * lease and collects) and `Receiving` (1 while it also receives) each EMF interval (`interval`).
   */
  #alarms(p: CollectorParameters, interval: Duration): OperationalAlarms {
    const alarms = new OperationalAlarms(this, 'Alarms', { email: p.ALARM_EMAIL });
    alarms.addServiceAlarms('Collector', this.collector.service);
    // Whether any task collects (receives): one datapoint per task per interval, all under one
    // dimension, so the maximum over tasks.
    const anyTask = {
      namespace: p.METRIC_NAMESPACE,
      dimensions: EMF_DIMENSIONS,
      statistic: cloudwatch.Stats.MAXIMUM,
      period: metricPeriodCovering(interval),
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      threshold: 1,
    };
    alarms.addCustomMetricAlarm('NoLeader', {
      ...anyTask,
      metricName: 'Leader',
      evaluationPeriods: 3,
      // No datapoints means no task runs or publishes: nobody collects either.
      treatMissingData: cloudwatch.TreatMissingData.BREACHING,
      description:
        "No task has held the lease and collected for 3 periods: AudioHook events are not being collected. Check the tasks' logs (lease, Genesys login, channel) and the RunningTasks alarm.",
    });
    // A leader whose channel stays down (Genesys credentials revoked, a permission or topic
    // removed, Genesys unreachable) still reports Leader 1, and the ECS health check replacing
    // it hands the lease to another task that fails the same way. Longer than NoLeader: a channel
    // reconnects in seconds and a takeover takes under a minute.
    alarms.addCustomMetricAlarm('NotReceiving', {
      ...anyTask,
      metricName: 'Receiving',
      evaluationPeriods: 5,
      // No datapoints at all is NoLeader's alarm.
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description:
        "No task has received from Genesys for 5 periods although one may hold the lease: AudioHook events are not being collected. Check /health's problems and the tasks' logs (Genesys login, permissions, topics, channel).",
    });
    return alarms;
  }

  #outputs(p: CollectorParameters): void {
    this.alarms.output('alarmTopicArn');
    new CfnOutput(this, 'fileSystemId', { value: this.storage.fileSystem.fileSystemId });
    new CfnOutput(this, 'accessPointId', { value: this.storage.accessPoint.accessPointId });
    new CfnOutput(this, 'leaseTableName', { value: this.leaseTable.tableName });
    new CfnOutput(this, 'logGroupName', { value: this.collector.logGroup.logGroupName });
    new CfnOutput(this, 'genesysSecretName', {
      value: p.GENESYS_SECRET_NAME,
      description: `Secret with ${[...GENESYS_SECRET_KEYS, 'ELASTIC_AUTH (with ELASTIC_URL)'].join(', ')}`,
    });
  }
}
