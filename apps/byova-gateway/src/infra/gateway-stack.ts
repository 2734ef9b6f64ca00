// The BYOVA gateway on AWS: Fargate behind an ALB that carries gRPC over TLS for Webex Contact
// Center, JWT validation on, the configuration in SSM Parameter Store, the conversation table
// shared by the tasks, and the dashboard only when its login is configured.

import {
  CfnOutput,
  Duration,
  Stack,
  type StackProps,
  aws_ecs as ecs,
  aws_ssm as ssm,
} from 'aws-cdk-lib';
import {
  accessLogsBucket,
  applyCommonTags,
  ContainerService,
  type OperationalAlarms,
  importSecret,
  InfraError,
  InfraErrorCode,
  PublicDomain,
  StandardNetwork,
  stateTable,
} from '@org/infra';
import type { Construct } from 'constructs';
import type { aws_dynamodb as dynamodb } from 'aws-cdk-lib';
import type { DeployConfig } from './deploy-config';
import { gatewayAlarms } from './gateway-alarms';
import { gatewayIngress } from './gateway-ingress';
import { grantGatewayCalls } from './gateway-permissions';
import type { ByovaParameters } from './parameters';

/** The container's name (also the log stream prefix). */
export const CONTAINER_NAME = 'byova-gateway';
/** Time after the shutdown grace for ending conversations and closing listeners. */
export const SHUTDOWN_MARGIN = Duration.seconds(20);

/** Properties of {@link ByovaGatewayStack}. */
export interface ByovaGatewayStackProps extends StackProps {
  readonly params: ByovaParameters;
  /** The validated deployment configuration (see `deployConfig`). */
  readonly deploy: DeployConfig;
  readonly image: ecs.ContainerImage;
}

/**
 * @example
 * ```ts
 * const deploy = deployConfig(readFileSync(DEFAULT_DEPLOY_CONFIG, 'utf8'), params.APPLICATION_DOMAIN);
 * new ByovaGatewayStack(app, 'ByovaGateway', { params, deploy, image });
 * ```
 */
export class ByovaGatewayStack extends Stack {
  readonly gateway: ContainerService;
  readonly conversationTable: dynamodb.ITable;
  readonly configParameter: ssm.StringParameter;
  /** The gateway's shutdown grace (gateway.shutdown_grace_seconds). */
  readonly shutdownGrace: Duration;
  /** The topic and alarms (ALARM_EMAIL). */
  readonly alarms: OperationalAlarms;

  constructor(scope: Construct, id: string, props: ByovaGatewayStackProps) {
    super(scope, id, props);
    const p = props.params;
    const d = props.deploy;
    applyCommonTags(this, { owner: p.TAG_OWNER, service: 'byova-gateway' });
    const logsBucket = accessLogsBucket(this, 'AccessLogs', { removalPolicy: p.REMOVAL_POLICY });
    const network = new StandardNetwork(this, 'Network', {
      natGateways: p.NAT_GATEWAYS,
      flowLogsBucket: logsBucket,
    });
    this.conversationTable = stateTable(this, 'Conversations');
    this.configParameter = new ssm.StringParameter(this, 'Config', {
      description: 'BYOVA gateway configuration (YAML), injected as BYOVA_CONFIG_YAML',
      stringValue: d.yaml,
      tier: d.yaml.length > 4096 ? ssm.ParameterTier.ADVANCED : ssm.ParameterTier.STANDARD,
    });
    this.shutdownGrace = Duration.seconds(d.config.gateway.shutdown_grace_seconds);
    const stopTimeout = this.shutdownGrace.plus(SHUTDOWN_MARGIN);
    const monitoring = d.config.monitoring;
    this.gateway = new ContainerService(this, 'Gateway', {
      cluster: network.cluster,
      name: CONTAINER_NAME,
      image: props.image,
      cpu: p.TASK_CPU,
      memoryLimitMiB: p.TASK_MEMORY_MIB,
      architecture: p.ARM64 ? ecs.CpuArchitecture.ARM64 : ecs.CpuArchitecture.X86_64,
      ports: [d.config.gateway.port, ...(d.dashboardPublic ? [monitoring.port] : [])],
      environment: {
        ...d.environment,
        CONVERSATION_TABLE: this.conversationTable.tableName,
        AWS_REGION: this.region,
      },
      secrets: {
        BYOVA_CONFIG_YAML: ecs.Secret.fromSsmParameter(this.configParameter),
        ...this.#secrets(p.BYOVA_SECRET_NAME, d.secretEnvNames),
      },
      dockerLabels: { 'org.byova.config-sha256': d.sha256 },
      stopTimeout,
      // No volume but /tmp: deployConfig refuses recordings, which would need shared storage.
      desiredCount: p.MIN_TASKS,
      logRetention: p.LOG_RETENTION_DAYS,
      removalPolicy: p.REMOVAL_POLICY,
      ...(monitoring.enabled
        ? {
            healthCheck: {
              // Liveness, on the task's own dashboard port: /health answers 200 while the process
              // does. Not the ping (readiness, what the load balancer's gRPC check also reads): a
              // connector still being retried makes it 503, and replacing every task during a
              // connector's outage would cut the calls of the connectors that work.
              command: [
                'CMD',
                'node',
                '-e',
                `fetch('http://127.0.0.1:${monitoring.port}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))`,
              ],
              interval: Duration.seconds(30),
              timeout: Duration.seconds(5),
              retries: 3,
              startPeriod: Duration.seconds(30),
            },
          }
        : {}),
    });
    grantGatewayCalls({
      role: this.gateway.taskDefinition.taskRole,
      conversationTable: this.conversationTable,
      lexBots: d.lexBots,
    });
    this.alarms = this.#publish(p, d, network, logsBucket);
  }

