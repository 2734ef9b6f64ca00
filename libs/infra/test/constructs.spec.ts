import {
  App,
  Stack,
  type aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  accessLogsBucket,
  acknowledge,
  applyCommonTags,
  createInfraApp,
  InfraErrorCode,
  nagFindings,
  PublicDomain,
  secureBucket,
  standardLogGroup,
  StandardNetwork,
  stateTable,
  VALIDATE_TEMPLATES_CONTEXT,
} from '../src';

const env = { account: '111122223333', region: 'eu-west-1' };
let app: App;
let stack: Stack;
let loose: Stack;
let template: Template;
let looseTemplate: Template;

beforeAll(() => {
  // One synthesis for the whole file: the CDK's template validation takes seconds to start.
  app = createInfraApp({ nag: false });
  stack = new Stack(app, 'Shared', { env });
  const logsBucket = accessLogsBucket(stack, 'AccessLogs', { expirationDays: 30 });
  secureBucket(stack, 'Data', {
    accessLogs: { bucket: logsBucket, prefix: 'data/' },
    versioned: true,
    lifecycleRules: [{ id: 'expire', expiration: { toDays: () => 365 } as never }],
  });
  standardLogGroup(stack, 'Logs');
  stateTable(stack, 'State');
  const network = new StandardNetwork(stack, 'Network', { flowLogsBucket: logsBucket });
  const domain = new PublicDomain(stack, 'Domain', {
    domainName: 'svc.example.com',
    hostedZone: { name: 'example.com', id: 'Z0123456789EXAMPLE' },
  });
  const lb = new elbv2.ApplicationLoadBalancer(stack, 'Lb', {
    vpc: network.vpc as ec2.IVpc,
    internetFacing: true,
  });
  lb.logAccessLogs(logsBucket, 'alb');
  domain.aliasTo(lb);
  applyCommonTags(stack, { owner: 'team-voice', service: 'shared-test' });

  loose = new Stack(app, 'Loose', { env });
  new s3.Bucket(loose, 'Plain');
  new PublicDomain(loose, 'Imported', {
    domainName: 'svc.example.com',
    certificateArn: 'arn:aws:acm:eu-west-1:111122223333:certificate/0000-1111',
  }).aliasTo(lb);

  template = Template.fromStack(stack);
  looseTemplate = Template.fromStack(loose);
});

describe('createInfraApp', () => {
  it('turns the CDK template validation into errors', () => {
    expect(app.node.tryGetContext(VALIDATE_TEMPLATES_CONTEXT)).toBe(true);
  });
});

describe('secureBucket', () => {
  it('blocks public access, enforces bucket ownership, encrypts, logs access and aborts stale uploads', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
        ],
      },
      VersioningConfiguration: { Status: 'Enabled' },
      LoggingConfiguration: {
        DestinationBucketName: { Ref: Match.stringLikeRegexp('^AccessLogs') },
        LogFilePrefix: 'data/',
      },
      LifecycleConfiguration: {
        Rules: Match.arrayWith([
          Match.objectLike({
            Id: 'abort-incomplete-uploads',
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 },
            Status: 'Enabled',
          }),
        ]),
      },
    });
  });

  it('denies requests without TLS or below TLS 1.2 on every bucket', () => {
    const policies = template.findResources('AWS::S3::BucketPolicy');
    expect(Object.keys(policies)).toHaveLength(2);
    for (const policy of Object.values(policies)) {
      expect(policy).toMatchObject({
        Properties: {
          PolicyDocument: {
            Statement: expect.arrayContaining([
              expect.objectContaining({
                Effect: 'Deny',
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              }),
              expect.objectContaining({
                Effect: 'Deny',
                Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } },
              }),
            ]),
          },
        },
      });
    }
  });

  it('expires access logs and retains data buckets on teardown', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      LifecycleConfiguration: {
        Rules: Match.arrayWith([Match.objectLike({ Id: 'expire-logs', ExpirationInDays: 30 })]),
      },
    });
    for (const bucket of Object.values(template.findResources('AWS::S3::Bucket'))) {
      expect(bucket).toMatchObject({ DeletionPolicy: 'Retain', UpdateReplacePolicy: 'Retain' });
    }
  });
});

describe('stateTable and standardLogGroup', () => {
  it('creates the contract key schema: pk (String) only, TTL on expiresAt, on demand, PITR', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      SSESpecification: { SSEEnabled: true },
    });
  });

  it('gives log groups a retention', () => {
    template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 30 });
  });
});

describe('StandardNetwork', () => {
  it('logs VPC flows to S3 and routes S3 and DynamoDB through gateway endpoints', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', {
      LogDestinationType: 's3',
      TrafficType: 'ALL',
    });
    template.resourceCountIs('AWS::EC2::VPCEndpoint', 2);
    template.resourceCountIs('AWS::EC2::NatGateway', 1);
    template.hasResourceProperties('AWS::ECS::Cluster', {
      ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }],
    });
  });
});

describe('PublicDomain', () => {
  it('requests a DNS-validated certificate in the zone and aliases the domain', () => {
    template.hasResourceProperties('AWS::CertificateManager::Certificate', {
      DomainName: 'svc.example.com',
      ValidationMethod: 'DNS',
      DomainValidationOptions: [
        { DomainName: 'svc.example.com', HostedZoneId: 'Z0123456789EXAMPLE' },
      ],
    });
    template.hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'svc.example.com.',
      Type: 'A',
      HostedZoneId: 'Z0123456789EXAMPLE',
    });
  });

  it('imports a given certificate and creates no record without a zone', () => {
    looseTemplate.resourceCountIs('AWS::CertificateManager::Certificate', 0);
    looseTemplate.resourceCountIs('AWS::Route53::RecordSet', 0);
  });
});

describe('tags', () => {
  it('tags resources with Service and Owner', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      Tags: Match.arrayWith([
        { Key: 'Owner', Value: 'team-voice' },
        { Key: 'Service', Value: 'shared-test' },
      ]),
    });
  });
});

describe('nag', () => {
  it('finds nothing unacknowledged in the secure constructs', () => {
    expect(nagFindings(stack)).toEqual([]);
  });

  it('reports the findings of a bucket without the secure defaults', () => {
    expect(nagFindings(loose)).toEqual(
      expect.arrayContaining([
        'AwsSolutions-S1 Loose/Plain/Resource',
        'AwsSolutions-S10 Loose/Plain/Resource',
      ]),
    );
  });

  it('refuses an acknowledgement without a one-line reason', () => {
    const scratch = new Stack(new App(), 'Scratch');
    expect(() => acknowledge(scratch, { id: 'AwsSolutions-S1', reason: 'short' })).toThrow(
      expect.objectContaining({ code: InfraErrorCode.Acknowledgement }),
    );
    expect(() =>
      acknowledge(scratch, { id: 'AwsSolutions-S1', reason: 'first line\nsecond line' }),
    ).toThrow(expect.objectContaining({ code: InfraErrorCode.Acknowledgement }));
    expect(() => acknowledge(scratch, { id: 'S1', reason: 'a long enough reason' })).toThrow(
      expect.objectContaining({ code: InfraErrorCode.Acknowledgement }),
    );
  });
});
