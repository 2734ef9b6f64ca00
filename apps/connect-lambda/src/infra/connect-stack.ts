import { join } from 'node:path';
import { Stack, type StackProps, Validations, aws_s3_assets as assets } from 'aws-cdk-lib';
import { CfnInclude } from 'aws-cdk-lib/cloudformation-include';
import { applyCommonTags } from '@org/infra';
import type { Construct } from 'constructs';

/** The CloudFormation template this stack deploys (also usable on its own). */
export const TEMPLATE_FILE = join(__dirname, '..', '..', 'deploy', 'template.yaml');

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
}

/**
 * The Connect Lambda's CloudFormation template (`deploy/template.yaml`) as a CDK stack, so it
 * deploys like every other app (`npx cdk deploy --app dist/apps/connect-lambda/cdk.out`). The
 * template stays the single definition: it is included as is, its code parameters are replaced by
 * a CDK asset of the built ZIP, and its other parameters (Cresta region, virtual agent, the
 * credentials as `NoEcho` values, the Connect instance) stay deploy-time parameters
 * (`--parameters VirtualAgentName=…`).
 *
 * @example
 * ```ts
 * new ConnectLambdaStack(app, 'ConnectLambda', { codeZip: 'dist/apps/connect-lambda/connect-lambda.zip' });
 * ```
 */
export class ConnectLambdaStack extends Stack {
  readonly template: CfnInclude;

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
      },
    });
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
          'OAuthSecretArn and SecretCacheTtl name a secret and a duration, not secret values; the credentials are NoEcho',
      },
    );
    applyCommonTags(this, {
      service: 'connect-lambda',
      ...(props.owner === undefined ? {} : { owner: props.owner }),
    });
  }
}
