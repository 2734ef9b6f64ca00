// A public DNS name with a publicly trusted certificate, for the endpoints contact-center
// platforms call (they accept only certificates from a public CA).

import {
  aws_certificatemanager as acm,
  type aws_elasticloadbalancingv2 as elbv2,
  aws_route53 as route53,
  aws_route53_targets as targets,
} from 'aws-cdk-lib';
import { Construct } from 'constructs';

/** Properties of {@link PublicDomain}. */
export interface PublicDomainProps {
  /** The endpoint's fully qualified name, e.g. `audiohook.example.com`. */
  readonly domainName: string;
  /** An existing ACM certificate for `domainName`; else one is requested with DNS validation. */
  readonly certificateArn?: string | undefined;
  /**
   * The Route 53 public hosted zone of the domain: validation records and the alias are created
   * in it. Without it, add the validation CNAME (shown in the stack events) and a CNAME to the
   * load balancer at your DNS provider yourself.
   */
  readonly hostedZone?: { readonly name: string; readonly id: string } | undefined;
}

/**
 * The certificate (imported or DNS-validated) and, with a hosted zone, the alias record of a
 * public endpoint. Hosted zones are given by id and name (no lookup), so synthesis stays offline.
 *
 * @example
 * ```ts
 * const domain = new PublicDomain(this, 'Domain', {
 *   domainName: 'audiohook.example.com',
 *   hostedZone: { name: 'example.com', id: 'Z0123456789ABCDEFGHIJ' },
 * });
 * domain.aliasTo(loadBalancer);
 * ```
 */
export class PublicDomain extends Construct {
  readonly domainName: string;
  readonly certificate: acm.ICertificate;
  readonly zone: route53.IHostedZone | undefined;

  constructor(scope: Construct, id: string, props: PublicDomainProps) {
    super(scope, id);
    this.domainName = props.domainName;
    this.zone =
      props.hostedZone === undefined
        ? undefined
        : route53.PublicHostedZone.fromHostedZoneAttributes(this, 'Zone', {
            hostedZoneId: props.hostedZone.id,
            zoneName: props.hostedZone.name,
          });
    this.certificate =
      props.certificateArn !== undefined
        ? acm.Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)
        : new acm.Certificate(this, 'Certificate', {
            domainName: props.domainName,
            validation: acm.CertificateValidation.fromDns(this.zone),
          });
  }

  /** Points the domain at `loadBalancer` (an alias A record); nothing without a hosted zone. */
  aliasTo(loadBalancer: elbv2.ILoadBalancerV2): route53.ARecord | undefined {
    if (this.zone === undefined) return undefined;
    return new route53.ARecord(this, 'Alias', {
      zone: this.zone,
      recordName: `${this.domainName}.`,
      target: route53.RecordTarget.fromAlias(new targets.LoadBalancerTarget(loadBalancer)),
    });
  }
}
