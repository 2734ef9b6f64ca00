// Files that outlive a task and are shared by the tasks of a service: an encrypted EFS file
// system with automatic backups, reached through an access point that makes every client the
// image's unprivileged user, mounted with TLS and IAM authorization.

import {
  type RemovalPolicy,
  aws_ec2 as ec2,
  type aws_ecs as ecs,
  aws_efs as efs,
  aws_iam as iam,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Properties of {@link SharedFileSystem}. */
export interface SharedFileSystemProps {
  readonly vpc: ec2.IVpc;
  readonly removalPolicy: RemovalPolicy;
  /** The access point's root directory, e.g. `/event-collector`. */
  readonly path: string;
  /** The POSIX user every client acts as (and owner of the root directory). */
  readonly owner: { readonly uid: string; readonly gid: string };
  /**
   * `BURSTING` suits a trickle of writes (included with storage); `ELASTIC` sustains streams
   * and is charged per GB read and written.
   * @default efs.ThroughputMode.BURSTING
   */
  readonly throughputMode?: efs.ThroughputMode;
}

/**
 * @example
 * ```ts
 * const files = new SharedFileSystem(this, 'Files', {
 *   vpc, removalPolicy, path: '/event-collector', owner: { uid: '1000', gid: '1000' },
 * });
 * files.mountIn(service.taskDefinition, service.container, service.service, '/data');
 * ```
 */
export class SharedFileSystem extends Construct {
  readonly fileSystem: efs.FileSystem;
  readonly accessPoint: efs.AccessPoint;

  constructor(scope: Construct, id: string, props: SharedFileSystemProps) {
    super(scope, id);
    this.fileSystem = new efs.FileSystem(this, 'Files', {
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
      encrypted: true,
      enableAutomaticBackups: true,
      performanceMode: efs.PerformanceMode.GENERAL_PURPOSE,
      throughputMode: props.throughputMode ?? efs.ThroughputMode.BURSTING,
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
    this.accessPoint = this.fileSystem.addAccessPoint('Access', {
      path: props.path,
      posixUser: props.owner,
      createAcl: { ownerUid: props.owner.uid, ownerGid: props.owner.gid, permissions: '750' },
    });
  }

  /**
   * Mounts the access point at `containerPath` (TLS in transit, IAM authorization) and lets the
   * tasks, and nothing else, reach the file system and write through the access point.
   */
  mountIn(
    taskDefinition: ecs.TaskDefinition,
    container: ecs.ContainerDefinition,
    tasks: ec2.IConnectable,
    containerPath: string,
  ): void {
    const name = `efs-${this.node.id}`.toLowerCase();
    taskDefinition.addVolume({
      name,
      efsVolumeConfiguration: {
        fileSystemId: this.fileSystem.fileSystemId,
        transitEncryption: 'ENABLED',
        authorizationConfig: { accessPointId: this.accessPoint.accessPointId, iam: 'ENABLED' },
      },
    });
    container.addMountPoints({ sourceVolume: name, containerPath, readOnly: false });
    this.fileSystem.connections.allowDefaultPortFrom(tasks, 'NFS from the service tasks');
    taskDefinition.taskRole.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'MountSharedFiles',
        actions: ['elasticfilesystem:ClientMount', 'elasticfilesystem:ClientWrite'],
        resources: [this.fileSystem.fileSystemArn],
        conditions: {
          StringEquals: { 'elasticfilesystem:AccessPointArn': this.accessPoint.accessPointArn },
        },
      }),
    );
  }
}
