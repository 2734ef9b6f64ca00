import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  awsActionsCalledIn,
  createInfraApp,
  nagFindings,
  sourceFiles,
  validationReports,
} from '@org/infra';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { ConnectLambdaStack } from '../src/infra/connect-stack';

let dir: string;
let stack: ConnectLambdaStack;
let template: Template;
let assemblyDir: string;

beforeAll(() => {
  // Any file will do as the code asset; the real ZIP is tested by the bundle test.
  dir = mkdtempSync(join(tmpdir(), 'connect-stack-'));
  const zip = join(dir, 'connect-lambda.zip');
  writeFileSync(zip, 'not a real zip');
  // One synthesis: the CDK's template validation (as errors) runs on it.
  const app = createInfraApp({ nag: false });
  stack = new ConnectLambdaStack(app, 'Connect', {
    env: { account: '112233445566', region: 'us-east-1' },
    codeZip: zip,
    owner: 'team-voice',
  });
  assemblyDir = app.synth().directory;
  template = Template.fromStack(stack);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Statement = { Action: string | string[]; Resource: unknown };

describe('ConnectLambdaStack', () => {
  it('deploys the CloudFormation template with the built ZIP as a CDK asset, on Node.js 24 arm64', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      Code: {
        S3Bucket: Match.stringLikeRegexp('^cdk-.*-assets-112233445566-us-east-1$'),
        S3Key: Match.stringLikeRegexp('\\.zip$'),
      },
      LoggingConfig: { LogGroup: { Ref: 'FunctionLogGroup' } },
    });
    const parameters = Object.keys(template.toJSON()['Parameters'] as Record<string, unknown>);
    for (const replaced of ['CodeS3Bucket', 'CodeS3Key', 'Runtime', 'Architecture']) {
      expect(parameters).not.toContain(replaced);
    }
    for (const kept of ['VirtualAgentName', 'OAuthSecretArn', 'ConnectInstanceArn']) {
      expect(parameters).toContain(kept);
    }
  });

  it('keeps the deadline and secret cache variables off under StrictUpstreamParity in the deployed stack', () => {
    template.hasCondition('UpstreamParity', {
      'Fn::Equals': [{ Ref: 'StrictUpstreamParity' }, 'true'],
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          HTTP_TOTAL_TIMEOUT: {
            'Fn::If': ['UpstreamParity', { Ref: 'AWS::NoValue' }, { Ref: 'HttpTotalTimeout' }],
          },
          SECRET_CACHE_TTL: {
            'Fn::If': ['UpstreamParity', { Ref: 'AWS::NoValue' }, { Ref: 'SecretCacheTtl' }],
          },
          STRICT_UPSTREAM_PARITY: { Ref: 'StrictUpstreamParity' },
        }),
      },
    });
  });

  it('grants exactly the action the code calls, on the configured secret only, plus its own logs', () => {
    // Every SDK call of the function's code (the harness in main.ts and lib/harness.ts makes none).
    const code = awsActionsCalledIn(sourceFiles(join(__dirname, '..', 'src'), ['infra']));
    expect(code).toEqual(['secretsmanager:GetSecretValue']);
    const policies = template.toJSON()['Resources'] as Record<
      string,
      { Type: string; Condition?: string; Properties: Record<string, unknown> }
    >;
    const statements: Statement[] = [];
    for (const r of Object.values(policies)) {
      if (r.Type === 'AWS::IAM::Policy') {
        statements.push(
          ...(r.Properties['PolicyDocument'] as { Statement: Statement[] }).Statement,
        );
      }
      if (r.Type === 'AWS::IAM::Role') {
        for (const p of (r.Properties['Policies'] as {
          PolicyDocument: { Statement: Statement[] };
        }[]) ?? []) {
          statements.push(...p.PolicyDocument.Statement);
        }
        expect(r.Properties['ManagedPolicyArns']).toBeUndefined();
      }
    }
    const actions = [...new Set(statements.flatMap((s) => [s.Action].flat()))].sort();
    // kms:Decrypt is no call of the code: Secrets Manager makes it, with the caller's
    // permissions, for a secret under a customer-managed key (OAuthSecretKmsKeyArn, optional).
    expect(actions).toEqual(
      [...code, 'kms:Decrypt', 'logs:CreateLogStream', 'logs:PutLogEvents'].sort(),
    );
    expect(statements).toContainEqual(
      expect.objectContaining({
        Action: 'secretsmanager:GetSecretValue',
        Resource: { Ref: 'OAuthSecretArn' },
      }),
    );
    expect(policies['ReadOAuthSecretPolicy']?.Condition).toBe('HasSecretArn');
  });

  it('grants kms:Decrypt on the OAuthSecretKmsKeyArn key only, through Secrets Manager, when it is set', () => {
    template.hasParameter('OAuthSecretKmsKeyArn', {
      Type: 'String',
      Default: '',
      AllowedPattern: Match.stringLikeRegexp('kms'),
    });
    template.hasCondition('HasSecretKmsKey', {
      'Fn::And': [
        { Condition: 'HasSecretArn' },
        { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'OAuthSecretKmsKeyArn' }, ''] }] },
      ],
    });
    template.hasResource('AWS::IAM::Policy', {
      Condition: 'HasSecretKmsKey',
      Properties: {
        Roles: [{ Ref: 'FunctionRole' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
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
                          'Fn::Select': [
                            3,
                            { 'Fn::Split': [':', { Ref: 'OAuthSecretKmsKeyArn' }] },
                          ],
                        },
                      },
                    ],
                  },
                },
              },
            },
          ],
        },
      },
    });
    // Nothing else names the key.
    const resources = template.toJSON()['Resources'] as Record<string, unknown>;
    const naming = Object.entries(resources)
      .filter(([, r]) => JSON.stringify(r).includes('OAuthSecretKmsKeyArn'))
      .map(([id]) => id);
    expect(naming).toEqual(['DecryptOAuthSecretPolicy']);
  });

  it('accepts a KMS key ARN or nothing as OAuthSecretKmsKeyArn, not an alias', () => {
    const parameters = template.toJSON()['Parameters'] as Record<
      string,
      { AllowedPattern: string }
    >;
    const pattern = new RegExp(parameters['OAuthSecretKmsKeyArn']?.AllowedPattern ?? '^$');
    expect(pattern.test('')).toBe(true);
    expect(
      pattern.test('arn:aws:kms:eu-west-1:112233445566:key/1234abcd-12ab-34cd-56ef-1234567890ab'),
    ).toBe(true);
    expect(pattern.test('arn:aws:kms:eu-west-1:112233445566:alias/cresta')).toBe(false);
    expect(pattern.test('*')).toBe(false);
  });

  it('keeps the Connect association and the log retention of the template', () => {
    template.hasResourceProperties('AWS::Lambda::Permission', {
      Principal: 'connect.amazonaws.com',
    });
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
    template.hasResourceProperties('AWS::IAM::Role', {
      Tags: Match.arrayWith([{ Key: 'Owner', Value: 'team-voice' }]),
    });
  });

  it('has no unacknowledged cdk-nag AwsSolutions finding', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('is valid CloudFormation by the CDK template validation: only the two explained warnings, acknowledged', () => {
    const report = { pluginReports: validationReports(assemblyDir) };
    expect(report.pluginReports).toHaveLength(1);
    const [validate] = report.pluginReports;
    expect(validate).toMatchObject({ conclusion: 'success', violations: [] });
    expect([...new Set(validate?.suppressedViolations.map((v) => v.ruleName))].sort()).toEqual([
      'W1030',
      'W2509',
    ]);
  });
});
