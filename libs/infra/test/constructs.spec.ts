import { join } from 'node:path';
import {
  App,
  Duration,
  RemovalPolicy,
  Stack,
  aws_ec2 as ec2,
  aws_ecs as ecs,
  aws_elasticloadbalancingv2 as elbv2,
  aws_s3 as s3,
} from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import {
  accessLogsBucket,
  acknowledge,
  applyCommonTags,
  ContainerService,
  createInfraApp,
  HttpsLoadBalancer,
  InfraErrorCode,
  nagFindings,
  PublicDomain,
  roleActions,
  secureBucket,
  SharedFileSystem,
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
  const ingress = new HttpsLoadBalancer(stack, 'Ingress', {
    vpc: network.vpc,
    domain,
    accessLogs: logsBucket,
    accessLogsPrefix: 'alb',
    idleTimeout: Duration.seconds(90),
    ingressCidrs: [],
  });
  const lb = ingress.loadBalancer;
  const app1 = new ContainerService(stack, 'App', {
    cluster: network.cluster,
    name: 'app',
    image: ecs.ContainerImage.fromAsset(join(__dirname, 'fixtures/image')),
    cpu: 256,
    memoryLimitMiB: 512,
    ports: [8080],
    environment: { PORT: '8080' },
    stopTimeout: Duration.seconds(45),
    scratchPaths: ['/cache'],
  });
  const group = new elbv2.ApplicationTargetGroup(stack, 'Targets', {
    vpc: network.vpc,
    targetType: elbv2.TargetType.IP,
    port: 8080,
    protocol: elbv2.ApplicationProtocol.HTTP,
    targets: [app1.service],
  });
  ingress.route('Api', 10, ['/api/*'], group);
  new SharedFileSystem(stack, 'Shared', {
    vpc: network.vpc,
    removalPolicy: RemovalPolicy.RETAIN,
    path: '/app-data',
    owner: { uid: '1000', gid: '1000' },
  }).mountIn(app1.taskDefinition, app1.container, app1.service, '/data');
  app1.service.connections.allowFrom(lb, ec2.Port.tcp(8080));
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

describe('HttpsLoadBalancer', () => {
  it('has only an HTTPS listener on 443 with TLS 1.2+, answering 404 outside its routes', () => {
    template.resourceCountIs('AWS::ElasticLoadBalancingV2::Listener', 1);
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      SslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      DefaultActions: [
        Match.objectLike({
          Type: 'fixed-response',
          FixedResponseConfig: Match.objectLike({ StatusCode: '404' }),
        }),
      ],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Priority: 10,
      Conditions: [
        { Field: 'host-header', HostHeaderConfig: { Values: ['svc.example.com'] } },
        { Field: 'path-pattern', PathPatternConfig: { Values: ['/api/*'] } },
      ],
    });
    template.hasResourceProperties('AWS::ElasticLoadBalancingV2::LoadBalancer', {
      Scheme: 'internet-facing',
      LoadBalancerAttributes: Match.arrayWith([
        { Key: 'idle_timeout.timeout_seconds', Value: '90' },
        { Key: 'routing.http.drop_invalid_header_fields.enabled', Value: 'true' },
        { Key: 'access_logs.s3.enabled', Value: 'true' },
      ]),
    });
  });
});

describe('ContainerService', () => {
  it('runs the container read-only with scratch volumes, non-blocking logs and its stop timeout', () => {
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RequiresCompatibilities: ['FARGATE'],
      RuntimePlatform: { CpuArchitecture: 'X86_64', OperatingSystemFamily: 'LINUX' },
      Volumes: [
        { Name: 'scratch0' },
        { Name: 'scratch1' },
        Match.objectLike({ Name: 'efs-shared' }),
      ],
      ContainerDefinitions: [
        Match.objectLike({
          Essential: true,
          ReadonlyRootFilesystem: true,
          StopTimeout: 45,
          MountPoints: [
            { ContainerPath: '/tmp', ReadOnly: false, SourceVolume: 'scratch0' },
            { ContainerPath: '/cache', ReadOnly: false, SourceVolume: 'scratch1' },
            { ContainerPath: '/data', ReadOnly: false, SourceVolume: 'efs-shared' },
          ],
          LogConfiguration: Match.objectLike({
            LogDriver: 'awslogs',
            Options: Match.objectLike({ mode: 'non-blocking', 'max-buffer-size': '26214400b' }),
          }),
        }),
      ],
    });
  });

  it('deploys in private subnets without public IPs and rolls back failed deployments', () => {
    template.hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      }),
      NetworkConfiguration: {
        AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'DISABLED' }),
      },
    });
  });

  it('gives a task role with no permissions of its own (here only the shared files mount)', () => {
    const taskRole = Object.keys(template.findResources('AWS::IAM::Role')).find((id) =>
      id.startsWith('AppTaskTaskRole'),
    );
    expect(roleActions(template, taskRole ?? '')).toEqual([
      'elasticfilesystem:ClientMount',
      'elasticfilesystem:ClientWrite',
    ]);
    expect(
      roleActions(
        template,
        Object.keys(template.findResources('AWS::IAM::Role')).find((id) =>
          id.startsWith('AppTaskExecutionRole'),
        ) ?? '',
      ),
    ).toEqual(
      expect.arrayContaining([
        'ecr:GetAuthorizationToken',
        'logs:CreateLogStream',
        'logs:PutLogEvents',
      ]),
    );
  });

  it('refuses a stop timeout above the 120 s Fargate allows', () => {
    const scratch = new Stack(new App(), 'Scratch', { env });
    const network = new StandardNetwork(scratch, 'Network', {
      flowLogsBucket: accessLogsBucket(scratch, 'Logs'),
    });
    expect(
      () =>
        new ContainerService(scratch, 'App', {
          cluster: network.cluster,
          name: 'app',
          image: ecs.ContainerImage.fromRegistry('example/app'),
          cpu: 256,
          memoryLimitMiB: 512,
          ports: [],
          environment: {},
          stopTimeout: Duration.seconds(121),
        }),
    ).toThrow(expect.objectContaining({ code: InfraErrorCode.InvalidProps }));
  });
});

describe('SharedFileSystem', () => {
  it('is encrypted, backed up, reachable only by IAM clients over TLS, through its access point', () => {
    template.hasResourceProperties('AWS::EFS::FileSystem', {
      Encrypted: true,
      ThroughputMode: 'bursting',
      BackupPolicy: { Status: 'ENABLED' },
      FileSystemPolicy: {
        Statement: [
          Match.objectLike({
            Effect: 'Deny',
            Principal: { AWS: '*' },
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      },
    });
    template.hasResourceProperties('AWS::EFS::AccessPoint', {
      PosixUser: { Uid: '1000', Gid: '1000' },
      RootDirectory: {
        Path: '/app-data',
        CreationInfo: { OwnerUid: '1000', OwnerGid: '1000', Permissions: '750' },
      },
    });
    template.hasResourceProperties('AWS::ECS::TaskDefinition', {
      Volumes: Match.arrayWith([
        {
          Name: 'efs-shared',
          EFSVolumeConfiguration: Match.objectLike({
            TransitEncryption: 'ENABLED',
            AuthorizationConfig: Match.objectLike({ IAM: 'ENABLED' }),
          }),
        },
      ]),
    });
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      FromPort: 2049,
      Description: 'NFS from the service tasks',
    });
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