  /** The load balancer, the domain, scaling, alarms and the outputs. */
  #publish(
    p: ByovaParameters,
    d: DeployConfig,
    network: StandardNetwork,
    logsBucket: ReturnType<typeof accessLogsBucket>,
  ): OperationalAlarms {
    const domain = new PublicDomain(this, 'Domain', {
      domainName: p.APPLICATION_DOMAIN,
      certificateArn: p.CERTIFICATE_ARN,
      hostedZone:
        p.HOSTED_ZONE_NAME !== undefined && p.HOSTED_ZONE_ID !== undefined
          ? { name: p.HOSTED_ZONE_NAME, id: p.HOSTED_ZONE_ID }
          : undefined,
    });
    const { ingress, grpc } = gatewayIngress(this, {
      vpc: network.vpc,
      domain,
      accessLogs: logsBucket,
      ingressCidrs: p.INGRESS_CIDRS,
      service: this.gateway.service,
      containerName: CONTAINER_NAME,
      grpcPort: d.config.gateway.port,
      dashboardPort: d.dashboardPublic ? d.config.monitoring.port : undefined,
      deregistrationDelay: this.shutdownGrace.plus(SHUTDOWN_MARGIN),
    });
    const scaling = this.gateway.service.autoScaleTaskCount({
      minCapacity: p.MIN_TASKS,
      maxCapacity: p.MAX_TASKS,
    });
    scaling.scaleOnCpuUtilization('Cpu', {
      targetUtilizationPercent: p.CPU_TARGET_PERCENT,
      scaleOutCooldown: Duration.minutes(1),
      scaleInCooldown: Duration.minutes(5),
    });
    new CfnOutput(this, 'dataSourceUrl', {
      value: d.datasourceUrl,
      description:
        'The URL to register as the Webex data source (equals jwt_validation.datasource_url)',
    });
    if (d.dashboardPublic) {
      new CfnOutput(this, 'dashboardUrl', { value: `https://${p.APPLICATION_DOMAIN}/` });
    }
    new CfnOutput(this, 'loadBalancerDnsName', {
      value: ingress.loadBalancer.loadBalancerDnsName,
      description: 'Target of the CNAME for APPLICATION_DOMAIN when there is no hosted zone',
    });
    new CfnOutput(this, 'configParameterName', { value: this.configParameter.parameterName });
    new CfnOutput(this, 'conversationTableName', { value: this.conversationTable.tableName });
    const alarms = gatewayAlarms(this, {
      email: p.ALARM_EMAIL,
      gateway: this.gateway,
      loadBalancer: ingress.loadBalancer,
      grpcTargetGroup: grpc,
    });
    alarms.output('alarmTopicArn');
    return alarms;
  }

  /** The variables the configuration names for secrets, from BYOVA_SECRET_NAME's JSON keys. */
  #secrets(name: string | undefined, envNames: readonly string[]): Record<string, ecs.Secret> {
    if (envNames.length === 0) return {};
    if (name === undefined) {
      throw new InfraError(
        InfraErrorCode.Parameters,
        `BYOVA_SECRET_NAME: the configuration reads ${envNames.join(', ')} from the environment; name a Secrets Manager secret holding them as JSON keys`,
      );
    }
    const secret = importSecret(this, 'Secrets', name);
    return Object.fromEntries(
      envNames.map((env) => [env, ecs.Secret.fromSecretsManager(secret, env)]),
    );
  }
}
