import { aws_secretsmanager as secretsmanager } from 'aws-cdk-lib';
import type { Construct } from 'constructs';

/**
 * An existing Secrets Manager secret, by full ARN (`arn:...:secret:<name>-AbCdEf`) or by name.
 * Prefer the full ARN for secrets ECS injects into containers: ECS documents full ARNs for
 * `valueFrom`, while a name gives only a partial ARN (policies then match any suffix).
 *
 * @example
 * ```ts
 * const secret = importSecret(this, 'Genesys', params.GENESYS_SECRET_NAME);
 * ```
 */
export function importSecret(
  scope: Construct,
  id: string,
  nameOrArn: string,
): secretsmanager.ISecret {
  return nameOrArn.startsWith('arn:')
    ? secretsmanager.Secret.fromSecretCompleteArn(scope, id, nameOrArn)
    : secretsmanager.Secret.fromSecretNameV2(scope, id, nameOrArn);
}
