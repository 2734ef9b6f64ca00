import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CrestaClient,
  type HttpRequest,
  type HttpResponse,
  type HttpTransport,
  type NodeHttpTransport,
  TokenCache,
  apiBaseForRegion,
  authBaseForRegion,
  authRegionFor,
  parseVirtualAgentName,
} from '../src';
import type { FakeCrestaApi, RecordedRequest } from '../src/testing';
import { useFakeApi } from './support/fake-api';
import {
  type OpenApiDocument,
  type OperationObject,
  expandServer,
  loadSpec,
  pathTemplatePattern,
  requestSchema,
  responseSchema,
  schemaProblems,
} from './support/openapi';

const VA = parseVirtualAgentName('customers/acme/profiles/main/virtualAgents/va-1');
const REGIONS = [
  'us-west-2-prod',
  'us-east-1-prod',
  'voice-prod',
  'chat-prod',
  'eu-west-2-prod',
  'us-west-2-staging',
  'voice-staging',
  'customer-profile',
];

let fake: FakeCrestaApi;
let transport: NodeHttpTransport;
useFakeApi((started, client) => {
  fake = started;
  transport = client;
});

const spec: OpenApiDocument = loadSpec();

/** A transport that keeps every exchange, so the fake's answers can be checked too. */
function recording(inner: HttpTransport) {
  const exchanges: { request: HttpRequest; response: HttpResponse }[] = [];
  const wrapped: HttpTransport = {
    async send(request) {
      const response = await inner.send(request);
      exchanges.push({ request, response });
      return response;
    },
    close: () => undefined,
  };
  return { transport: wrapped, exchanges };
}

function client(
  auth: ConstructorParameters<typeof CrestaClient>[0]['auth'],
  extra: Partial<ConstructorParameters<typeof CrestaClient>[0]> = {},
) {
  return new CrestaClient({
    apiBase: fake.url,
    authBase: fake.url,
    auth,
    transport,
    tokenCache: new TokenCache(),
    retry: { baseDelayMs: 1, attemptTimeoutMs: 2000 },
    ...extra,
  });
}

const OAUTH = { kind: 'oauth', clientId: 'demo-client', clientSecret: 'demo-secret' } as const;
const API_KEY = { kind: 'apiKey', apiKey: 'demo-api-key' } as const;

/** Calls both endpoints over OAuth with varied input, as the Lambda would. */
async function driveEveryCall(target = client(OAUTH)): Promise<void> {
  await target.generatePstnTransferData({
    virtualAgent: VA,
    contactData: { ContactId: 'cid-1', Channel: 'VOICE', LanguageCode: 'en-US' },
    parameters: {
      action: 'get_pstn_transfer_data',
      custom: 'cv',
      oauthClientSecret: 'never-sent',
      authDomain: 'auth.example',
    },
    version: '9.9.9',
  });
  await target.generatePstnTransferData({
    virtualAgent: VA,
    contactData: { Channel: 'VOICE', Queue: { Name: 'main', ARN: 'arn:q' }, Attributes: {} },
    parameters: {},
    version: 'unknown',
    supportedDtmfChars: '0123456789*#',
  });
  await target.fetchAiAgentHandoff({ customer: 'acme', profile: 'main', correlationId: 'cid-1' });
}

/** The spec path template and operation a recorded request went to. */
function operationFor(request: Pick<RecordedRequest, 'method' | 'path'>): {
  template: string;
  operation: OperationObject;
} {
  const { path } = request;
  const matches = Object.keys(spec.paths).filter((t) => pathTemplatePattern(t).test(path));
  expect({ path, matches: matches.length }).toEqual({ path, matches: 1 });
  const template = matches[0] as string;
  const method = request.method.toLowerCase() as 'post' | 'get';
  const operation = spec.paths[template]?.[method];
  if (operation === undefined) throw new Error(`no ${method} operation at ${template}`);
  return { template, operation };
}

