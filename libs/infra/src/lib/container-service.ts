// One app container on Fargate: task definition, logs, secrets, volumes, service. The parts every
// container app shares; each stack adds its load balancer, scaling and permissions.

import {
  Duration,
  type RemovalPolicy,
  Size,
  Token,
  type aws_cloudwatch as cloudwatch,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  type aws_logs as logs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { InfraError, InfraErrorCode } from './errors';
import { acknowledge } from './nag';
import { standardLogGroup } from './storage';

/** Fargate's upper bound of a container's stop timeout (SIGTERM to SIGKILL). */
export const FARGATE_MAX_STOP_TIMEOUT = Duration.seconds(120);

/** Properties of {@link ContainerService}. */
export interface ContainerServiceProps {
  readonly cluster: ecs.ICluster;
  /** The app's project name: container name, log stream prefix. */
  readonly name: string;
  readonly image: ecs.ContainerImage;
  /** vCPU units (256 = 0.25 vCPU) and memory, a valid Fargate combination. */
  readonly cpu: number;
  readonly memoryLimitMiB: number;
  /** @default ecs.CpuArchitecture.X86_64 */
  readonly architecture?: ecs.CpuArchitecture;
  /** Container ports (TCP). */
  readonly ports: readonly number[];
  /** Plain settings (never secrets). */
  readonly environment: Readonly<Record<string, string>>;
  /** Secrets injected from Secrets Manager or SSM Parameter Store at task start. */
  readonly secrets?: Readonly<Record<string, ecs.Secret>>;
  /** SIGTERM to SIGKILL; at most {@link FARGATE_MAX_STOP_TIMEOUT}. */
  readonly stopTimeout: Duration;
  /**
   * Docker labels; a label that changes with configuration read at task start (e.g. its hash)
   * makes a new task definition, so a deployment replaces the tasks.
   */
  readonly dockerLabels?: Readonly<Record<string, string>>;
  /** Container health check (ECS ignores the image's HEALTHCHECK). */
  readonly healthCheck?: ecs.HealthCheck;
  /** Writable paths on the task's ephemeral storage (the root file system is read-only); `/tmp` is always one. */
  readonly scratchPaths?: readonly string[];
  /** @default 1 */
  readonly desiredCount?: number;
  /** Lower bound of running tasks during a deployment, in percent. @default 100 */
  readonly minHealthyPercent?: number;
  /** Task ephemeral storage. @default 20 GiB (Fargate's included amount) */
  readonly ephemeralStorageGiB?: number;
  /** @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** @default RemovalPolicy.RETAIN */
  readonly removalPolicy?: RemovalPolicy;
}

/**
 * A Fargate service of one non-essential-sidecar-free container in private subnets: read-only
 * root file system with scratch volumes, logs to CloudWatch through the awslogs driver in
 * non-blocking mode (a slow log API never stalls the event loop), secrets by reference, a stop
 * timeout checked against Fargate's limit, and deployments that roll back on failure.
 *
 * @example
 * ```ts
 * const app = new ContainerService(this, 'Service', {
 *   cluster: network.cluster, name: 'event-collector', image, cpu: 256, memoryLimitMiB: 512,
 *   ports: [8077], environment: { HTTP_PORT: '8077' }, stopTimeout: Duration.seconds(30),
 * });
 * ```
 */
export class ContainerService extends Construct {
  readonly taskDefinition: ecs.FargateTaskDefinition;
  readonly container: ecs.ContainerDefinition;
  readonly service: ecs.FargateService;
  readonly securityGroup: ec2.SecurityGroup;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: ContainerServiceProps) {
    super(scope, id);
    if (props.stopTimeout.toSeconds() > FARGATE_MAX_STOP_TIMEOUT.toSeconds()) {
      throw new InfraError(
        InfraErrorCode.InvalidProps,
        `${props.name}: a stop timeout of ${props.stopTimeout.toSeconds()} s exceeds Fargate's ${FARGATE_MAX_STOP_TIMEOUT.toSeconds()} s`,
      );
    }
    this.logGroup = standardLogGroup(this, 'Logs', {
      ...(props.logRetention === undefined ? {} : { retention: props.logRetention }),
      ...(props.removalPolicy === undefined ? {} : { removalPolicy: props.removalPolicy }),
    });
    this.taskDefinition = new ecs.FargateTaskDefinition(this, 'Task', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryLimitMiB,
      runtimePlatform: {
        operatingSystemFamily: ecs.OperatingSystemFamily.LINUX,
        cpuArchitecture: props.architecture ?? ecs.CpuArchitecture.X86_64,
      },
      ...(props.ephemeralStorageGiB === undefined
        ? {}
        : { ephemeralStorageGiB: props.ephemeralStorageGiB }),
    });
    this.container = this.taskDefinition.addContainer('App', {
      containerName: props.name,
      image: props.image,
      essential: true,
      readonlyRootFilesystem: true,
      environment: { ...props.environment },
      secrets: { ...props.secrets },
      portMappings: props.ports.map((containerPort) => ({ containerPort })),
      stopTimeout: props.stopTimeout,
      ...(props.dockerLabels === undefined ? {} : { dockerLabels: { ...props.dockerLabels } }),
      ...(props.healthCheck === undefined ? {} : { healthCheck: props.healthCheck }),
      logging: ecs.LogDrivers.awsLogs({
        streamPrefix: props.name,
        logGroup: this.logGroup,
        mode: ecs.AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
    });
    for (const [index, path] of ['/tmp', ...(props.scratchPaths ?? [])].entries()) {
      const name = `scratch${index}`;
      this.taskDefinition.addVolume({ name });
      this.container.addMountPoints({ sourceVolume: name, containerPath: path, readOnly: false });
    }
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.cluster.vpc,
      description: `${props.name} tasks`,
      allowAllOutbound: true,
    });
    this.service = new ecs.FargateService(this, 'Service', {
      cluster: props.cluster,
      taskDefinition: this.taskDefinition,
      desiredCount: props.desiredCount ?? 1,
      minHealthyPercent: props.minHealthyPercent ?? 100,
      maxHealthyPercent: 200,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      securityGroups: [this.securityGroup],
      assignPublicIp: false,
      circuitBreaker: { rollback: true },
      propagateTags: ecs.PropagatedTagSource.SERVICE,
      platformVersion: ecs.FargatePlatformVersion.LATEST,
    });
    acknowledge(this.taskDefinition, {
      id: 'AwsSolutions-ECS2',
      reason:
        'Plain environment variables carry only non-secret settings; secrets are injected by reference.',
    });
    acknowledge(this.taskDefinition.obtainExecutionRole(), {
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'ecr:GetAuthorizationToken, which ECS needs to pull the image, has no resource-level permissions.',
    });
  }

  /**
   * ECS deployment alarms: a deployment rolls back when one of `alarms` goes to ALARM while it
   * runs or bakes (on top of the circuit breaker, which watches only task starts and health
   * checks). Each alarm needs a literal name (`OperationalAlarms` gives its alarms one): the
   * service refers to the names, not to the alarms, so an alarm on the service's own metrics
   * makes no dependency cycle. Choose alarms whose missing data is not breaching (error counts):
   * an alarm already in ALARM when a deployment starts fails it, the first one included.
   *
   * @throws InfraError `INFRA_ERR_INVALID_PROPS` for an alarm without a literal name.
   * @example
   * ```ts
   * const { target5xx } = alarms.addTargetGroupAlarms('Sessions', targetGroup);
   * server.rollBackOnAlarms([target5xx]);
   * ```
   */
  rollBackOnAlarms(alarms: readonly cloudwatch.IAlarm[]): void {
    const names = alarms.map((alarm) => {
      const name = (alarm.node.defaultChild as cloudwatch.CfnAlarm | undefined)?.alarmName;
      if (name === undefined || Token.isUnresolved(name)) {
        throw new InfraError(
          InfraErrorCode.InvalidProps,
          `${alarm.node.path}: a deployment alarm needs a literal alarmName (a generated one would make the service depend on the alarm)`,
        );
      }
      return name;
    });
    if (names.length === 0) return;
    this.service.enableDeploymentAlarms(names, { behavior: ecs.AlarmBehavior.ROLLBACK_ON_ALARM });
  }
}
