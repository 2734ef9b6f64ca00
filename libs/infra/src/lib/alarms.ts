// CloudWatch alarms for the stacks, and the SNS topic they notify: presets for the resources the
// apps deploy (load balancers, ECS services, Lambda functions, dead-letter queues), each with a
// deliberate threshold, evaluation window and treatment of missing data, plus a hook for an
// app's own (EMF) metrics.

import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  Token,
  aws_cloudwatch as cloudwatch,
  aws_cloudwatch_actions as actions,
  type aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_iam as iam,
  aws_kms as kms,
  type aws_lambda as lambda,
  aws_sns as sns,
  aws_sns_subscriptions as subscriptions,
  type aws_sqs as sqs,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { z } from 'zod';
import { InfraError, InfraErrorCode } from './errors';

/**
 * The `ALARM_EMAIL` stack parameter: an email address subscribed to the alarm topic (optional;
 * SNS sends a confirmation message first).
 *
 * @example
 * ```ts
 * const schema = z.object({ ALARM_EMAIL: alarmEmailParam() });
 * const params = readStackParameters(schema, environment);
 * new OperationalAlarms(this, 'Alarms', { email: params.ALARM_EMAIL });
 * ```
 */
export function alarmEmailParam() {
  return z.email({ error: 'expected an email address' }).optional();
}

