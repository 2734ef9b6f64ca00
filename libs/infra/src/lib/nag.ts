// cdk-nag (AwsSolutions pack) for synth and tests, and acknowledgements that must say why.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, type AppProps, Stack, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { InfraError, InfraErrorCode } from './errors';

/**
 * Context key that turns the CDK's own CloudFormation template validation (schema and lint
 * rules, always run at synthesis) from warnings into errors that fail synthesis.
 */
export const VALIDATE_TEMPLATES_CONTEXT = '@aws-cdk/core:validateAgainstDefaultRules';

/** Options of {@link createInfraApp}. */
export interface InfraAppOptions extends AppProps {
  /**
   * Run the cdk-nag AwsSolutions pack at synthesis; an unacknowledged finding fails it.
   * @default true
   */
  readonly nag?: boolean;
}

/**
 * An `App` whose synthesis fails on invalid CloudFormation (the CDK's own template validation
 * as errors) and, by default, on any unacknowledged cdk-nag AwsSolutions finding.
 *
 * @example
 * ```ts
 * const app = createInfraApp({ outdir: 'dist/apps/audiohook-server/cdk.out' });
 * new AudioHookServerStack(app, 'AudioHookServer', props);
 * app.synth();
 * ```
 */
export function createInfraApp(options: InfraAppOptions = {}): App {
  const { nag = true, context, ...props } = options;
  const app = new App({ ...props, context: { ...context, [VALIDATE_TEMPLATES_CONTEXT]: true } });
  if (nag) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return app;
}

/**
 * Runs the AwsSolutions pack over `scope` and returns every finding that is not acknowledged,
 * as `"<rule id> <construct path>"` lines, so that a test can `expect(findings).toEqual([])`.
 * Call it after the stack has been synthesised (e.g. after `Template.fromStack`), when aspects
 * have run.
 *
 * @example
 * ```ts
 * const template = Template.fromStack(stack);
 * expect(nagFindings(stack)).toEqual([]);
 * ```
 */
export function nagFindings(scope: IConstruct): string[] {
  const report = new AwsSolutionsChecks().validateScope(scope);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map(
      (resource) =>
        `${violation.ruleName} ${resource.constructPath ?? resource.resourceLogicalId ?? '?'}`,
    ),
  );
}

/** One acknowledged cdk-nag finding. */
export interface NagAcknowledgement {
  /** Rule id, with the finding in brackets where the rule has several, e.g. `AwsSolutions-IAM5[Resource::*]`. */
  readonly id: string;
  /** Why the finding is acceptable here: one line, at least 10 characters. */
  readonly reason: string;
}

/**
 * Acknowledges cdk-nag findings on `scope` and its children. Every acknowledgement needs a
 * one-line reason of at least 10 characters (an {@link InfraError} otherwise).
 *
 * @example
 * ```ts
 * acknowledge(logsBucket, {
 *   id: 'AwsSolutions-S1',
 *   reason: 'This is the access-log bucket itself; logging it to itself would loop.',
 * });
 * ```
 */
export function acknowledge(scope: IConstruct, ...items: NagAcknowledgement[]): void {
  for (const item of items) {
    const reason = item.reason.trim();
    if (reason.length < 10 || /[\r\n]/.test(reason) || !/^AwsSolutions-\w+/.test(item.id)) {
      throw new InfraError(
        InfraErrorCode.Acknowledgement,
        `acknowledgement of ${JSON.stringify(item.id)} on ${scope.node.path} needs an AwsSolutions rule id and a one-line reason of at least 10 characters`,
      );
    }
    Validations.of(scope).acknowledge({ id: item.id, reason });
  }
}

/** A resolved CloudFormation value as cdk-nag prints it: `<Ref>`, `<Logical.Attr>`, joins joined. */
function flatten(value: unknown): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value.replace(/\$\{/g, '<').replace(/\}/g, '>');
  const node = value as Record<string, unknown>;
  if (Array.isArray(node['Fn::Join'])) {
    const [delimiter, items] = node['Fn::Join'] as [string, unknown[]];
    return items.map(flatten).join(delimiter);
  }
  if (node['Fn::Sub'] !== undefined) return flatten(node['Fn::Sub']);
  if (Array.isArray(node['Fn::GetAtt'])) {
    const [resource, attribute] = node['Fn::GetAtt'] as [unknown, unknown];
    return `<${flatten(resource)}.${flatten(attribute)}>`;
  }
  if (node['Fn::ImportValue'] !== undefined) return flatten(node['Fn::ImportValue']);
  if (node['Ref'] !== undefined) return `<${flatten(node['Ref'])}>`;
  return JSON.stringify(value);
}

/**
 * Acknowledges cdk-nag's wildcard finding (AwsSolutions-IAM5) for each policy resource in
 * `resources` (ARNs, tokens allowed), on `scope` (the policy or its role).
 *
 * @example
 * ```ts
 * acknowledgeWildcardResources(policy, [bucket.arnForObjects('*')], 'Object keys are dated and random.');
 * ```
 */
export function acknowledgeWildcardResources(
  scope: IConstruct,
  resources: readonly string[],
  reason: string,
): void {
  const stack = Stack.of(scope);
  for (const resource of resources) {
    acknowledge(scope, {
      id: `AwsSolutions-IAM5[Resource::${flatten(stack.resolve(resource))}]`,
      reason,
    });
  }
}

/** One plugin's part of the CDK's template validation report (`validation-report.json`). */
export interface ValidationPluginReport {
  readonly pluginName?: string;
  /** `success` or `failure`. */
  readonly conclusion: string;
  readonly violations: readonly unknown[];
  /** Findings acknowledged in the template, with their reasons. */
  readonly suppressedViolations: readonly { ruleName: string; reason: string }[];
}

/**
 * The plugin reports of the CDK's template validation in a synthesised cloud assembly (empty
 * when no plugin found anything), so that a stack test can pin them.
 *
 * @example
 * ```ts
 * expect(validationReports(app.synth().directory)).toEqual([]);
 * ```
 */
export function validationReports(assemblyDir: string): ValidationPluginReport[] {
  const report = JSON.parse(readFileSync(join(assemblyDir, 'validation-report.json'), 'utf8')) as {
    pluginReports: ValidationPluginReport[];
  };
  return report.pluginReports;
}
