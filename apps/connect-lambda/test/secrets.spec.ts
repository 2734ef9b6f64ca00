import { CrestaErrorCode, NodeHttpTransport } from '@org/cresta-handoff';
import { type FakeCrestaApi, startFakeCrestaApi } from '@org/cresta-handoff/testing';
import { type ConnectLambda, createConnectLambda, createLogger } from '../src/composition';
import { loadConfig } from '../src/config';
import { type FakeSecretsManager, startFakeSecretsManager } from './support/fake-secrets-manager';
import { appJson, captureLogs, rejectionOf } from './support/helpers';

const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:cresta-oauth-AbCdEf';
const VA = 'customers/acme/profiles/main/virtualAgents/va-1';
const pstnEvent = appJson<Record<string, unknown>>('events', 'get-pstn-transfer-data.json');
const AWS_ENV = {
  AWS_ACCESS_KEY_ID: 'AKIDLOCALTEST',
  AWS_SECRET_ACCESS_KEY: 'local-test-secret-key',
  AWS_EC2_METADATA_DISABLED: 'true',
};

let cresta: FakeCrestaApi;
let secretsManager: FakeSecretsManager;
let transport: NodeHttpTransport;
let capture: ReturnType<typeof captureLogs>;
const apps: ConnectLambda[] = [];
const savedEnv: Record<string, string | undefined> = {};

