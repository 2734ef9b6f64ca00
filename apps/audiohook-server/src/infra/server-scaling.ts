// Scaling on what limits a server: its open sessions. The server publishes ActiveSessions per
// task as an Embedded Metric Format line on stdout, which CloudWatch Logs turns into a metric as
// the awslogs driver delivers it; CPU tracking is the backstop.

import { Duration, aws_cloudwatch as cloudwatch, type aws_ecs as ecs } from 'aws-cdk-lib';
import { METRIC_NAME, METRIC_SERVICE } from './server-runtime';

/** Inputs of {@link scaleOnSessions}. */
export interface SessionScalingProps {
  readonly service: ecs.FargateService;
  readonly namespace: string;
  readonly minTasks: number;
  readonly maxTasks: number;
  /** Target average of ActiveSessions per task. */
  readonly sessionsPerTask: number;
  readonly cpuTargetPercent: number;
}

/**
 * Target tracking on the Average of ActiveSessions (dimension `Service`, one datapoint per task
 * per minute, so the average is per task) and on CPU. Scale-in waits 10 minutes: sessions are
 * long-lived, and a removed task drains its calls for the deregistration delay.
 */
export function scaleOnSessions(props: SessionScalingProps): ecs.ScalableTaskCount {
  const scaling = props.service.autoScaleTaskCount({
    minCapacity: props.minTasks,
    maxCapacity: props.maxTasks,
  });
  scaling.scaleToTrackCustomMetric('Sessions', {
    metric: new cloudwatch.Metric({
      namespace: props.namespace,
      metricName: METRIC_NAME,
      dimensionsMap: { Service: METRIC_SERVICE },
      statistic: cloudwatch.Stats.AVERAGE,
      period: Duration.minutes(1),
    }),
    targetValue: props.sessionsPerTask,
    scaleOutCooldown: Duration.minutes(1),
    scaleInCooldown: Duration.minutes(10),
  });
  scaling.scaleOnCpuUtilization('Cpu', {
    targetUtilizationPercent: props.cpuTargetPercent,
    scaleOutCooldown: Duration.minutes(1),
    scaleInCooldown: Duration.minutes(10),
  });
  return scaling;
}
