// What pages someone for the BYOVA gateway: no healthy gRPC target, 5XX answers (for gRPC mostly
// the load balancer's own 502/503/504: a gRPC error is an HTTP 200 with a grpc-status, so the
// targets' 5XX count stays near zero), and fewer running tasks than desired.

import type { aws_elasticloadbalancingv2 as elbv2 } from 'aws-cdk-lib';
import { type ContainerService, OperationalAlarms } from '@org/infra';
import type { Construct } from 'constructs';

/** Inputs of {@link gatewayAlarms}. */
export interface GatewayAlarmsProps {
  /** `ALARM_EMAIL`: subscribed to the alarm topic. */
  readonly email: string | undefined;
  readonly gateway: ContainerService;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly grpcTargetGroup: elbv2.IApplicationTargetGroup;
}

/**
 * The gateway's alarms (docs/deploy.md, BYOVA gateway, Alarms): `Grpc-HealthyHosts` (no target
 * answers the gRPC health check), `Grpc-Target5xx` (also an ECS deployment alarm: a new version
 * that fails calls rolls back), `Ingress-Elb5xx`, and `Gateway-RunningTasks`.
 *
 * @example
 * ```ts
 * gatewayAlarms(this, { email: p.ALARM_EMAIL, gateway, loadBalancer, grpcTargetGroup });
 * ```
 */
export function gatewayAlarms(scope: Construct, props: GatewayAlarmsProps): OperationalAlarms {
  const alarms = new OperationalAlarms(scope, 'Alarms', { email: props.email });
  const { target5xx } = alarms.addTargetGroupAlarms('Grpc', props.grpcTargetGroup);
  alarms.addLoadBalancerAlarms('Ingress', props.loadBalancer);
  alarms.addServiceAlarms('Gateway', props.gateway.service);
  // Only the targets' own 5XX: an ELB 5XX alarm fires when no target is healthy (503), which is
  // when a fixing deployment must go through; the circuit breaker covers tasks that never start.
  props.gateway.rollBackOnAlarms([target5xx]);
  return alarms;
}
