import { CONFIG_VARIABLES, INVOCATION_KEYS, loadConfig } from '../src/config';
import {
  NO_VALUE,
  readTemplate,
  resolveValue,
  type TemplateValues,
} from './support/cloudformation';
import { appJson } from './support/helpers';

interface FlowAction {
  Identifier: string;
  Type: string;
  Parameters: Record<string, unknown>;
  Transitions: { NextAction?: string; Errors?: { NextAction: string; ErrorType: string }[] };
}

const template = readTemplate('deploy', 'template.yaml');
const resources = template['Resources'] as Record<
  string,
  { Type: string; Properties: Record<string, unknown> }
>;
const parameters = template['Parameters'] as Record<string, Record<string, unknown>>;
const fn = resources['Function'];
const variables = (fn?.Properties['Environment'] as { Variables: Record<string, unknown> })
  .Variables;

/** The function's environment in a stack created with the parameter values `given`. */
function environmentFor(given: Record<string, string>): Record<string, string> {
  const resolved = resolveValue(template as unknown as TemplateValues, variables, given);
  return Object.fromEntries(
    Object.entries(resolved as Record<string, unknown>)
      .filter(([, value]) => value !== NO_VALUE)
      .map(([name, value]) => [name, String(value)]),
  );
}

describe('CloudFormation template', () => {
  it('deploys the bundle with the index.handler entry point', () => {
    expect(fn?.Type).toBe('AWS::Lambda::Function');
    expect(fn?.Properties['Handler']).toBe('index.handler');
    expect(fn?.Properties['Code']).toEqual({
      S3Bucket: { Ref: 'CodeS3Bucket' },
      S3Key: { Ref: 'CodeS3Key' },
    });
  });

  it('sets the upstream environment variable names, action included', () => {
    for (const key of INVOCATION_KEYS) expect(Object.keys(variables)).toContain(key);
  });

  it('only sets variables the Lambda reads, with values its configuration accepts', () => {
    for (const name of Object.keys(variables)) expect(CONFIG_VARIABLES).toContain(name);
    for (const parity of ['false', 'true']) {
      const sample = environmentFor({ StrictUpstreamParity: parity });
      expect(() => loadConfig(sample)).not.toThrow();
    }
  });

  it('keeps the overall deadline and the secret cache of its parameters when parity is off', () => {
    const environment = environmentFor({
      StrictUpstreamParity: 'false',
      HttpTotalTimeout: '2s',
      SecretCacheTtl: '60s',
    });
    expect(environment).toMatchObject({ HTTP_TOTAL_TIMEOUT: '2s', SECRET_CACHE_TTL: '60s' });
    const config = loadConfig(environment);
    expect(config.http.totalTimeoutMs).toBe(2000);
    expect(config.secrets.cacheTtlMs).toBe(60_000);
    // The defaults: 2.5 s deadline, 300 s cache.
    const defaults = loadConfig(environmentFor({}));
    expect(defaults.http.totalTimeoutMs).toBe(2500);
    expect(defaults.secrets.cacheTtlMs).toBe(300_000);
  });

  it('leaves HTTP_TOTAL_TIMEOUT and SECRET_CACHE_TTL unset under StrictUpstreamParity=true, so no deadline and no secret cache remain', () => {
    const environment = environmentFor({
      StrictUpstreamParity: 'true',
      HttpTotalTimeout: '2s',
      SecretCacheTtl: '60s',
    });
    expect(environment['STRICT_UPSTREAM_PARITY']).toBe('true');
    expect(environment).not.toHaveProperty('HTTP_TOTAL_TIMEOUT');
    expect(environment).not.toHaveProperty('SECRET_CACHE_TTL');
    const config = loadConfig(environment);
    expect(config.strictUpstreamParity).toBe(true);
    expect(config.http.totalTimeoutMs).toBeUndefined();
    expect(config.secrets.cacheTtlMs).toBe(0);
  });

  it('hides credentials and grants GetSecretValue only on the configured secret', () => {
    for (const name of ['OAuthClientId', 'OAuthClientSecret', 'ApiKey']) {
      expect(parameters[name]?.['NoEcho']).toBe(true);
    }
    const secretPolicy = resources['ReadOAuthSecretPolicy'] as unknown as {
      Condition: string;
      Properties: Record<string, unknown>;
    };
    expect(secretPolicy.Condition).toBe('HasSecretArn');
    expect(JSON.stringify(secretPolicy.Properties)).toContain(
      '"Action":"secretsmanager:GetSecretValue","Resource":{"Ref":"OAuthSecretArn"}',
    );
    // No AWS managed policy: the role writes only to the function's own log group.
    const role = resources['FunctionRole']?.Properties as Record<string, unknown>;
    expect(role['ManagedPolicyArns']).toBeUndefined();
  });

  it('grants kms:Decrypt on OAuthSecretKmsKeyArn only, via Secrets Manager, when it and the secret are set', () => {
    const policy = resources['DecryptOAuthSecretPolicy'] as unknown as {
      Condition: string;
      Properties: { PolicyDocument: { Statement: unknown[] } };
    };
    expect(policy.Condition).toBe('HasSecretKmsKey');
    expect(policy.Properties.PolicyDocument.Statement).toEqual([
      {
        Effect: 'Allow',
        Action: 'kms:Decrypt',
        Resource: { Ref: 'OAuthSecretKmsKeyArn' },
        Condition: {
          StringEquals: {
            'kms:ViaService': {
              'Fn::Sub': [
                'secretsmanager.${KeyRegion}.amazonaws.com',
                {
                  KeyRegion: {
                    'Fn::Select': [3, { 'Fn::Split': [':', { Ref: 'OAuthSecretKmsKeyArn' }] }],
                  },
                },
              ],
            },
          },
        },
      },
    ]);
    const values = template as unknown as TemplateValues;
    const created = (given: Record<string, string>) =>
      resolveValue(values, { Condition: 'HasSecretKmsKey' }, given);
    const key = 'arn:aws:kms:eu-west-1:112233445566:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const secret = 'arn:aws:secretsmanager:eu-west-1:112233445566:secret:cresta-AbCdEf';
    expect(created({ OAuthSecretArn: secret, OAuthSecretKmsKeyArn: key })).toBe(true);
    expect(created({ OAuthSecretArn: secret })).toBe(false);
    expect(created({ OAuthSecretKmsKeyArn: key })).toBe(false);
    expect(parameters['OAuthSecretKmsKeyArn']?.['Default']).toBe('');
  });

  it('asserts the apiDomain/authDomain rule for OAuth and that one credential method is set', () => {
    const rules = template['Rules'] as Record<
      string,
      { Assertions: { AssertDescription: string }[] }
    >;
    expect(rules['OAuthNeedsBothDomains']?.Assertions[0]?.AssertDescription).toContain(
      'apiDomain and authDomain must be provided together',
    );
    expect(rules['OneCredentialMethod']).toBeDefined();
  });

  it('lets the Connect instance invoke the function when one is given', () => {
    expect(resources['ConnectInvokePermission']?.Properties['Principal']).toBe(
      'connect.amazonaws.com',
    );
    expect(resources['ConnectIntegration']?.Type).toBe('AWS::Connect::IntegrationAssociation');
  });
});

