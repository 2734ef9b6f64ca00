// How cdk-nag spells a resource in a finding id (`AwsSolutions-IAM5[Resource::<text>]`), so that
// acknowledgements name exactly the finding they accept and nothing else.
import { Stack, Token, aws_s3 as s3 } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';

/**
 * The text cdk-nag prints for a bucket's ARN: `<LogicalId.Arn>` for a bucket of this stack,
 * `arn:<AWS::Partition>:s3:::<name>` for one imported by name.
 *
 * @example
 * ```ts
 * acknowledge(role, { id: `AwsSolutions-IAM5[Resource::${nagBucketArn(bucket)}/*]`, reason });
 * ```
 */
export function nagBucketArn(bucket: s3.IBucket): string {
  const cfn = bucket.node.defaultChild;
  if (cfn instanceof s3.CfnBucket) return `<${Stack.of(bucket).getLogicalId(cfn)}.Arn>`;
  return `arn:<AWS::Partition>:s3:::${bucket.bucketName}`;
}

/**
 * `<region>:<account>` as cdk-nag prints them in an ARN of `scope`'s stack: the values when the
 * stack has an explicit environment, `<AWS::Region>`/`<AWS::AccountId>` otherwise.
 */
export function nagRegionAccount(scope: IConstruct): string {
  const stack = Stack.of(scope);
  const region = Token.isUnresolved(stack.region) ? '<AWS::Region>' : stack.region;
  const account = Token.isUnresolved(stack.account) ? '<AWS::AccountId>' : stack.account;
  return `${region}:${account}`;
}
