// @org/infra: AWS CDK helpers shared by the apps' stacks (apps/*/src/infra). Only apps import it.

export { InfraError, InfraErrorCode } from './lib/errors';
export {
  acknowledge,
  createInfraApp,
  nagFindings,
  VALIDATE_TEMPLATES_CONTEXT,
  type InfraAppOptions,
  type NagAcknowledgement,
} from './lib/nag';
export {
  boolParam,
  intParam,
  listParam,
  optionalParam,
  readStackParameters,
  removalPolicyParam,
  type ParameterEnv,
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
export { sdkActionsOf } from './lib/sdk-actions';
