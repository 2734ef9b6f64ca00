// What pages someone: the load balancer and its targets, the ECS service, and the server's own
// ActiveSessions metric near MAX_SESSIONS; the targets' 5XX answers also roll a deployment back.

import {
  type Duration,
  aws_cloudwatch as cloudwatch,
  type aws_elasticloadbalancingv2 as elbv2,
} from 'aws-cdk-lib';
import { type ContainerService, metricPeriodCovering, OperationalAlarms } from '@org/infra';
import type { Construct } from 'constructs';
import { METRIC_NAME, METRIC_SERVICE } from './server-runtime';

/** A task at this share of MAX_SESSIONS or more is near refusing calls. */
export const SESSIONS_ALARM_SHARE = 0.9;

/** Inputs of {@link serverAlarms}. */
export interface ServerAlarmsProps {
  /** `ALARM_EMAIL`: subscribed to the alarm topic. */
  readonly email: string | undefined;
  readonly server: ContainerService;
  readonly loadBalancer: elbv2.IApplicationLoadBalancer;
  readonly targetGroup: elbv2.IApplicationTargetGroup;
  /** The server's EMF namespace (`METRIC_NAMESPACE`). */
  readonly namespace: string;
  /** The server's `MAX_SESSIONS` per task. */
  readonly maxSessions: number;
  /** How often a task publishes ActiveSessions (`EMF_INTERVAL_SECONDS`). */
  readonly metricInterval: Duration;
}

/**
 * The AudioHook server's alarms (docs/deploy.md, "Alarms"): no healthy target, target and load
 * balancer 5XX (the targets' also a deployment alarm: a new version that fails calls rolls back), fewer
 * running tasks than desired, and a task near MAX_SESSIONS (scaling is not keeping up).
 */
export function serverAlarms(scope: Construct, props: ServerAlarmsProps): OperationalAlarms {
  const alarms = new OperationalAlarms(scope, 'Alarms', { email: props.email });
  const { target5xx } = alarms.addTargetGroupAlarms('Sessions', props.targetGroup);
  alarms.addLoadBalancerAlarms('Ingress', props.loadBalancer);
  alarms.addServiceAlarms('Server', props.server.service);
  const threshold = Math.ceil(props.maxSessions * SESSIONS_ALARM_SHARE);
  alarms.addCustomMetricAlarm('SessionsNearLimit', {
    namespace: props.namespace,
    metricName: METRIC_NAME,
    dimensions: { Service: METRIC_SERVICE },
    // The busiest task: one datapoint per task per interval, all under the same dimension.
    statistic: cloudwatch.Stats.MAXIMUM,
    period: metricPeriodCovering(props.metricInterval),
    comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    threshold,
    evaluationPeriods: 3,
    // No datapoints means no task runs: the RunningTasks alarm covers that.
    treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    description: `A task holds ${threshold}+ sessions (${SESSIONS_ALARM_SHARE * 100} % of MAX_SESSIONS ${props.maxSessions}) for 3 periods: scaling is not keeping up and new calls will be refused; raise MAX_TASKS or lower SESSIONS_PER_TASK.`,
  });
  // Only the targets' own 5XX: an ELB 5XX alarm fires when no target is healthy (503), which is
  // when a fixing deployment must go through; the circuit breaker covers tasks that never start.
  props.server.rollBackOnAlarms([target5xx]);
  return alarms;
}
