import { CrestaError, CrestaErrorCode, type InvocationInput, resolveInvocation } from '../src';
import { fixture, recordingLogger, rejectionOf } from './support/helpers';

interface ValidationFixture {
  base: InvocationInput;
  cases: { name: string; input: InvocationInput; message: string }[];
}

const validation = fixture<ValidationFixture>('validation-cases.json');
const VA = 'customers/acme/profiles/main/virtualAgents/va-1';
const ARN = 'arn:aws:secretsmanager:us-west-2:123456789012:secret:cresta-oauth';

describe('resolveInvocation validation rules', () => {
  it.each(validation.cases)('rejects $name', async ({ input, message }) => {
    const err = await rejectionOf(resolveInvocation({ ...validation.base, ...input }));
    expect(err).toBeInstanceOf(CrestaError);
    expect(err.message).toBe(message);
    expect(err['code']).toBe(CrestaErrorCode.Validation);
  });

  it('accepts the base input of the validation table', async () => {
    const resolved = await resolveInvocation(validation.base);
    expect(resolved).toMatchObject({
      action: 'get_pstn_transfer_data',
      region: 'us-west-2-prod',
      apiBase: 'https://api.us-west-2-prod.cresta.com',
      authBase: undefined,
      auth: { kind: 'apiKey', apiKey: 'key-1' },
      authSource: 'apiKey',
    });
  });

  it('checks the action value only after the credentials', async () => {
    const err = await rejectionOf(
      resolveInvocation({ ...validation.base, action: 'nope', apiKey: '' }),
    );
    expect(err.message).toBe(
      'either apiKey (deprecated), oauthClientId/oauthClientSecret, or oauthSecretArn must be provided',
    );
  });

  it('logs the virtual agent name error at ERROR', async () => {
    const logger = recordingLogger();
    await rejectionOf(
      resolveInvocation({ ...validation.base, virtualAgentName: 'bad' }, { logger }),
    );
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: expect.stringContaining('Error parsing virtual agent name'),
      }),
    );
  });

  it('rejects input that is not a string map with an options error', async () => {
    const err = await rejectionOf(resolveInvocation({ region: 42 } as unknown as InvocationInput));
    expect(err['code']).toBe(CrestaErrorCode.InvalidOptions);
  });
});

describe('resolveInvocation domains and auth', () => {
  it('builds both bases from the region for OAuth without domains (voice-prod special case)', async () => {
    const resolved = await resolveInvocation({
      action: 'get_handoff_data',
      region: 'voice-prod',
      virtualAgentName: VA,
      oauthClientId: 'id',
      oauthClientSecret: 'secret',
    });
    expect(resolved.apiBase).toBe('https://api.voice-prod.cresta.com');
    expect(resolved.authBase).toBe('https://auth.us-west-2-prod.cresta.ai');
    expect(resolved.auth).toEqual({ kind: 'oauth', clientId: 'id', clientSecret: 'secret' });
    expect(resolved.authSource).toBe('oauthParameters');
  });

  it('lower-cases a mixed-case region for the auth mapping by default', async () => {
    const input = {
      action: 'get_pstn_transfer_data',
      region: 'Voice-Prod',
      virtualAgentName: VA,
      oauthClientId: 'id',
      oauthClientSecret: 'secret',
    };
    expect((await resolveInvocation(input)).authBase).toBe('https://auth.us-west-2-prod.cresta.ai');
    const parity = await resolveInvocation(input, { lowerCaseRegionForAuth: false });
    expect(parity.apiBase).toBe('https://api.voice-prod.cresta.com');
    expect(parity.authBase).toBe('https://auth.Voice-Prod.cresta.ai');
  });

  it('uses apiDomain and authDomain as given with OAuth, adding https://', async () => {
    const resolved = await resolveInvocation({
      action: 'get_pstn_transfer_data',
      apiDomain: 'api-customer-profile.cresta.com',
      authDomain: 'auth.us-west-2-prod.cresta.ai',
      virtualAgentName: VA,
      oauthClientId: 'id',
      oauthClientSecret: 'secret',
    });
    expect(resolved.region).toBe('customer-profile');
    expect(resolved.apiBase).toBe('https://api-customer-profile.cresta.com');
    expect(resolved.authBase).toBe('https://auth.us-west-2-prod.cresta.ai');
  });

  it('needs no authDomain with an API key and apiDomain', async () => {
    const resolved = await resolveInvocation({
      action: 'get_pstn_transfer_data',
      apiDomain: 'api-customer-profile.cresta.com',
      virtualAgentName: VA,
      apiKey: 'k',
    });
    expect(resolved.authBase).toBeUndefined();
    expect(resolved.auth).toEqual({ kind: 'apiKey', apiKey: 'k' });
  });

  it('validates an authDomain that an API key never uses', async () => {
    const resolved = await resolveInvocation({
      action: 'get_pstn_transfer_data',
      region: 'us-west-2-prod',
      authDomain: 'auth.us-west-2-prod.cresta.ai',
      virtualAgentName: VA,
      apiKey: 'k',
    });
    expect(resolved.auth.kind).toBe('apiKey');
  });

  it('needs an explicit region for a local apiDomain, and accepts plain http on loopback', async () => {
    const resolved = await resolveInvocation({
      action: 'get_pstn_transfer_data',
      region: 'us-west-2-staging',
      apiDomain: 'http://127.0.0.1:8080',
      authDomain: 'http://localhost:8081/',
      virtualAgentName: VA,
      oauthClientId: 'id',
      oauthClientSecret: 'secret',
    });
    expect(resolved.apiBase).toBe('http://127.0.0.1:8080');
    expect(resolved.authBase).toBe('http://localhost:8081');
  });

  it('keeps a trailing slash in upstream-parity mode', async () => {
    const resolved = await resolveInvocation(
      {
        action: 'get_pstn_transfer_data',
        region: 'us-west-2-prod',
        apiDomain: 'https://api.us-west-2-prod.cresta.com/',
        virtualAgentName: VA,
        apiKey: 'k',
      },
      { stripTrailingSlash: false },
    );
    expect(resolved.apiBase).toBe('https://api.us-west-2-prod.cresta.com/');
  });

  it('prefers OAuth over an API key when both are present', async () => {
    const logger = recordingLogger();
    const resolved = await resolveInvocation(
      {
        action: 'get_pstn_transfer_data',
        region: 'us-east-1-prod',
        virtualAgentName: VA,
        oauthClientId: 'id',
        oauthClientSecret: 'secret',
        apiKey: 'k',
      },
      { logger },
    );
    expect(resolved.auth.kind).toBe('oauth');
    expect(logger.lines.map((l) => l.message)).toContain('Using OAuth 2 authentication');
  });

  it('warns that API key authentication is deprecated', async () => {
    const logger = recordingLogger();
    await resolveInvocation(
      { action: 'get_handoff_data', region: 'us-west-2-prod', virtualAgentName: VA, apiKey: 'k' },
      { logger },
    );
    expect(logger.lines).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        message: 'Using API key authentication (deprecated)',
      }),
    );
  });
});

