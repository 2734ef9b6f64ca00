import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { SignJWT, exportJWK, generateKeyPair, type JWK } from 'jose';
import { JwtValidator, extractToken } from '../src/lib/jwt';
import {
  event,
  metricValue,
  startGateway,
  testConfig,
  until,
  type RunningGateway,
} from './helpers/gateway';

const DATASOURCE = 'https://byova.example.com:443';
const SCHEMA = '5397013b-7920-4ffc-807c-e8a3e0a18f43';

let server: Server;
let issuer: string;
let jwksRequests = 0;
let jwksStatus = 200;
let jwks: { keys: JWK[] };
type PrivateKey = Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];

let privateKey: PrivateKey;
let otherKey: PrivateKey;

beforeAll(async () => {
  const pair = await generateKeyPair('RS256', { extractable: true });
  privateKey = pair.privateKey;
  otherKey = (await generateKeyPair('RS256')).privateKey;
  jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }] };
  server = createServer((req, res) => {
    jwksRequests += 1;
    if (req.url !== '/idb/oauth2/v2/keys/verificationjwk' || jwksStatus !== 200) {
      res.writeHead(req.url === '/idb/oauth2/v2/keys/verificationjwk' ? jwksStatus : 404).end();
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=600' })
      .end(JSON.stringify(jwks));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}/idb`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  jwksRequests = 0;
  jwksStatus = 200;
});

interface TokenOptions {
  claims?: Record<string, unknown>;
  omit?: string[];
  expiresIn?: string | number;
  key?: PrivateKey;
  kid?: string;
  iss?: string;
}

async function token(options: TokenOptions = {}): Promise<string> {
  const claims: Record<string, unknown> = {
    aud: 'BYOVAGateway',
    sub: 'callAudioData',
    jti: 'id-1',
    'com.cisco.datasource.url': DATASOURCE,
    'com.cisco.datasource.schema.uuid': SCHEMA,
    ...options.claims,
  };
  for (const key of options.omit ?? []) delete claims[key];
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', kid: options.kid ?? 'k1' })
    .setIssuer(options.iss ?? issuer)
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '10m')
    .sign(options.key ?? privateKey);
}

function validator(
  extra: Partial<ConstructorParameters<typeof JwtValidator>[0]> = {},
): JwtValidator {
  return new JwtValidator({
    allowedIssuers: [issuer],
    datasourceUrl: DATASOURCE,
    schemaUuid: SCHEMA,
    clockToleranceSeconds: 30,
    cacheMs: 60_000,
    fetchTimeoutMs: 2000,
    ...extra,
  });
}

describe('JwtValidator', () => {
  it('accepts a valid RS256 token and caches the keys', async () => {
    const v = validator();
    await expect(v.validate(await token())).resolves.toMatchObject({ sub: 'callAudioData' });
    await v.validate(await token());
    expect(jwksRequests).toBe(1);
  });

  it('checks the issuer before downloading any key (no SSRF through iss)', async () => {
    await expect(
      validator().validate(await token({ iss: 'https://attacker.example/idb' })),
    ).rejects.toThrow('issuer is not allowed');
    expect(jwksRequests).toBe(0);
  });

  it.each([
    ['an expired token', { expiresIn: Math.floor(Date.now() / 1000) - 120 }, 'token is expired'],
    [
      'a token signed by another key',
      { key: undefined as unknown as PrivateKey },
      'signature verification failed',
    ],
    ['a missing jti', { omit: ['jti'] }, 'missing jti claim'],
    ['a missing sub', { omit: ['sub'] }, 'missing sub claim'],
    ['a missing aud', { omit: ['aud'] }, 'missing aud claim'],
    [
      'another datasource URL',
      { claims: { 'com.cisco.datasource.url': 'https://byova.example.com' } },
      'datasource URL does not match',
    ],
    [
      'another schema',
      { claims: { 'com.cisco.datasource.schema.uuid': 'x' } },
      'datasource schema does not match',
    ],
  ])('rejects %s', async (_name, options, message) => {
    const opts = { ...options } as TokenOptions;
    if ('key' in options) opts.key = otherKey;
    await expect(validator().validate(await token(opts))).rejects.toThrow(message);
  });

  it('accepts an expiry within the clock tolerance', async () => {
    const t = await token({ expiresIn: Math.floor(Date.now() / 1000) - 10 });
    await expect(validator().validate(t)).resolves.toBeDefined();
    await expect(validator({ clockToleranceSeconds: 0 }).validate(t)).rejects.toThrow(
      'token is expired',
    );
  });

  it('compares aud and sub with the registration when configured', async () => {
    await expect(
      validator({ audience: 'BYOVAGateway', subject: 'callAudioData' }).validate(await token()),
    ).resolves.toBeDefined();
    await expect(validator({ audience: 'Other' }).validate(await token())).rejects.toThrow(
      'claim aud is invalid',
    );
  });

  it('rejects unsigned (alg none) and HMAC tokens', async () => {
    const [, payload] = (await token()).split('.');
    const none = `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${payload}.`;
    await expect(validator().validate(none)).rejects.toThrow('algorithm none is not allowed');
    const hmac = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new Uint8Array(32));
    await expect(validator().validate(hmac)).rejects.toThrow('algorithm HS256 is not allowed');
    await expect(validator().validate('not-a-jwt')).rejects.toThrow('malformed token');
  });

  it('requires a matching kid', async () => {
    await expect(validator().validate(await token({ kid: 'unknown' }))).rejects.toThrow(
      'no matching key',
    );
  });

  it('falls back to cached keys when the key endpoint answers 429', async () => {
    let now = Date.now();
    const v = validator({ now: () => now, cacheMs: 1000 });
    await v.validate(await token());
    now += 5000;
    jwksStatus = 429;
    await expect(v.validate(await token())).resolves.toBeDefined();
    expect(jwksRequests).toBe(2);
  });

  it('rejects when no keys can be fetched and none are cached', async () => {
    jwksStatus = 503;
    await expect(validator().validate(await token())).rejects.toThrow(
      'signing keys are unavailable (HTTP 503)',
    );
  });

  it('takes the token with or without "Bearer "', () => {
    expect(extractToken('Bearer abc')).toBe('abc');
    expect(extractToken('bearer  abc ')).toBe('abc');
    expect(extractToken('abc')).toBe('abc');
    expect(extractToken('')).toBeUndefined();
    expect(extractToken(undefined)).toBeUndefined();
  });
});

describe('JWT on gRPC calls', () => {
  let gw: RunningGateway;
  let lenient: RunningGateway;

  beforeAll(async () => {
    const jwt = { enabled: true, datasource_url: DATASOURCE, allowed_issuers: [issuer] };
    gw = await startGateway(testConfig({ jwt_validation: jwt }));
    lenient = await startGateway(
      testConfig({ jwt_validation: { ...jwt, enforce_validation: false } }),
    );
  });
  afterAll(async () => {
    await gw.stop();
    await lenient.stop();
  });

  it('accepts ProcessCallerInput with a valid token, raw or with Bearer', async () => {
    for (const authorization of [await token(), `Bearer ${await token()}`]) {
      const { responses, error } = await gw.client.rpc(
        [event(`jwt-${authorization.length}`, 'SESSION_START')],
        {
          metadata: { authorization },
        },
      );
      expect(error).toBeUndefined();
      expect(responses).toHaveLength(1);
    }
  });

  it('rejects ProcessCallerInput without a token with UNAUTHENTICATED, even with no request at all', async () => {
    for (const requests of [[event('jwt-x', 'SESSION_START')], []]) {
      const { error } = await gw.client.rpc(requests);
      expect(error?.code).toBe(status.UNAUTHENTICATED);
      expect(error?.details).toBe('Missing JWT token in authorization metadata');
    }
  });

  it('rejects an invalid token with UNAUTHENTICATED and the reason', async () => {
    const { error } = await gw.client.rpc([event('jwt-y', 'SESSION_START')], {
      metadata: { authorization: await token({ key: otherKey }) },
    });
    expect(error?.code).toBe(status.UNAUTHENTICATED);
    expect(error?.details).toBe('JWT validation failed: signature verification failed');
    expect(gw.gateway.registry.get('jwt-y')).toBeUndefined();
  });

  it('protects ListVirtualAgents and leaves gRPC health open for load balancers', async () => {
    const list = await new Promise<number | undefined>((resolve) =>
      gw.client.va.ListVirtualAgents({}, (err) => resolve(err?.code)),
    );
    expect(list).toBe(status.UNAUTHENTICATED);
    const health = await new Promise<string | undefined>((resolve) =>
      gw.client.health.Check({ service: '' }, (_err, res) => resolve(res?.status)),
    );
    expect(health).toBe('SERVING');
  });

  it('only logs when enforcement is off', async () => {
    const { responses, error } = await lenient.client.rpc([event('jwt-z', 'SESSION_START')]);
    expect(error).toBeUndefined();
    expect(responses).toHaveLength(1);
    expect(await lenient.gateway.metrics.jwtRejections.get({ reason: 'missing' })).toBe(1);
  });
});

describe('calls cancelled while their JWT is checked', () => {
  it('closes and forgets ProcessCallerInput streams cancelled during validation: byova_streams_active returns to 0 at once, counted CANCELLED, nothing started', async () => {
    // The signing keys are held back until the test lets them through: validation is slow.
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let keyFetches = 0;
    const jwtFetch: typeof fetch = async (input, init) => {
      keyFetches += 1;
      await held;
      return fetch(input, init);
    };
    const jwt = { enabled: true, datasource_url: DATASOURCE, allowed_issuers: [issuer] };
    const gw = await startGateway(testConfig({ jwt_validation: jwt }), { jwtFetch });
    const metadata = new Metadata();
    metadata.set('authorization', await token());
    const calls = Array.from({ length: 5 }, (_, i) => {
      const call = gw.client.va.ProcessCallerInput(metadata);
      call.on('data', () => undefined);
      const ended = new Promise<number | undefined>((resolve) => {
        call.on('error', (error: ServiceError) => resolve(error.code));
        call.on('end', () => resolve(undefined));
      });
      call.write(event(`cancelled-${i}`, 'SESSION_START'));
      return { call, ended };
    });
    try {
      const { metrics, registry } = gw.gateway;
      const cancelledBefore = await metrics.rpcs.get({
        method: 'ProcessCallerInput',
        code: 'CANCELLED',
      });
      await until(
        async () =>
          keyFetches === 5 && (await metricValue(gw.gateway, 'byova_streams_active')) === 5,
        'five streams waiting for their JWT',
      );
      for (const { call } of calls) call.cancel();
      expect(await Promise.all(calls.map((c) => c.ended))).toEqual(Array(5).fill(status.CANCELLED));
      // Still validating: the streams are closed and forgotten without waiting for it.
      await until(
        async () => (await metricValue(gw.gateway, 'byova_streams_active')) === 0,
        'byova_streams_active to return to 0 while the tokens are still being checked',
      );
      expect(await metrics.rpcs.get({ method: 'ProcessCallerInput', code: 'CANCELLED' })).toBe(
        cancelledBefore + 5,
      );

      release();
      // A call after them is validated and answered; the cancelled ones were never started.
      const after = await gw.client.rpc([event('after-cancel', 'SESSION_START')], {
        metadata: { authorization: await token() },
      });
      expect(after.error).toBeUndefined();
      expect(after.responses).toHaveLength(1);
      expect(await metricValue(gw.gateway, 'byova_streams_active')).toBe(0);
      for (let i = 0; i < 5; i += 1) expect(registry.get(`cancelled-${i}`)).toBeUndefined();
      expect(await metrics.rpcs.get({ method: 'ProcessCallerInput', code: 'INTERNAL' })).toBe(0);
    } finally {
      release();
      for (const { call } of calls) call.cancel();
      await gw.stop();
    }
  });

  it('counts a stream refused for its JWT as UNAUTHENTICATED once, never as INTERNAL', async () => {
    const jwt = { enabled: true, datasource_url: DATASOURCE, allowed_issuers: [issuer] };
    const gw = await startGateway(testConfig({ jwt_validation: jwt }));
    try {
      const { error } = await gw.client.rpc([event('refused', 'SESSION_START')], {
        metadata: { authorization: await token({ key: otherKey }) },
      });
      expect(error?.code).toBe(status.UNAUTHENTICATED);
      const { rpcs } = gw.gateway.metrics;
      expect(await rpcs.get({ method: 'ProcessCallerInput', code: 'UNAUTHENTICATED' })).toBe(1);
      expect(await rpcs.get({ method: 'ProcessCallerInput', code: 'INTERNAL' })).toBe(0);
      expect(await metricValue(gw.gateway, 'byova_streams_active')).toBe(0);
    } finally {
      await gw.stop();
    }
  });
});

describe('JWT configuration', () => {
  it('refuses to enable validation without a datasource URL', () => {
    expect(() => testConfig({ jwt_validation: { enabled: true } })).toThrow(
      /requires jwt_validation.datasource_url/,
    );
  });
});