/** How an alarm evaluates its metric: what a stack may override in a preset. */
export interface AlarmEvaluation {
  /** The value the metric is compared with. */
  readonly threshold?: number;
  /** The length of one datapoint. */
  readonly period?: Duration;
  /** How many of the latest datapoints are looked at. */
  readonly evaluationPeriods?: number;
  /** How many of them must breach. @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
}

/** A preset's evaluation: {@link AlarmEvaluation} with every value set. */
export type AlarmDefaults = Required<AlarmEvaluation>;

/**
 * The presets' defaults (see docs/deploy.md, "Alarms"). Counts of errors are sums over the
 * period; health is the worst value of the period.
 */
export const ALARM_DEFAULTS = {
  /** Target group: HealthyHostCount (Minimum) below 1 for 3 minutes in a row. */
  healthyHosts: {
    threshold: 1,
    period: Duration.minutes(1),
    evaluationPeriods: 3,
    datapointsToAlarm: 3,
  },
  /** Target group: HTTPCode_Target_5XX_Count (Sum) of 5 or more in 5 minutes. */
  target5xx: {
    threshold: 5,
    period: Duration.minutes(5),
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  /** Load balancer: HTTPCode_ELB_5XX_Count (Sum) of 5 or more in 5 minutes. */
  elb5xx: { threshold: 5, period: Duration.minutes(5), evaluationPeriods: 1, datapointsToAlarm: 1 },
  /** ECS service: fewer running than desired tasks (Container Insights) for 5 minutes in a row. */
  runningTasks: {
    threshold: 0,
    period: Duration.minutes(1),
    evaluationPeriods: 5,
    datapointsToAlarm: 5,
  },
  /** Lambda: Errors (Sum) of 1 or more in 5 minutes. */
  functionErrors: {
    threshold: 1,
    period: Duration.minutes(5),
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  /** Lambda: Throttles (Sum) of 1 or more in 5 minutes. */
  functionThrottles: {
    threshold: 1,
    period: Duration.minutes(5),
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
  /** Dead-letter queue: ApproximateNumberOfMessagesVisible (Maximum) above 0. */
  deadLetters: {
    threshold: 0,
    period: Duration.minutes(5),
    evaluationPeriods: 1,
    datapointsToAlarm: 1,
  },
} as const satisfies Record<string, AlarmDefaults>;

/**
 * The period of an alarm on a metric every task publishes each `interval` (e.g. as EMF): whole
 * minutes, at least one interval, so every period holds a datapoint per task.
 *
 * @example
 * ```ts
 * metricPeriodCovering(Duration.seconds(90)); // 2 minutes
 * ```
 */
export function metricPeriodCovering(interval: Duration): Duration {
  return Duration.minutes(Math.max(1, Math.ceil(interval.toSeconds() / 60)));
}

/** Properties of {@link OperationalAlarms}. */
export interface OperationalAlarmsProps {
  /**
   * Subscribed to the topic by email (the `ALARM_EMAIL` stack parameter, see
   * {@link alarmEmailParam}); no subscription when unset.
   */
  readonly email?: string | undefined;
  /**
   * An existing topic to notify instead of a new one (e.g. the on-call topic); its access policy
   * must let `cloudwatch.amazonaws.com` publish (and use its KMS key, if encrypted).
   * @default a new topic encrypted with a customer managed KMS key, refusing requests without TLS
   */
  readonly topic?: sns.ITopic;
  /** The alarms are named `<namePrefix>-<id>`. @default the stack name */
  readonly namePrefix?: string;
}

/** Properties of {@link OperationalAlarms.addAlarm}: any metric or math expression. */
export interface MetricAlarmProps {
  /** The metric, with its statistic and period. */
  readonly metric: cloudwatch.IMetric;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly threshold: number;
  readonly evaluationPeriods: number;
  /** @default evaluationPeriods */
  readonly datapointsToAlarm?: number;
  /**
   * What missing datapoints mean, chosen for each alarm: `NOT_BREACHING` for metrics published
   * only when something happens (error counts), `BREACHING` for metrics that are always there
   * while all is well (silence is then a failure of its own).
   */
  readonly treatMissingData: cloudwatch.TreatMissingData;
  /** What the alarm means and what to do: it is in every notification. */
  readonly description: string;
}

/** Properties of {@link OperationalAlarms.addCustomMetricAlarm}: an app's own metric (EMF). */
export interface CustomMetricAlarmProps extends AlarmEvaluation {
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions?: Readonly<Record<string, string>>;
  /** e.g. `cloudwatch.Stats.MAXIMUM`. */
  readonly statistic: string;
  readonly comparisonOperator: cloudwatch.ComparisonOperator;
  readonly threshold: number;
  /** @default one minute */
  readonly period?: Duration;
  /** @default 5 */
  readonly evaluationPeriods?: number;
  readonly treatMissingData: cloudwatch.TreatMissingData;
  readonly description: string;
}

/** Options of {@link OperationalAlarms.addTargetGroupAlarms}. */
export interface TargetGroupAlarmOptions {
  readonly healthyHosts?: AlarmEvaluation;
  readonly target5xx?: AlarmEvaluation;
}

/** The alarms of {@link OperationalAlarms.addTargetGroupAlarms}. */
export interface TargetGroupAlarms {
  /** No healthy target: the load balancer has nowhere to send requests. */
  readonly healthyHosts: cloudwatch.Alarm;
  /** The targets answer with 5XX. */
  readonly target5xx: cloudwatch.Alarm;
}

/** The alarms of {@link OperationalAlarms.addFunctionAlarms}. */
export interface FunctionAlarms {
  readonly errors: cloudwatch.Alarm;
  readonly throttles: cloudwatch.Alarm;
}

/** The documentation section every alarm description points to. */
const RUNBOOK = 'See docs/deploy.md, Alarms.';

/**
 * The topic that alarms notify, and the alarms. Every alarm notifies the topic when it goes to
 * ALARM and again when it is OK, and is named `<stack name>-<id>` (a literal name, so that an ECS
 * service can use it as a deployment alarm, see `ContainerService.rollBackOnAlarms`).
 *
 * The topic is encrypted with a customer managed KMS key (CloudWatch cannot publish to a topic
 * encrypted with the AWS managed key), whose policy lets CloudWatch use it; its policy refuses
 * requests without TLS and lets CloudWatch alarms of this account and region publish.
 *
 * @example
 * ```ts
 * const alarms = new OperationalAlarms(this, 'Alarms', { email: params.ALARM_EMAIL });
 * alarms.addTargetGroupAlarms('Sessions', targetGroup);
 * alarms.addLoadBalancerAlarms('Ingress', loadBalancer);
 * alarms.addServiceAlarms('Server', service.service);
 * alarms.addFunctionAlarms('Handler', fn);
 * alarms.addDeadLetterQueueAlarm('FailedEvents', queue);
 * alarms.addCustomMetricAlarm('SessionsNearLimit', {
 *   namespace: 'AudioHook', metricName: 'ActiveSessions', dimensions: { Service: 'audiohook-server' },
 *   statistic: cloudwatch.Stats.MAXIMUM, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
 *   threshold: 4500, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
 *   description: 'A task is near MAX_SESSIONS: raise MAX_TASKS.',
 * });
 * ```
 */
export class OperationalAlarms extends Construct {
  /** The topic every alarm notifies. */
  readonly topic: sns.ITopic;
  /** The KMS key of the topic this construct created (undefined with an existing `topic`). */
  readonly topicKey: kms.IKey | undefined;
  readonly #alarms: cloudwatch.Alarm[] = [];
  readonly #action: actions.SnsAction;
  readonly #namePrefix: string;

  constructor(scope: Construct, id: string, props: OperationalAlarmsProps = {}) {
    super(scope, id);
    this.#namePrefix = props.namePrefix ?? Stack.of(this).stackName;
    if (props.topic === undefined) {
      const { topic, key } = this.#createTopic();
      this.topic = topic;
      this.topicKey = key;
    } else {
      this.topic = props.topic;
      this.topicKey = undefined;
    }
    if (props.email !== undefined) {
      this.topic.addSubscription(new subscriptions.EmailSubscription(props.email));
    }
    this.#action = new actions.SnsAction(this.topic);
  }

  /** Every alarm added so far. */
  get alarms(): readonly cloudwatch.Alarm[] {
    return [...this.#alarms];
  }

  /**
   * A stack output `id` (its logical id, at the stack's top level) with the topic's ARN.
   *
   * @example
   * ```ts
   * alarms.output('alarmTopicArn');
   * ```
   */
  output(id: string): CfnOutput {
    return new CfnOutput(Stack.of(this), id, {
      value: this.topic.topicArn,
      description: 'SNS topic of the alarms (ALARM_EMAIL is subscribed; add others)',
    });
  }

  /**
   * An alarm on any metric or math expression, named `<prefix>-<id>`, notifying the topic.
   *
   * @example
   * ```ts
   * alarms.addAlarm('QueueAge', {
   *   metric: queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5) }),
   *   comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
   *   threshold: 600, evaluationPeriods: 1,
   *   treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
   *   description: 'Messages wait over 10 minutes: the consumer is down or too slow.',
   * });
   * ```
   */
  addAlarm(id: string, props: MetricAlarmProps): cloudwatch.Alarm {
    const alarmName = `${this.#namePrefix}-${id}`;
    if (Token.isUnresolved(alarmName) || alarmName.length > 255) {
      throw new InfraError(
        InfraErrorCode.InvalidProps,
        `alarm ${JSON.stringify(id)}: its name must be a literal of at most 255 characters (namePrefix, stack name)`,
      );
    }
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmName,
      alarmDescription: `${props.description} ${RUNBOOK}`,
      metric: props.metric,
      comparisonOperator: props.comparisonOperator,
      threshold: props.threshold,
      evaluationPeriods: props.evaluationPeriods,
      datapointsToAlarm: props.datapointsToAlarm ?? props.evaluationPeriods,
      treatMissingData: props.treatMissingData,
    });
    alarm.addAlarmAction(this.#action);
    alarm.addOkAction(this.#action);
    this.#alarms.push(alarm);
    return alarm;
  }

  /**
   * An application target group: no healthy target (missing data breaches: the load balancer
   * reports the count every minute while it works), and 5XX answers of the targets (missing data
   * is fine: the count is published only when there are some).
   *
   * @example
   * ```ts
   * const { target5xx } = alarms.addTargetGroupAlarms('Sessions', targetGroup, { target5xx: { threshold: 20 } });
   * ```
   */
  addTargetGroupAlarms(
    id: string,
    targetGroup: elbv2.IApplicationTargetGroup,
    options: TargetGroupAlarmOptions = {},
  ): TargetGroupAlarms {
    const healthy = evaluation(ALARM_DEFAULTS.healthyHosts, options.healthyHosts);
    const errors = evaluation(ALARM_DEFAULTS.target5xx, options.target5xx);
    return {
      healthyHosts: this.addAlarm(`${id}-HealthyHosts`, {
        metric: targetGroup.metrics.healthyHostCount({
          statistic: cloudwatch.Stats.MINIMUM,
          period: healthy.period,
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        ...counts(healthy),
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        description: `${id}: fewer than ${healthy.threshold} healthy targets, requests are failing; check the service's tasks, their health checks and logs.`,
      }),
      target5xx: this.#countAlarm(
        `${id}-Target5xx`,
        errors,
        (o) => targetGroup.metrics.httpCodeTarget(elbv2.HttpCodeTarget.TARGET_5XX_COUNT, o),
        `${id}: the targets answered ${errors.threshold}+ requests with 5XX in ${errors.period.toMinutes()} min; check the app's error logs (a new version rolls back by itself where this is a deployment alarm).`,
      ),
    };
  }

  /**
   * An application load balancer: the 5XX answers it gives itself (502/503/504: no healthy
   * target, a target that closed or timed out). Missing data is fine (published only when some).
   *
   * @example
   * ```ts
   * alarms.addLoadBalancerAlarms('Ingress', ingress.loadBalancer);
   * ```
   */
  addLoadBalancerAlarms(
    id: string,
    loadBalancer: elbv2.IApplicationLoadBalancer,
    options: { readonly elb5xx?: AlarmEvaluation } = {},
  ): { readonly elb5xx: cloudwatch.Alarm } {
    const e = evaluation(ALARM_DEFAULTS.elb5xx, options.elb5xx);
    return {
      elb5xx: this.#countAlarm(
        `${id}-Elb5xx`,
        e,
        (o) => loadBalancer.metrics.httpCodeElb(elbv2.HttpCodeElb.ELB_5XX_COUNT, o),
        `${id}: the load balancer answered ${e.threshold}+ requests with 5XX itself in ${e.period.toMinutes()} min (502/503/504: no healthy target, targets closing or timing out); check the targets' health and the app's logs.`,
      ),
    };
  }

  /**
   * An ECS service: fewer running tasks than desired (Container Insights' `RunningTaskCount` and
   * `DesiredTaskCount`, so the cluster needs Container Insights, as `StandardNetwork`'s has).
   * Missing data breaches: Container Insights reports every minute while the service exists.
   *
   * @example
   * ```ts
   * alarms.addServiceAlarms('Server', server.service);
   * ```
   */
  addServiceAlarms(
    id: string,
    service: ecs.IBaseService,
    options: { readonly runningTasks?: AlarmEvaluation } = {},
  ): { readonly runningTasks: cloudwatch.Alarm } {
    const e = evaluation(ALARM_DEFAULTS.runningTasks, options.runningTasks);
    const insight = (metricName: string) =>
      new cloudwatch.Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: {
          ClusterName: service.cluster.clusterName,
          ServiceName: service.serviceName,
        },
        statistic: cloudwatch.Stats.AVERAGE,
        period: e.period,
      });
    return {
      runningTasks: this.addAlarm(`${id}-RunningTasks`, {
        metric: new cloudwatch.MathExpression({
          expression: 'desired - running',
          usingMetrics: {
            desired: insight('DesiredTaskCount'),
            running: insight('RunningTaskCount'),
          },
          label: 'desired tasks not running',
          period: e.period,
        }),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        ...counts(e),
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        description: `${id}: fewer tasks run than desired for ${e.evaluationPeriods} min (tasks crash, fail their health check or cannot start); check the service's events and stopped tasks' reasons.`,
      }),
    };
  }

  /**
   * A Lambda function: errors and throttles. Missing data is fine (no invocations, no data).
   *
   * @example
   * ```ts
   * alarms.addFunctionAlarms('Recorder', recorder.fn);
   * ```
   */
  addFunctionAlarms(
    id: string,
    fn: lambda.IFunction,
    options: { readonly errors?: AlarmEvaluation; readonly throttles?: AlarmEvaluation } = {},
  ): FunctionAlarms {
    const errors = evaluation(ALARM_DEFAULTS.functionErrors, options.errors);
    const throttles = evaluation(ALARM_DEFAULTS.functionThrottles, options.throttles);
    return {
      errors: this.#countAlarm(
        `${id}-Errors`,
        errors,
        (o) => fn.metricErrors(o),
        `${id}: ${errors.threshold}+ invocations failed in ${errors.period.toMinutes()} min; check the function's log group.`,
      ),
      throttles: this.#countAlarm(
        `${id}-Throttles`,
        throttles,
        (o) => fn.metricThrottles(o),
        `${id}: ${throttles.threshold}+ invocations throttled in ${throttles.period.toMinutes()} min; check the account's concurrency and the function's reserved concurrency.`,
      ),
    };
  }

  /**
   * A dead-letter queue: any message in it. Missing data is fine (an idle queue may stop
   * reporting; it is then empty).
   *
   * @example
   * ```ts
   * alarms.addDeadLetterQueueAlarm('FailedEvents', recorder.deadLetterQueue);
   * ```
   */
  addDeadLetterQueueAlarm(
    id: string,
    queue: sqs.IQueue,
    options: AlarmEvaluation = {},
  ): cloudwatch.Alarm {
    const e = evaluation(ALARM_DEFAULTS.deadLetters, options);
    return this.addAlarm(`${id}-DeadLetters`, {
      metric: queue.metricApproximateNumberOfMessagesVisible({
        statistic: cloudwatch.Stats.MAXIMUM,
        period: e.period,
      }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      ...counts(e),
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description: `${id}: messages in the dead-letter queue (events that failed every attempt); read them, fix the cause, then redrive or delete them.`,
    });
  }

  /**
   * An alarm on an app's own metric, e.g. one it publishes as Embedded Metric Format lines.
   *
   * @example
   * ```ts
   * alarms.addCustomMetricAlarm('SessionsNearLimit', {
   *   namespace: 'AudioHook', metricName: 'ActiveSessions', dimensions: { Service: 'audiohook-server' },
   *   statistic: cloudwatch.Stats.MAXIMUM, comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
   *   threshold: 4500, evaluationPeriods: 3, treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
   *   description: 'A task is near MAX_SESSIONS.',
   * });
   * ```
   */
  addCustomMetricAlarm(id: string, props: CustomMetricAlarmProps): cloudwatch.Alarm {
    const e = evaluation(
      {
        threshold: props.threshold,
        period: Duration.minutes(1),
        evaluationPeriods: 5,
        datapointsToAlarm: 5,
      },
      props,
    );
    return this.addAlarm(id, {
      metric: new cloudwatch.Metric({
        namespace: props.namespace,
        metricName: props.metricName,
        ...(props.dimensions === undefined ? {} : { dimensionsMap: { ...props.dimensions } }),
        statistic: props.statistic,
        period: e.period,
      }),
      comparisonOperator: props.comparisonOperator,
      ...counts(e),
      treatMissingData: props.treatMissingData,
      description: props.description,
    });
  }

  /**
   * A count summed over the period, alarming at `e.threshold` or more; missing data is fine (a
   * count is published only when there is some).
   */
  #countAlarm(
    id: string,
    e: AlarmDefaults,
    metric: (options: cloudwatch.MetricOptions) => cloudwatch.IMetric,
    description: string,
  ): cloudwatch.Alarm {
    return this.addAlarm(id, {
      metric: metric({ statistic: cloudwatch.Stats.SUM, period: e.period }),
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      ...counts(e),
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      description,
    });
  }

  /** The topic, its KMS key (CloudWatch may use it) and its policy (TLS only, CloudWatch may publish). */
  #createTopic(): { topic: sns.Topic; key: kms.Key } {
    const stack = Stack.of(this);
    const key = new kms.Key(this, 'TopicKey', {
      description: `${this.#namePrefix} alarm notifications`,
      enableKeyRotation: true,
      // The key holds no data of its own: notifications in flight only.
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    const cloudWatch = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    const topic = new sns.Topic(this, 'Topic', {
      displayName: `${this.#namePrefix} alarms`,
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudWatch],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
          StringEquals: { 'aws:SourceAccount': stack.account },
        },
      }),
    );
    return { topic, key };
  }
}

/** A preset's defaults with the stack's overrides. */
function evaluation(defaults: AlarmDefaults, override: AlarmEvaluation | undefined): AlarmDefaults {
  const evaluationPeriods = override?.evaluationPeriods ?? defaults.evaluationPeriods;
  return {
    threshold: override?.threshold ?? defaults.threshold,
    period: override?.period ?? defaults.period,
    evaluationPeriods,
    datapointsToAlarm:
      override?.datapointsToAlarm ??
      (override?.evaluationPeriods === undefined ? defaults.datapointsToAlarm : evaluationPeriods),
  };
}

/** The parts of an evaluation {@link OperationalAlarms.addAlarm} takes besides the metric. */
function counts(e: AlarmDefaults) {
  return {
    threshold: e.threshold,
    evaluationPeriods: e.evaluationPeriods,
    datapointsToAlarm: e.datapointsToAlarm,
  };
}