describe('docs/api-spec.yaml', () => {
  it('is an OpenAPI 3.0.x document with a title, a version and paths', () => {
    expect(spec.openapi).toMatch(/^3\.0\.\d+$/);
    expect(typeof spec.info.title).toBe('string');
    expect(typeof spec.info.version).toBe('string');
    expect(Object.keys(spec.paths).length).toBeGreaterThan(0);
  });

  it('templates its API servers so that every region gives the API base the client builds', () => {
    const regional = (spec.servers ?? []).filter((s) => s.variables?.['region'] !== undefined);
    expect(regional.length).toBeGreaterThan(0);
    for (const server of regional) {
      const region = server.variables?.['region']?.default as string;
      expect(expandServer(server)).toBe(apiBaseForRegion(region));
    }
    for (const region of REGIONS) {
      const bases = regional.map((server) => expandServer(server, { region }));
      expect(bases).toContain(apiBaseForRegion(region));
    }
    expect((spec.servers ?? []).map((s) => s.url)).toContain('https://{apiDomain}');
  });

  it('templates the token server so that every region gives the auth base the client builds', () => {
    const servers = spec.paths['/v1/oauth/regionalToken']?.servers ?? [];
    const regional = servers.find((s) => s.variables?.['authRegion'] !== undefined);
    if (regional === undefined) throw new Error('no regional auth server');
    for (const region of REGIONS) {
      expect(expandServer(regional, { authRegion: authRegionFor(region) })).toBe(
        authBaseForRegion(region),
      );
    }
    expect(servers.map((s) => s.url)).toContain('https://{authDomain}');
  });

  it('declares exactly the paths the client calls, each with an operationId named after its method', async () => {
    await driveEveryCall();
    const called = new Set<string>();
    for (const request of fake.requests) {
      expect(request.method).toBe('POST');
      const { template, operation } = operationFor(request);
      called.add(template);
      // `…/virtualAgents/{virtualAgentID}:generatePSTNTransferData` → generatePSTNTransferData
      expect(operation.operationId).toBe(template.split(/[/:]/).pop());
    }
    expect([...called].sort()).toEqual(Object.keys(spec.paths).sort());
  });

  it('names the same endpoint paths as the URLs built in the client source', () => {
    const source = readFileSync(join(__dirname, '..', 'src', 'lib', 'client.ts'), 'utf8');
    const built = [...source.matchAll(/`\$\{[^}]+\}(\/v1\/[^`]+)`/g)].map((m) =>
      (m[1] as string).replace(/\$\{[^}]+\}/g, '{}'),
    );
    const declared = Object.keys(spec.paths).map((p) => p.replace(/\{[^}]+\}/g, '{}'));
    expect(built.sort()).toEqual(declared.sort());
  });

  it('declares every field of every request body the client sends, with the right types', async () => {
    await driveEveryCall();
    expect(fake.requests.length).toBe(4);
    for (const request of fake.requests) {
      const { operation } = operationFor(request);
      expect(operation.requestBody?.required).toBe(true);
      expect({
        path: request.path,
        problems: schemaProblems(spec, requestSchema(operation), request.json),
      }).toEqual({ path: request.path, problems: [] });
    }
  });

  it('reports a sent field that the request schema does not declare', () => {
    const pstn = spec.paths[Object.keys(spec.paths)[0] as string]?.post as OperationObject;
    const body = {
      callId: 'cid-1',
      ccaasMetadata: { ContactId: 'cid-1', parameters: { custom: 7 }, version: '1' },
      supportedDtmfChars: '0123456789*',
      undocumented: true,
    };
    expect(schemaProblems(spec, requestSchema(pstn), body)).toEqual([
      '$.ccaasMetadata.parameters.custom: expected string, got number',
      '$.undocumented: not declared in the schema',
    ]);
  });

  it("describes the local fake's successful answers with its 200 response schemas", async () => {
    const { transport: recorder, exchanges } = recording(transport);
    await driveEveryCall(client(OAUTH, { transport: recorder }));
    expect(exchanges.length).toBe(4);
    for (const { request, response } of exchanges) {
      const { operation } = operationFor({
        method: request.method,
        path: new URL(request.url).pathname,
      });
      const problems = schemaProblems(
        spec,
        responseSchema(spec, operation, '200'),
        JSON.parse(response.body),
      );
      expect({ url: request.url, problems }).toEqual({ url: request.url, problems: [] });
    }
  });

  it('declares the authentication headers the client sends, and the token URL it posts to', async () => {
    await driveEveryCall();
    await client(API_KEY).fetchAiAgentHandoff({ customer: 'a', profile: 'b', correlationId: 'c' });
    await client(API_KEY, { apiKeyHeader: 'x-api-key' }).fetchAiAgentHandoff({
      customer: 'a',
      profile: 'b',
      correlationId: 'c',
    });
    const schemes = spec.components.securitySchemes;
    const apiKeyHeaders = Object.values(schemes)
      .filter((s) => s.type === 'apiKey' && s.in === 'header')
      .map((s) => s.name?.toLowerCase());
    const sent = fake.requests.map((r) => r.headers);
    expect(sent.some((h) => h.authorization?.startsWith('ApiKey '))).toBe(true);
    expect(sent.some((h) => h['x-api-key'] === 'demo-api-key')).toBe(true);
    expect(apiKeyHeaders).toEqual(expect.arrayContaining(['authorization', 'x-api-key']));

    const oauth = Object.values(schemes).find((s) => s.type === 'oauth2');
    const tokenUrl = oauth?.flows?.clientCredentials?.tokenUrl as string;
    expect(new URL(tokenUrl).pathname).toBe(fake.requestsTo('token')[0]?.path);
    expect(sent.some((h) => h.authorization?.startsWith('Bearer '))).toBe(true);

    const token = spec.paths['/v1/oauth/regionalToken']?.post;
    const basic = Object.keys(token?.security?.[0] ?? {})[0] as string;
    expect(schemes[basic]).toMatchObject({ type: 'http', scheme: 'basic' });
    expect(fake.requestsTo('token')[0]?.headers.authorization).toMatch(/^Basic /);
  });

  it('declares the error responses the client handles for every operation', () => {
    for (const item of Object.values(spec.paths)) {
      const responses = Object.keys(item.post?.responses ?? {});
      expect(responses).toEqual(expect.arrayContaining(['200', '401', '408', '429', '5XX']));
      expect(responses).toContain('default');
    }
  });

  it('is linked from the library README', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]);
    expect(links).toContain('docs/api-spec.yaml');
  });
});
