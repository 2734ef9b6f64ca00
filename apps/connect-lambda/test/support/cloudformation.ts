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
