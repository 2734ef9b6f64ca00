// Queries over a synthesised template that the stacks' tests share.

import type { Template } from 'aws-cdk-lib/assertions';

interface PolicyStatementJson {
  Action: string | string[];
  Resource?: unknown;
  Effect: string;
}

interface ResourceJson {
  Type: string;
  Properties?: Record<string, unknown>;
}

function resources(template: Template): [string, ResourceJson][] {
  return Object.entries(
    (template.toJSON() as { Resources?: Record<string, ResourceJson> }).Resources ?? {},
  );
}

/**
 * Every statement of the inline policies (`AWS::IAM::Policy`) attached to the role with the
 * given logical id.
 *
 * @example
 * ```ts
 * const statements = roleStatements(template, stack.getLogicalId(role.node.defaultChild as CfnRole));
 * ```
 */
export function roleStatements(template: Template, roleLogicalId: string): PolicyStatementJson[] {
  return resources(template)
    .filter(([, r]) => r.Type === 'AWS::IAM::Policy')
    .filter(([, r]) =>
      ((r.Properties?.['Roles'] as { Ref?: string }[] | undefined) ?? []).some(
        (ref) => ref.Ref === roleLogicalId,
      ),
    )
    .flatMap(
      ([, r]) =>
        (r.Properties?.['PolicyDocument'] as { Statement: PolicyStatementJson[] }).Statement,
    );
}

/**
 * The sorted, unique actions the role's inline policies allow.
 *
 * @example
 * ```ts
 * expect(roleActions(template, taskRoleId)).toEqual(awsActionsCalledIn(sourceFiles('apps/x/src', ['infra'])));
 * ```
 */
export function roleActions(template: Template, roleLogicalId: string): string[] {
  const actions = roleStatements(template, roleLogicalId)
    .filter((s) => s.Effect === 'Allow')
    .flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
  return [...new Set(actions)].sort();
}