describe('example Connect flow', () => {
  const flow = appJson<{
    StartAction: string;
    Actions: FlowAction[];
    Metadata: { ActionMetadata: Record<string, unknown> };
  }>('deploy', 'connect-flow.json');
  const ids = new Set(flow.Actions.map((a) => a.Identifier));
  const byId = (id: string | undefined) => flow.Actions.find((a) => a.Identifier === id);

  it('links every transition to an existing block', () => {
    expect(ids.has(flow.StartAction)).toBe(true);
    for (const action of flow.Actions) {
      const targets = [
        action.Transitions.NextAction,
        ...(action.Transitions.Errors ?? []).map((e) => e.NextAction),
      ];
      for (const target of targets.filter((t) => t !== undefined))
        expect(ids.has(target as string)).toBe(true);
    }
  });

  it('passes action explicitly in both Lambda blocks, within Connect time limits', () => {
    const invokes = flow.Actions.filter((a) => a.Type === 'InvokeLambdaFunction');
    expect(
      invokes.map((a) => (a.Parameters['LambdaInvocationAttributes'] as { action: string }).action),
    ).toEqual(['get_pstn_transfer_data', 'get_handoff_data']);
    for (const invoke of invokes) {
      const limit = Number(invoke.Parameters['InvocationTimeLimitSeconds']);
      expect(Number.isInteger(limit) && limit >= 1 && limit <= 8).toBe(true);
    }
  });

  it('sends Lambda errors to a failure path instead of continuing with empty attributes', () => {
    for (const invoke of flow.Actions.filter((a) => a.Type === 'InvokeLambdaFunction')) {
      const error = invoke.Transitions.Errors?.find((e) => e.ErrorType === 'NoMatchingError');
      expect(error?.NextAction).toBe('announce-failure');
      expect(error?.NextAction).not.toBe(invoke.Transitions.NextAction);
    }
  });

  it('gives every block a place in the flow metadata, and no metadata to a missing block', () => {
    expect(Object.keys(flow.Metadata.ActionMetadata).sort()).toEqual([...ids].sort());
  });

  it('speaks the stored DTMF sequence between storing the transfer data and the transfer', () => {
    const store = byId('store-transfer-data');
    const announce = byId(store?.Transitions.NextAction);
    expect(announce?.Type).toBe('MessageParticipant');
    expect(announce?.Parameters['Text']).toContain('$.Attributes.dtmfSequence');
    expect(byId(announce?.Transitions.NextAction)?.Type).toBe('TransferParticipantToThirdParty');
    // A failed debug announcement must not stop the transfer.
    expect(announce?.Transitions.Errors).toEqual([
      { NextAction: announce?.Transitions.NextAction, ErrorType: 'NoMatchingError' },
    ]);
  });

  it('dials the returned number and sends the returned DTMF digits', () => {
    const transfer = flow.Actions.find((a) => a.Type === 'TransferParticipantToThirdParty');
    expect(transfer?.Parameters).toMatchObject({
      ThirdPartyPhoneNumber: '$.Attributes.phoneNumber',
      ThirdPartyDTMFDigits: '$.Attributes.dtmfSequence',
      ContinueFlowExecution: 'True',
    });
  });
});
