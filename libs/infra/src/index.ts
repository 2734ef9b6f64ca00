// @org/infra: AWS CDK helpers shared by the apps' stacks (apps/*/src/infra). Only apps import it.

export { InfraError, InfraErrorCode } from './lib/errors';
export {
  acknowledge,
  acknowledgeWildcardResources,
  createInfraApp,
  nagFindings,
  VALIDATE_TEMPLATES_CONTEXT,
  validationReports,
  type InfraAppOptions,
  type NagAcknowledgement,
  type ValidationPluginReport,
} from './lib/nag';
export {
  boolParam,
  intParam,
  invalidParameters,
  listParam,
  logRetentionParam,
  optionalParam,
  readStackParameters,
  removalPolicyParam,
  stackEnvironment,
  type ParameterEnv,
  type ReadStackParametersOptions,
  type StackEnvironment,
} from './lib/parameters';
export {
  accessLogsBucket,
  secureBucket,
  standardLogGroup,
  stateTable,
  STATE_TABLE_SCHEMA,
  type AccessLogging,
  type AccessLogsBucketProps,
  type SecureBucketProps,
  type StandardLogGroupProps,
  type StateTableProps,
} from './lib/storage';
export { applyCommonTags, type CommonTags } from './lib/tags';
export { StandardNetwork, type StandardNetworkProps } from './lib/network';
export { PublicDomain, type PublicDomainProps } from './lib/public-domain';
export { stageImageContext, type ImageContextOptions } from './lib/image-context';
export {
  ContainerService,
  FARGATE_MAX_STOP_TIMEOUT,
  type ContainerServiceProps,
} from './lib/container-service';
export { HttpsLoadBalancer, type HttpsLoadBalancerProps } from './lib/https-load-balancer';
export { awsActionsCalledIn, sourceFiles } from './lib/aws-actions';
export { roleActions, roleStatements } from './lib/template-queries';
export { dockerEnv, parseDockerfile, type DockerInstruction } from './lib/dockerfile';
export { SharedFileSystem, type SharedFileSystemProps } from './lib/shared-file-system';
export { importSecret } from './lib/secrets';
export {
  ALARM_DEFAULTS,
  alarmEmailParam,
  metricPeriodCovering,
  OperationalAlarms,
  type AlarmDefaults,
  type AlarmEvaluation,
  type CustomMetricAlarmProps,
  type FunctionAlarms,
  type MetricAlarmProps,
  type OperationalAlarmsProps,
  type TargetGroupAlarmOptions,
  type TargetGroupAlarms,
} from './lib/alarms';
export {
  appSettingsParam,
  appSettingsProblems,
  secretSettings,
  type AppSettingsRules,
} from './lib/app-settings';
