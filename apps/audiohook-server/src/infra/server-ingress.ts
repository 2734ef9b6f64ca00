// The public side: the wss:// endpoint behind an HTTPS-only load balancer, and the target group
// whose timings follow the server's drain deadline.

import {
  Duration,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  type aws_ecs as ecs,
  type aws_s3 as s3,
} from 'aws-cdk-lib';
import { HttpsLoadBalancer, type PublicDomain } from '@org/infra';
import type { Construct } from 'constructs';
import { CONTAINER_PORT } from './server-runtime';

/** The path Genesys Cloud connects to (the vendor sample's, kept). */
export const AUDIOHOOK_PATH = '/api/v1/audiohook/ws';
/** Paths the load balancer forwards: the AudioHook endpoints, nothing else. */
export const FORWARDED_PATHS = ['/api/v1/*'];
/** The server's load-balancer health path: 200 while running, 503 while draining. */
export const HEALTH_CHECK_PATH = '/health/check';
/**
 * How often an AudioHook client pings (protocol `ping` messages, spec: the reference client
 * every 5 s); paused sessions carry nothing else, so the idle timeout must be well above it.
 */
export const AUDIOHOOK_PING_INTERVAL = Duration.seconds(5);
/** Load balancer idle timeout: twelve ping intervals. */
export const IDLE_TIMEOUT = Duration.seconds(60);

/** Inputs of {@link serverIngress}. */
export interface ServerIngressProps {
  readonly vpc: ec2.IVpc;
  readonly domain: PublicDomain;
  readonly accessLogs: s3.IBucket;
  readonly ingressCidrs: readonly string[];
  readonly service: ecs.FargateService;
  /** How long a deregistered task keeps its connections: above the drain deadline. */
  readonly deregistrationDelay: Duration;
}

/** The load balancer, the target group on the server's health path, and the routing rule. */
export function serverIngress(
  scope: Construct,
  props: ServerIngressProps,
): { loadBalancer: HttpsLoadBalancer; targetGroup: elbv2.ApplicationTargetGroup } {
  const loadBalancer = new HttpsLoadBalancer(scope, 'Ingress', {
    vpc: props.vpc,
    domain: props.domain,
    accessLogs: props.accessLogs,
    accessLogsPrefix: 'alb',
    idleTimeout: IDLE_TIMEOUT,
    ingressCidrs: props.ingressCidrs,
  });
  const targetGroup = new elbv2.ApplicationTargetGroup(scope, 'Sessions', {
    vpc: props.vpc,
    targetType: elbv2.TargetType.IP,
    port: CONTAINER_PORT,
    protocol: elbv2.ApplicationProtocol.HTTP,
    deregistrationDelay: props.deregistrationDelay,
    healthCheck: {
      path: HEALTH_CHECK_PATH,
      healthyHttpCodes: '200',
      interval: Duration.seconds(10),
      timeout: Duration.seconds(5),
      healthyThresholdCount: 2,
      unhealthyThresholdCount: 3,
    },
    targets: [
      props.service.loadBalancerTarget({
        containerName: props.service.taskDefinition.defaultContainer?.containerName ?? '',
        containerPort: CONTAINER_PORT,
      }),
    ],
  });
  loadBalancer.route('AudioHook', 10, FORWARDED_PATHS, targetGroup);
  props.service.connections.allowFrom(
    loadBalancer.loadBalancer,
    ec2.Port.tcp(CONTAINER_PORT),
    'sessions and health checks from the load balancer',
  );
  return { loadBalancer, targetGroup };
}
