// The public side: gRPC over TLS for Webex Contact Center through an ALB (a gRPC target group,
// health from the gRPC health service) and, only when its login is configured, the dashboard.

import {
  Duration,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  type aws_ecs as ecs,
  type aws_s3 as s3,
} from 'aws-cdk-lib';
import { HttpsLoadBalancer, type PublicDomain } from '@org/infra';
import type { Construct } from 'constructs';

/**
 * The gRPC service WxCC calls; everything else on the domain is not forwarded as gRPC. Not the
 * health service: the load balancer's target health checks go to the targets directly (listener
 * rules do not apply to them), and whether WxCC calls any health API is not established (the
 * BYOVA fact sheet, 2.6), so `/grpc.health.v1.Health/*` (Check, List and the long-lived Watch
 * streams, exempt from JWT validation) would only be open to anyone on the internet.
 */
export const GRPC_PATHS = ['/com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent/*'];
/** The load balancer's health check: an empty HealthCheckRequest (the whole server). */
export const GRPC_HEALTH_PATH = '/grpc.health.v1.Health/Check';
/** gRPC status OK: the server answered the health service. */
export const GRPC_HEALTHY_CODES = '0';

/** Inputs of {@link gatewayIngress}. */
export interface GatewayIngressProps {
  readonly vpc: ec2.IVpc;
  readonly domain: PublicDomain;
  readonly accessLogs: s3.IBucket;
  readonly ingressCidrs: readonly string[];
  readonly service: ecs.FargateService;
  readonly containerName: string;
  readonly grpcPort: number;
  /** The dashboard's port when its login is configured (then it is routed), else undefined. */
  readonly dashboardPort: number | undefined;
  /** Longer than the gateway's shutdown grace, so open streams finish on a leaving task. */
  readonly deregistrationDelay: Duration;
}

/** What {@link gatewayIngress} builds. */
export interface GatewayIngress {
  readonly ingress: HttpsLoadBalancer;
  /** The gRPC target group (its health and 5XX alarms). */
  readonly grpc: elbv2.ApplicationTargetGroup;
}

/** The load balancer with the gRPC target group and, with login, the dashboard's. */
export function gatewayIngress(scope: Construct, props: GatewayIngressProps): GatewayIngress {
  const loadBalancer = new HttpsLoadBalancer(scope, 'Ingress', {
    vpc: props.vpc,
    domain: props.domain,
    accessLogs: props.accessLogs,
    accessLogsPrefix: 'alb',
    idleTimeout: Duration.seconds(60),
    ingressCidrs: props.ingressCidrs,
  });
  const grpc = new elbv2.ApplicationTargetGroup(scope, 'Grpc', {
    vpc: props.vpc,
    targetType: elbv2.TargetType.IP,
    port: props.grpcPort,
    protocol: elbv2.ApplicationProtocol.HTTP,
    protocolVersion: elbv2.ApplicationProtocolVersion.GRPC,
    deregistrationDelay: props.deregistrationDelay,
    healthCheck: {
      path: GRPC_HEALTH_PATH,
      healthyGrpcCodes: GRPC_HEALTHY_CODES,
      interval: Duration.seconds(10),
      timeout: Duration.seconds(5),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 3,
    },
    targets: [
      props.service.loadBalancerTarget({
        containerName: props.containerName,
        containerPort: props.grpcPort,
      }),
    ],
  });
  loadBalancer.route('Grpc', 10, GRPC_PATHS, grpc);
  props.service.connections.allowFrom(
    loadBalancer.loadBalancer,
    ec2.Port.tcp(props.grpcPort),
    'gRPC and its health checks from the load balancer',
  );
  if (props.dashboardPort !== undefined) {
    const dashboard = new elbv2.ApplicationTargetGroup(scope, 'Dashboard', {
      vpc: props.vpc,
      targetType: elbv2.TargetType.IP,
      port: props.dashboardPort,
      protocol: elbv2.ApplicationProtocol.HTTP,
      deregistrationDelay: Duration.seconds(10),
      healthCheck: { path: '/health', healthyHttpCodes: '200', interval: Duration.seconds(30) },
      targets: [
        props.service.loadBalancerTarget({
          containerName: props.containerName,
          containerPort: props.dashboardPort,
        }),
      ],
    });
    loadBalancer.route('Dashboard', 20, ['/*'], dashboard);
    props.service.connections.allowFrom(
      loadBalancer.loadBalancer,
      ec2.Port.tcp(props.dashboardPort),
      'the dashboard (login configured) from the load balancer',
    );
  }
  return { ingress: loadBalancer, grpc };
}