beforeAll(async () => {
  // The SDK's default credential chain reads these; they only sign requests to the local fake.
  for (const [key, value] of Object.entries(AWS_ENV)) {
    savedEnv[key] = process.env[key];
    process.env[key] = value;
  }
  cresta = await startFakeCrestaApi();
  secretsManager = await startFakeSecretsManager();
  transport = new NodeHttpTransport();
});
afterAll(async () => {
  transport.close();
  await cresta.close();
  await secretsManager.close();
  for (const [key, value] of Object.entries(savedEnv)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});
beforeEach(() => {
  cresta.reset();
  secretsManager.requests.length = 0;
  secretsManager.secrets.clear();
  secretsManager.secrets.set(ARN, {
    SecretString: JSON.stringify({
      oauthClientId: 'demo-client',
      oauthClientSecret: 'demo-secret',
    }),
  });
  capture = captureLogs();
});
afterEach(async () => {
  await Promise.all(apps.splice(0).map((app) => app.close()));
});

function makeApp(extra: Record<string, string> = {}, arn = ARN): ConnectLambda {
  const app = createConnectLambda(
    loadConfig({
      region: 'us-west-2-staging',
      apiDomain: cresta.url,
      authDomain: cresta.url,
      virtualAgentName: VA,
      oauthSecretArn: arn,
      SECRETS_MANAGER_ENDPOINT: secretsManager.url,
      HTTP_RETRY_BASE_DELAY: '1ms',
      ...extra,
    }),
    { transport, logger: createLogger(loadConfig({ ...extra }), capture.destination) },
  );
  apps.push(app);
  return app;
}

describe('OAuth credentials from Secrets Manager', () => {
  it('reads the secret with the AWS SDK in the ARN region and uses it for the token', async () => {
    await expect(makeApp().handler(pstnEvent)).resolves.toEqual({
      phoneNumber: '+15550100',
      dtmfSequence: '1234',
    });
    expect(secretsManager.requests).toHaveLength(1);
    const [request] = secretsManager.requests;
    expect(request?.target).toBe('secretsmanager.GetSecretValue');
    expect(request?.body).toEqual({ SecretId: ARN });
    expect(request?.authorization).toContain('/eu-west-1/secretsmanager/aws4_request');
    expect(cresta.requestsTo('token')[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}`,
    );
    expect(
      capture.logs.some(
        (l) => l.json?.['msg'] === `Fetching OAuth credentials from Secrets Manager: ${ARN}`,
      ),
    ).toBe(true);
  });

  it('prefers the secret over oauthClientId/oauthClientSecret variables', async () => {
    await makeApp({ oauthClientId: 'other', oauthClientSecret: 'other-secret' }).handler(pstnEvent);
    expect(cresta.requestsTo('token')[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('demo-client:demo-secret').toString('base64')}`,
    );
  });

  it('caches the credentials across invocations for SECRET_CACHE_TTL', async () => {
    const app = makeApp();
    await app.handler(pstnEvent);
    await app.handler(pstnEvent);
    await app.handler(pstnEvent);
    expect(secretsManager.requests).toHaveLength(1);
  });

  it('calls GetSecretValue on every invocation with SECRET_CACHE_TTL=0 (upstream behaviour)', async () => {
    const app = makeApp({ SECRET_CACHE_TTL: '0' });
    await app.handler(pstnEvent);
    await app.handler(pstnEvent);
    expect(secretsManager.requests).toHaveLength(2);
  });

  it('reports a missing secret once, with the SDK error name', async () => {
    secretsManager.secrets.clear();
    const err = await rejectionOf(makeApp().handler(pstnEvent));
    expect(err.message).toBe(
      "failed to retrieve OAuth credentials from Secrets Manager: ResourceNotFoundException: Secrets Manager can't find the specified secret.",
    );
    expect(err['code']).toBe(CrestaErrorCode.Secret);
    expect(cresta.requests).toHaveLength(0);
  });

  it('rejects a binary-only secret', async () => {
    secretsManager.secrets.set(ARN, { SecretBinary: Buffer.from('x').toString('base64') });
    const err = await rejectionOf(makeApp().handler(pstnEvent));
    expect(err.message).toBe(
      'failed to retrieve OAuth credentials from Secrets Manager: secret value is empty or not a string',
    );
  });

  it('rejects a secret without the two fields and never logs its content', async () => {
    secretsManager.secrets.set(ARN, {
      SecretString: JSON.stringify({ clientId: 'x', password: 'hunter2' }),
    });
    const err = await rejectionOf(makeApp({ DEBUG_LOGGING: 'true' }).handler(pstnEvent));
    expect(err.message).toBe(
      'failed to retrieve OAuth credentials from Secrets Manager: secret must contain oauthClientId and oauthClientSecret fields',
    );
    expect(capture.all()).not.toContain('hunter2');
  });

  it('rejects a malformed ARN without calling Secrets Manager', async () => {
    const err = await rejectionOf(makeApp({}, 'arn:aws:s3:::bucket').handler(pstnEvent));
    expect(err.message).toBe(
      'failed to retrieve OAuth credentials from Secrets Manager: failed to extract region from secret ARN: invalid Secrets Manager ARN format: arn:aws:s3:::bucket',
    );
    expect(secretsManager.requests).toHaveLength(0);
  });

  it('accepts a China-partition ARN only when SECRET_ARN_PARTITIONS allows it', async () => {
    const cn = 'arn:aws-cn:secretsmanager:cn-north-1:123456789012:secret:cresta-oauth';
    secretsManager.secrets.set(cn, {
      SecretString: JSON.stringify({
        oauthClientId: 'demo-client',
        oauthClientSecret: 'demo-secret',
      }),
    });
    const refused = await rejectionOf(makeApp({}, cn).handler(pstnEvent));
    expect(refused.message).toContain('invalid Secrets Manager ARN format');
    await expect(
      makeApp({ SECRET_ARN_PARTITIONS: 'aws,aws-cn' }, cn).handler(pstnEvent),
    ).resolves.toBeDefined();
  });

  it('gives up on a slow Secrets Manager at the overall deadline', async () => {
    secretsManager.secrets.set(ARN, {
      delayMs: 2000,
      SecretString: JSON.stringify({
        oauthClientId: 'demo-client',
        oauthClientSecret: 'demo-secret',
      }),
    });
    const err = await rejectionOf(makeApp({ HTTP_TOTAL_TIMEOUT: '200ms' }).handler(pstnEvent));
    expect(err['code']).toBe(CrestaErrorCode.DeadlineExceeded);
    expect(err.message).toBe(
      'failed to retrieve OAuth credentials from Secrets Manager: GetSecretValue did not answer within the overall deadline of 200ms',
    );
  });
});