describe('resolveInvocation with Secrets Manager', () => {
  const base = { action: 'get_pstn_transfer_data', region: 'us-west-2-prod', virtualAgentName: VA };

  it('loads credentials from the secret, which wins over id/secret parameters', async () => {
    const loader = jest.fn(async () => ({ clientId: 'from-secret', clientSecret: 's' }));
    const resolved = await resolveInvocation(
      {
        ...base,
        oauthSecretArn: ARN,
        oauthClientId: 'param-id',
        oauthClientSecret: 'param-secret',
      },
      { loadOAuthSecret: loader },
    );
    expect(loader).toHaveBeenCalledWith(ARN);
    expect(resolved.auth).toEqual({ kind: 'oauth', clientId: 'from-secret', clientSecret: 's' });
    expect(resolved.authSource).toBe('secretsManager');
  });

  it('wraps a loader failure once with the Secrets Manager prefix and logs it once', async () => {
    const logger = recordingLogger();
    const err = await rejectionOf(
      resolveInvocation(
        { ...base, oauthSecretArn: ARN },
        {
          logger,
          loadOAuthSecret: async () => {
            throw new Error('AccessDeniedException: not allowed');
          },
        },
      ),
    );
    expect(err.message).toBe(
      'failed to retrieve OAuth credentials from Secrets Manager: AccessDeniedException: not allowed',
    );
    expect(err['code']).toBe(CrestaErrorCode.Secret);
    expect(logger.lines.filter((l) => l.level === 'error')).toHaveLength(1);
    expect(logger.lines.map((l) => l.message)).toContain(
      `Fetching OAuth credentials from Secrets Manager: ${ARN}`,
    );
  });

  it('fails clearly when a secret ARN is set but no loader is configured', async () => {
    const err = await rejectionOf(resolveInvocation({ ...base, oauthSecretArn: ARN }));
    expect(err.message).toBe(
      'failed to retrieve OAuth credentials from Secrets Manager: no Secrets Manager loader is configured',
    );
  });
});

describe('messages that quote the input', () => {
  it.each([
    [{ action: 'x'.repeat(10_000) }, 'invalid action: '],
    [{ region: 'r!'.repeat(5_000) }, 'invalid region: '],
    [{ apiDomain: `api.example.com?${'q'.repeat(10_000)}` }, 'invalid domain: '],
    [
      { virtualAgentName: `customers/${'c'.repeat(10_000)}/profiles` },
      'invalid virtual agent name: ',
    ],
  ])('stay short however long the parameter is (%#)', async (override, prefix) => {
    const input = {
      action: 'get_pstn_transfer_data',
      region: 'us-west-2-prod',
      virtualAgentName: 'customers/a/profiles/b/virtualAgents/c',
      apiKey: 'k',
      ...override,
    };
    const err = await rejectionOf(resolveInvocation(input));
    expect(err.message.startsWith(prefix)).toBe(true);
    expect(err.message.length).toBeLessThan(400);
    expect(err.message).toContain('…');
  });
});
