// The network and cluster each container app runs in.

import { aws_ec2 as ec2, aws_ecs as ecs, type aws_s3 as s3 } from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Properties of {@link StandardNetwork}. */
export interface StandardNetworkProps {
  /** Availability zones (load balancers need two). @default 2 */
  readonly maxAzs?: number;
  /** NAT gateways for the tasks' outbound traffic; one per AZ for zone independence. @default 1 */
  readonly natGateways?: number;
  /** Bucket of the VPC flow logs (prefix `vpc-flow-logs/`). */
  readonly flowLogsBucket: s3.IBucket;
}

/**
 * A VPC with public subnets (load balancers, NAT) and private subnets with egress (tasks), VPC
 * flow logs to S3, free gateway endpoints for S3 and DynamoDB (so recordings and table traffic
 * bypass the NAT), and an ECS cluster with Container Insights.
 *
 * @example
 * ```ts
 * const network = new StandardNetwork(this, 'Network', { flowLogsBucket: logsBucket });
 * new ecs.FargateService(this, 'Service', { cluster: network.cluster, taskDefinition });
 * ```
 */
export class StandardNetwork extends Construct {
  // Typed as the interfaces: the classes declare optional members as `T | undefined`, which
  // exactOptionalPropertyTypes refuses wherever the interface is expected.
  readonly vpc: ec2.IVpc;
  readonly cluster: ecs.ICluster;

  constructor(scope: Construct, id: string, props: StandardNetworkProps) {
    super(scope, id);
    const vpc = new ec2.Vpc(this, 'Vpc', {
      maxAzs: props.maxAzs ?? 2,
      natGateways: props.natGateways ?? 1,
      subnetConfiguration: [
        { name: 'public', subnetType: ec2.SubnetType.PUBLIC, cidrMask: 24 },
        { name: 'private', subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS, cidrMask: 22 },
      ],
      flowLogs: {
        toS3: {
          destination: ec2.FlowLogDestination.toS3(props.flowLogsBucket, 'vpc-flow-logs/'),
          trafficType: ec2.FlowLogTrafficType.ALL,
        },
      },
      gatewayEndpoints: {
        s3: { service: ec2.GatewayVpcEndpointAwsService.S3 },
        dynamodb: { service: ec2.GatewayVpcEndpointAwsService.DYNAMODB },
      },
    });
    this.vpc = vpc as ec2.IVpc;
    const cluster = new ecs.Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ecs.ContainerInsights.ENABLED,
    });
    this.cluster = cluster as ecs.ICluster;
  }
}
