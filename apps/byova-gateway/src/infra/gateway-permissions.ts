// The task role: the AWS calls the gateway makes, each on its resource. Lex permissions follow
// the deployed configuration: a fixed bot gets RecognizeUtterance on its alias only; discovery
// also needs ListBots (no resource-level permissions) and ListBotAliases.

import { Arn, ArnFormat, Stack, aws_iam as iam } from 'aws-cdk-lib';
import { acknowledgeWildcardResources } from '@org/infra';
import type { LexBot } from './deploy-config';

/** Inputs of {@link grantGatewayCalls}. */
export interface GatewayGrants {
  readonly role: iam.IRole;
  readonly lexBots: readonly LexBot[];
}

function lexArn(stack: Stack, region: string, resource: string, resourceName: string): string {
  return Arn.format(
    { service: 'lex', region, resource, resourceName, arnFormat: ArnFormat.SLASH_RESOURCE_NAME },
    stack,
  );
}

/** The statements of one Lex connector. */
function lexStatements(stack: Stack, bot: LexBot): iam.PolicyStatement[] {
  if (bot.botId !== undefined && bot.botAliasId !== undefined) {
    return [
      new iam.PolicyStatement({
        actions: ['lex:RecognizeUtterance'],
        resources: [lexArn(stack, bot.region, 'bot-alias', `${bot.botId}/${bot.botAliasId}`)],
      }),
    ];
  }
  return [
    new iam.PolicyStatement({ actions: ['lex:ListBots'], resources: ['*'] }),
    new iam.PolicyStatement({
      actions: ['lex:ListBotAliases'],
      resources: [lexArn(stack, bot.region, 'bot', '*')],
    }),
    new iam.PolicyStatement({
      actions: ['lex:RecognizeUtterance'],
      resources: [lexArn(stack, bot.region, 'bot-alias', '*')],
    }),
  ];
}

/**
 * The gateway's permissions, or none (no policy) when its configuration calls no AWS service.
 */
export function grantGatewayCalls(grants: GatewayGrants): iam.Policy | undefined {
  const stack = Stack.of(grants.role);
  const statements = grants.lexBots.flatMap((bot) => lexStatements(stack, bot));
  if (statements.length === 0) return undefined;
  const policy = new iam.Policy(stack, 'GatewayCalls', { roles: [grants.role], statements });
  const wildcards = statements.flatMap((s) => s.resources).filter((r) => r.includes('*'));
  acknowledgeWildcardResources(
    policy,
    [...new Set(wildcards)],
    'Lex discovery lists every bot and alias at start (ListBots has no resource-level permissions).',
  );
  return policy;
}
