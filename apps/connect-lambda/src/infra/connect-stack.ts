import { join } from 'node:path';
import {
  Stack,
  type StackProps,
  Validations,
  aws_lambda as lambda,
  aws_s3_assets as assets,
} from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { applyCommonTags, OperationalAlarms } from '@org/infra';
import type { Construct } from 'constructs';

/** The CloudFormation template this stack deploys (also usable on its own). */
export const TEMPLATE_FILE = join(__dirname, '..', '..', 'deploy', 'template.yaml');

/**
 * The template's credential parameters that would reach the function as plain environment
 * variables: the stack sets them to '' (so they are no parameters of its own) and drops their
 * variables, leaving `OAuthSecretArn` the only way to give credentials.
 */
export const PLAIN_TEXT_CREDENTIALS = {
  OAuthClientId: 'oauthClientId',
  OAuthClientSecret: 'oauthClientSecret',
  ApiKey: 'apiKey',
} as const;

/** What the stack requires of `OAuthSecretArn`: a Secrets Manager secret's ARN. */
export const SECRET_ARN_PATTERN = '^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\\d{12}:secret:.+$';

/**
 * The template's own alarms and topic (for a deployment without the CDK), which this stack
 * replaces with `OperationalAlarms`: removed with their condition and output.
 */
export const TEMPLATE_ALARMS = {
  resources: [
    'AlarmTopicKey',
    'AlarmTopic',
    'AlarmTopicPolicy',
    'AlarmEmailSubscription',
    'FunctionErrorsAlarm',
    'FunctionThrottlesAlarm',
  ],
  conditions: ['HasAlarmEmail'],
  outputs: ['AlarmTopicArn'],
} as const;

/** Properties of {@link ConnectLambdaStack}. */
export interface ConnectLambdaStackProps extends StackProps {
  /** The deployment ZIP that `nx build connect-lambda` writes. */
  readonly codeZip: string;
  /** @default 'nodejs24.x' */
  readonly runtime?: 'nodejs22.x' | 'nodejs24.x';
  /** @default 'arm64' */
  readonly architecture?: 'arm64' | 'x86_64';
  /** The `TAG_OWNER` of the other stacks: an `Owner` tag on every resource. */
  readonly owner?: string;
  /** `ALARM_EMAIL`: subscribed to the alarm topic (SNS sends a confirmation first). */
  readonly alarmEmail?: string;
}

/**
 * The Connect Lambda's CloudFormation template (`deploy/template.yaml`) as a CDK stack, so it
 * deploys like every other app (`npx cdk deploy --app dist/apps/connect-lambda/cdk.out`). The
 * template stays the single definition of the function: it is included as is, its code
 * parameters are replaced by a CDK asset of the built ZIP, and its other parameters (Cresta
 * region, virtual agent, the Connect instance) stay deploy-time parameters
 * (`--parameters VirtualAgentName=…`). Credentials come only from the Secrets Manager secret
 * `OAuthSecretArn` (required): the template's `NoEcho` credential parameters would be plain
 * environment variables of the function. The template's alarms are replaced by
 * `OperationalAlarms` (errors and throttles; `ALARM_EMAIL` subscribed).
 *
 * @example
 * ```ts
 * new ConnectLambdaStack(app, 'ConnectLambda', { codeZip: 'dist/apps/connect-lambda/connect-lambda.zip' });
 * ```
 */
export class ConnectLambdaStack extends Stack {
  readonly template: CfnInclude;
  readonly alarms: OperationalAlarms;

  constructor(scope: Construct, id: string, props: ConnectLambdaStackProps) {
    super(scope, id, props);
    const code = new assets.Asset(this, 'Code', { path: props.codeZip });
    this.template = new CfnInclude(this, 'Template', {
      templateFile: TEMPLATE_FILE,
      parameters: {
        CodeS3Bucket: code.s3BucketName,
        CodeS3Key: code.s3ObjectKey,
        Runtime: props.runtime ?? 'nodejs24.x',
        Architecture: props.architecture ?? 'arm64',
        ...Object.fromEntries(Object.keys(PLAIN_TEXT_CREDENTIALS).map((name) => [name, ''])),
        PlainTextCredentials: 'false',
        AlarmEmail: '',
      },
    });
    const fn = this.template.getResource('Function') as lambda.CfnFunction;
    this.#secretsOnly(fn);
    this.alarms = this.#alarms(fn, props.alarmEmail);
    // Template validation notes about the template's parameters that are true and intended.
    Validations.of(this).acknowledge(
      {
        id: 'CloudFormation-Validate::W1030',
        reason:
          "ConnectInstanceArn defaults to '' and the two resources that use it exist only when it is set",
      },
      {
        id: 'CloudFormation-Validate::W2509',
        reason:
          'OAuthSecretArn and SecretCacheTtl name a secret and a duration, not secret values; there are no credential parameters',
      },
    );
    applyCommonTags(this, {
      service: 'connect-lambda',
      ...(props.owner === undefined ? {} : { owner: props.owner }),
    });
  }

  /** OAuthSecretArn required (no default, a secret's ARN); no credential variables. */
  #secretsOnly(fn: lambda.CfnFunction): void {
    const arn = this.template.getParameter('OAuthSecretArn');
    arn.default = undefined;
    arn.allowedPattern = SECRET_ARN_PATTERN;
    arn.constraintDescription = 'the ARN of a Secrets Manager secret';
    arn.description =
      'Secrets Manager ARN of {"oauthClientId","oauthClientSecret"} (required: this stack takes no credentials as parameters; env `oauthSecretArn`).';
    for (const variable of Object.values(PLAIN_TEXT_CREDENTIALS)) {
      fn.addPropertyDeletionOverride(`Environment.Variables.${variable}`);
    }
  }

  /** The template's alarms replaced by OperationalAlarms on its function. */
  #alarms(fn: lambda.CfnFunction, email: string | undefined): OperationalAlarms {
    for (const resource of TEMPLATE_ALARMS.resources) this.template.node.tryRemoveChild(resource);
    const conditions = this.template.node.findChild('$Conditions');
    for (const condition of TEMPLATE_ALARMS.conditions) conditions.node.tryRemoveChild(condition);
    const outputs = this.template.node.findChild('$Outputs');
    for (const output of TEMPLATE_ALARMS.outputs) outputs.node.tryRemoveChild(output);
    const alarms = new OperationalAlarms(this, 'Alarms', { email });
    alarms.addFunctionAlarms(
      'Function',
      lambda.Function.fromFunctionAttributes(this, 'IncludedFunction', {
        functionArn: fn.attrArn,
        sameEnvironment: true,
      }),
    );
    alarms.output('AlarmTopicArn');
    return alarms;
  }
}
