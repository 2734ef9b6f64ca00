// Reads docs/api-spec.yaml and checks JSON values against its schemas: a small hand-written
// subset of OpenAPI 3.0 schema rules ($ref, type, required, properties, additionalProperties,
// enum, minLength, pattern, items), enough for the bodies this client sends and receives.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export const SPEC_FILE = join(__dirname, '..', '..', 'docs', 'api-spec.yaml');

export interface SchemaObject {
  readonly $ref?: string;
  readonly type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array';
  readonly required?: readonly string[];
  readonly properties?: Readonly<Record<string, SchemaObject>>;
  readonly additionalProperties?: boolean | SchemaObject;
  readonly items?: SchemaObject;
  readonly enum?: readonly unknown[];
  readonly minLength?: number;
  readonly pattern?: string;
  readonly description?: string;
}

export interface ServerObject {
  readonly url: string;
  readonly variables?: Readonly<Record<string, { readonly default: string }>>;
}

interface MediaTypes {
  readonly 'application/json'?: { readonly schema?: SchemaObject };
}

export interface ResponseObject {
  readonly $ref?: string;
  readonly description?: string;
  readonly content?: MediaTypes;
}

export interface OperationObject {
  readonly operationId?: string;
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly requestBody?: { readonly required?: boolean; readonly content?: MediaTypes };
  readonly responses: Readonly<Record<string, ResponseObject>>;
}

export interface PathItemObject {
  readonly servers?: readonly ServerObject[];
  readonly post?: OperationObject;
  readonly get?: OperationObject;
}

export interface SecuritySchemeObject {
  readonly type: 'apiKey' | 'http' | 'oauth2' | 'openIdConnect';
  readonly in?: string;
  readonly name?: string;
  readonly scheme?: string;
  readonly flows?: { readonly clientCredentials?: { readonly tokenUrl: string } };
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly info: { readonly title: string; readonly version: string };
  readonly servers?: readonly ServerObject[];
  readonly security?: readonly Readonly<Record<string, readonly string[]>>[];
  readonly paths: Readonly<Record<string, PathItemObject>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, SchemaObject>>;
    readonly responses?: Readonly<Record<string, ResponseObject>>;
    readonly securitySchemes: Readonly<Record<string, SecuritySchemeObject>>;
  };
}

/** The parsed OpenAPI document. */
export function loadSpec(): OpenApiDocument {
  return parse(readFileSync(SPEC_FILE, 'utf8')) as OpenApiDocument;
}

/** Follows a local `#/components/...` reference. */
export function resolveRef<T>(doc: OpenApiDocument, ref: string): T {
  const parts = ref.replace(/^#\//, '').split('/');
  let node: unknown = doc;
  for (const part of parts) {
    node = (node as Record<string, unknown> | undefined)?.[part];
  }
  if (node === undefined) throw new Error(`unresolved $ref ${ref}`);
  return node as T;
}

/** A path template such as `/v1/{a}:b` as a regular expression matching concrete paths. */
export function pathTemplatePattern(template: string): RegExp {
  const source = template
    .split(/(\{[^}]+\})/)
    .map((part) => (part.startsWith('{') ? '[^/]+' : part.replace(/[.*+?^$()|[\]\\]/g, '\\$&')))
    .join('');
  return new RegExp(`^${source}$`);
}

/** A server URL with its `{variables}` replaced by `values`, else by their defaults. */
export function expandServer(server: ServerObject, values: Record<string, string> = {}): string {
  return server.url.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const value = values[name] ?? server.variables?.[name]?.default;
    if (value === undefined) throw new Error(`server variable ${name} has no value`);
    return value;
  });
}

function typeProblem(schema: SchemaObject, value: unknown): string | undefined {
  const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (schema.type === undefined) return undefined;
  const fits = schema.type === 'integer' ? Number.isInteger(value) : actual === schema.type;
  return fits ? undefined : `expected ${schema.type}, got ${actual}`;
}

function objectProblems(
  doc: OpenApiDocument,
  schema: SchemaObject,
  value: Record<string, unknown>,
  at: string,
): string[] {
  const problems: string[] = [];
  for (const name of schema.required ?? []) {
    if (!(name in value)) problems.push(`${at}.${name}: required but missing`);
  }
  for (const [name, field] of Object.entries(value)) {
    const declared = schema.properties?.[name];
    const extra = schema.additionalProperties;
    if (declared !== undefined) {
      problems.push(...schemaProblems(doc, declared, field, `${at}.${name}`));
    } else if (typeof extra === 'object') {
      problems.push(...schemaProblems(doc, extra, field, `${at}.${name}`));
    } else if (extra !== true) {
      // Stricter than JSON Schema on purpose: a field is only "declared" when the schema names it
      // or explicitly allows other fields, so an undocumented field in a sent body fails.
      problems.push(`${at}.${name}: not declared in the schema`);
    }
  }
  return problems;
}

/**
 * Every way `value` breaks `schema`, as `<path>: <problem>` lines; empty when it conforms. An
 * object field the schema neither names nor allows with `additionalProperties` is a problem.
 */
export function schemaProblems(
  doc: OpenApiDocument,
  schema: SchemaObject,
  value: unknown,
  at = '$',
): string[] {
  if (schema.$ref !== undefined) {
    return schemaProblems(doc, resolveRef<SchemaObject>(doc, schema.$ref), value, at);
  }
  const wrongType = typeProblem(schema, value);
  if (wrongType !== undefined) return [`${at}: ${wrongType}`];
  const problems: string[] = [];
  if (schema.enum !== undefined && !schema.enum.includes(value)) {
    problems.push(`${at}: ${JSON.stringify(value)} is not one of ${JSON.stringify(schema.enum)}`);
  }
  if (typeof value === 'string') {
    if (schema.minLength !== undefined && value.length < schema.minLength) {
      problems.push(`${at}: shorter than ${schema.minLength}`);
    }
    if (schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) {
      problems.push(`${at}: does not match ${schema.pattern}`);
    }
  }
  if (Array.isArray(value) && schema.items !== undefined) {
    const items = schema.items;
    value.forEach((item, i) => problems.push(...schemaProblems(doc, items, item, `${at}[${i}]`)));
  }
  if (schema.type === 'object' && value !== null && typeof value === 'object') {
    problems.push(...objectProblems(doc, schema, value as Record<string, unknown>, at));
  }
  return problems;
}

/** The JSON schema of an operation's request body. */
export function requestSchema(operation: OperationObject): SchemaObject {
  const schema = operation.requestBody?.content?.['application/json']?.schema;
  if (schema === undefined) throw new Error(`${operation.operationId} has no JSON request body`);
  return schema;
}

/** The JSON schema of an operation's response to `status`, following a response `$ref`. */
export function responseSchema(
  doc: OpenApiDocument,
  operation: OperationObject,
  status: string,
): SchemaObject {
  const declared = operation.responses[status];
  const response =
    declared?.$ref === undefined ? declared : resolveRef<ResponseObject>(doc, declared.$ref);
  const schema = response?.content?.['application/json']?.schema;
  if (schema === undefined) throw new Error(`${operation.operationId} ${status} has no JSON body`);
  return schema;
}
