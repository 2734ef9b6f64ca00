// The task role: the AWS calls the gateway makes, each on its resource: the conversation table's
// item reads, writes and deletes, and Lex. Lex permissions follow
// the deployed configuration: a fixed bot gets RecognizeUtterance on its alias only; discovery
// also needs ListBots (no resource-level permissions) and ListBotAliases.

import { Arn, ArnFormat, Stack, type aws_dynamodb as dynamodb, aws_iam as iam } from 'aws-cdk-lib';
import { acknowledgeWildcardResources } from '@org/infra';
import type { LexBot } from './deploy-config';

/** Inputs of {@link grantGatewayCalls}. */
export interface GatewayGrants {
  readonly role: iam.IRole;
  readonly conversationTable: dynamodb.ITable;
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

/** The gateway's permissions. */
export function grantGatewayCalls(grants: GatewayGrants): iam.Policy {
  const stack = Stack.of(grants.role);
  const statements = [
    new iam.PolicyStatement({
      // One conversation per item: read at each stream, written after each turn, deleted at
      // the end of the call.
      actions: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:DeleteItem'],
      resources: [grants.conversationTable.tableArn],
    }),
    ...grants.lexBots.flatMap((bot) => lexStatements(stack, bot)),
  ];
  const policy = new iam.Policy(stack, 'GatewayCalls', { roles: [grants.role], statements });
  const wildcards = statements.flatMap((s) => s.resources).filter((r) => r.includes('*'));
  if (wildcards.length === 0) return policy;
  acknowledgeWildcardResources(
    policy,
    [...new Set(wildcards)],
    'Lex discovery lists every bot and alias at start (ListBots has no resource-level permissions).',
  );
  return policy;
}
