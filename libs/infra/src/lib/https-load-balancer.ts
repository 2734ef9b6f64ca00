// The public entry of a service: an internet-facing ALB with only an HTTPS listener.

import {
  type Duration,
  aws_ec2 as ec2,
  aws_elasticloadbalancingv2 as elbv2,
  type aws_s3 as s3,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';
import { acknowledge } from './nag';
import type { PublicDomain } from './public-domain';

/** Properties of {@link HttpsLoadBalancer}. */
export interface HttpsLoadBalancerProps {
  readonly vpc: ec2.IVpc;
  /** Certificate and DNS name; the alias record is created when the domain has a zone. */
  readonly domain: PublicDomain;
  /** Bucket of the access logs (SSE-S3). */
  readonly accessLogs: s3.IBucket;
  readonly accessLogsPrefix: string;
  /** Connections without traffic for this long are closed. */
  readonly idleTimeout: Duration;
  /** Sources allowed to connect to 443; empty means anywhere (IPv4). */
  readonly ingressCidrs: readonly string[];
  /** @default elbv2.SslPolicy.RECOMMENDED_TLS (TLS 1.3 and 1.2 only) */
  readonly sslPolicy?: elbv2.SslPolicy;
}

/**
 * An internet-facing Application Load Balancer whose only listener is HTTPS on 443 (TLS 1.2+,
 * the domain's certificate): port 80 is closed, since the platforms calling it use `wss://` or
 * gRPC over TLS and never follow redirects. Requests for other hosts or paths get 404; invalid
 * header fields are dropped; access logs go to S3.
 *
 * @example
 * ```ts
 * const lb = new HttpsLoadBalancer(this, 'Lb', {
 *   vpc, domain, accessLogs, accessLogsPrefix: 'alb', idleTimeout: Duration.seconds(60), ingressCidrs: [],
 * });
 * lb.route('Api', 10, ['/api/v1/*'], targetGroup);
 * ```
 */
export class HttpsLoadBalancer extends Construct {
  readonly loadBalancer: elbv2.ApplicationLoadBalancer;
  readonly listener: elbv2.ApplicationListener;
  readonly securityGroup: ec2.SecurityGroup;
  readonly #domain: PublicDomain;

  constructor(scope: Construct, id: string, props: HttpsLoadBalancerProps) {
    super(scope, id);
    this.#domain = props.domain;
    this.securityGroup = new ec2.SecurityGroup(this, 'SecurityGroup', {
      vpc: props.vpc,
      description: 'HTTPS from the calling platform',
      allowAllOutbound: false,
    });
    const sources = props.ingressCidrs.length === 0 ? ['0.0.0.0/0'] : props.ingressCidrs;
    for (const cidr of sources) {
      this.securityGroup.addIngressRule(ec2.Peer.ipv4(cidr), ec2.Port.tcp(443), 'HTTPS');
    }
    if (props.ingressCidrs.length === 0) {
      acknowledge(this.securityGroup, {
        id: 'AwsSolutions-EC23',
        reason:
          'Public endpoint of a cloud contact center that calls from changing addresses; TLS plus API-key signatures or JWTs authenticate every call (narrow it with INGRESS_CIDRS).',
      });
    }
    this.loadBalancer = new elbv2.ApplicationLoadBalancer(this, 'Alb', {
      vpc: props.vpc,
      internetFacing: true,
      vpcSubnets: { subnetType: ec2.SubnetType.PUBLIC },
      securityGroup: this.securityGroup,
      dropInvalidHeaderFields: true,
      http2Enabled: true,
      idleTimeout: props.idleTimeout,
    });
    this.loadBalancer.logAccessLogs(props.accessLogs, props.accessLogsPrefix);
    this.listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: elbv2.ApplicationProtocol.HTTPS,
      certificates: [props.domain.certificate],
      sslPolicy: props.sslPolicy ?? elbv2.SslPolicy.RECOMMENDED_TLS,
      open: false,
      defaultAction: elbv2.ListenerAction.fixedResponse(404, {
        contentType: 'text/plain',
        messageBody: 'not found',
      }),
    });
    props.domain.aliasTo(this.loadBalancer);
  }

  /** Forwards requests for the domain whose path matches `paths` to `targetGroup`. */
  route(
    id: string,
    priority: number,
    paths: readonly string[],
    targetGroup: elbv2.IApplicationTargetGroup,
  ): elbv2.ApplicationListenerRule {
    return new elbv2.ApplicationListenerRule(this, id, {
      listener: this.listener,
      priority,
      conditions: [
        elbv2.ListenerCondition.hostHeaders([this.#domain.domainName]),
        elbv2.ListenerCondition.pathPatterns([...paths]),
      ],
      action: elbv2.ListenerAction.forward([targetGroup]),
    });
  }
}
