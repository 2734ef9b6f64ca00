import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, type ScalarTag, type CollectionTag, YAMLSeq } from 'yaml';

const scalar = (name: string, key: string): ScalarTag => ({
  tag: `!${name}`,
  resolve: (value: string) => ({ [key]: name === 'GetAtt' ? value.split('.') : value }),
});

const sequence = (name: string): CollectionTag => ({
  tag: `!${name}`,
  collection: 'seq',
  nodeClass: YAMLSeq,
  resolve: (seq) => ({ [`Fn::${name}`]: (seq as YAMLSeq).toJSON() }) as unknown as YAMLSeq,
});

/** Parses a CloudFormation YAML template, turning short-form intrinsics into their long form. */
export function readTemplate(...path: string[]): Record<string, Record<string, unknown>> {
  const text = readFileSync(join(__dirname, '..', '..', ...path), 'utf8');
  return parse(text, {
    customTags: [
      scalar('Ref', 'Ref'),
      scalar('Sub', 'Fn::Sub'),
      scalar('GetAtt', 'Fn::GetAtt'),
      ...['If', 'Not', 'Equals', 'And', 'Or'].map(sequence),
    ],
  }) as Record<string, Record<string, unknown>>;
}

/** The parts of a CloudFormation template that {@link resolveValue} evaluates. */
export interface TemplateValues {
  readonly Parameters: Record<string, Record<string, unknown>>;
  readonly Conditions: Record<string, unknown>;
}

/** Stands for `AWS::NoValue`: the property or list item is left out. */
export const NO_VALUE = Symbol('AWS::NoValue');

/**
 * Evaluates `Ref` (to a parameter: `given`, else its `Default`), `AWS::NoValue`, `Fn::If` and the
 * condition functions (`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`) of a value, as
 * CloudFormation would for a stack created with the parameter values `given`.
 */
export function resolveValue(
  template: TemplateValues,
  value: unknown,
  given: Readonly<Record<string, string>> = {},
): unknown {
  const resolve = (v: unknown): unknown => resolveValue(template, v, given);
  const condition = (name: string): boolean => {
    const expression = template.Conditions[name];
    if (expression === undefined) throw new Error(`no condition ${name}`);
    return resolve(expression) as boolean;
  };
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map(resolve);
  const entries = Object.entries(value as Record<string, unknown>);
  const [key, argument] = entries[0] ?? [];
  if (entries.length !== 1 || key === undefined) {
    return Object.fromEntries(entries.map(([k, v]) => [k, resolve(v)]));
  }
  const args = argument as unknown[];
  switch (key) {
    case 'Ref': {
      if (argument === 'AWS::NoValue') return NO_VALUE;
      const name = argument as string;
      const parameter = template.Parameters[name];
      if (parameter === undefined) throw new Error(`Ref to ${name}, which is not a parameter`);
      return given[name] ?? String(parameter['Default']);
    }
    case 'Condition':
      return condition(argument as string);
    case 'Fn::If':
      return resolve(condition(args[0] as string) ? args[1] : args[2]);
    case 'Fn::Equals':
      return String(resolve(args[0])) === String(resolve(args[1]));
    case 'Fn::Not':
      return !(resolve(args[0]) as boolean);
    case 'Fn::And':
      return args.every((a) => resolve(a) as boolean);
    case 'Fn::Or':
      return args.some((a) => resolve(a) as boolean);
    default:
      return { [key]: resolve(argument) };
  }
}
