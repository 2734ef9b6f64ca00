// Where the collector's files live: an encrypted EFS file system with automatic backups, reached
// through an access point that makes every task the image's unprivileged user. The JSONL, its
// checkpoint and the Elasticsearch spool survive task replacement and are shared by the
// leader and its standbys (one writes at a time: the DynamoDB lease).

import {
  type RemovalPolicy,
  aws_ec2 as ec2,
  type aws_ecs as ecs,
  aws_efs as efs,
  aws_iam as iam,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** The image's user (`node`), which owns the files. */
export const FILE_OWNER = { uid: '1000', gid: '1000' } as const;
/** Where the file system is mounted in the container. */
export const DATA_DIR = '/data';

/** Properties of {@link CollectorStorage}. */
export interface CollectorStorageProps {
  readonly vpc: ec2.IVpc;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * @example
 * ```ts
 * const storage = new CollectorStorage(this, 'Storage', { vpc, removalPolicy });
 * storage.mountIn(service.taskDefinition, service.container, service.securityGroup);
 * ```
 */
export class CollectorStorage extends Construct {
  readonly fileSystem: efs.FileSystem;
  readonly accessPoint: efs.AccessPoint;

  constructor(scope: Construct, id: string, props: CollectorStorageProps) {
    super(scope, id);
    this.fileSystem = new efs.FileSystem(this, 'Files', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      encrypted: true,
      enableAutomaticBackups: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      // A few MB of JSONL written line by line: bursting credits far exceed what it needs.
      throughputMode: efs.ThroughputMode.BURSTING,
      removalPolicy: props.removalPolicy,
      // A policy replaces EFS's default "everyone may mount": only IAM-authorized clients (the
      // tasks' role) get in, and only over TLS.
      fileSystemPolicy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({
            sid: 'TlsOnly',
            effect: iam.Effect.DENY,
            principals: [new iam.AnyPrincipal()],
            actions: ['*'],
            conditions: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ],
      }),
    });
    this.accessPoint = this.fileSystem.addAccessPoint('Data', {
      path: '/event-collector',
      posixUser: FILE_OWNER,
      createAcl: { ownerUid: FILE_OWNER.uid, ownerGid: FILE_OWNER.gid, permissions: '750' },
    });
  }

  /**
   * Mounts the access point at {@link DATA_DIR} with TLS in transit and IAM authorization, and
   * lets the tasks (and nothing else) reach the file system and write through the access point.
   */
  mountIn(
    taskDefinition: ecs.TaskDefinition,
    container: ecs.ContainerDefinition,
    tasks: ec2.IConnectable,
  ): void {
    const taskRole = taskDefinition.taskRole;
    taskDefinition.addVolume({
      name: 'data',
      efsVolumeConfiguration: {
        fileSystemId: this.fileSystem.fileSystemId,
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId: this.accessPoint.accessPointId, iam: 'ENABLED' },
      },
    });
    container.addMountPoints({ sourceVolume: 'data', containerPath: DATA_DIR, readOnly: false });
    this.fileSystem.connections.allowDefaultPortFrom(tasks, 'NFS from the collector tasks');
    taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'MountData',
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: {
          StringEquals: { 'elasticfilesystem:AccessPointArn': this.accessPoint.accessPointArn },
        },
      }),
    );
  }
}
