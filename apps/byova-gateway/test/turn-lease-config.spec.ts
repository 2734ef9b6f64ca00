// The lease of a turn claim and the poll interval of a waiting stream are YAML settings
// (`gateway.turn_lease_seconds`, `gateway.turn_poll_ms`): a deployment whose turns are quick can
// take over a crashed instance's claim sooner than the 60 s default.

import { systemClock, newConversationState } from '@org/byova';
import { parseConfig, type GatewayConfig } from '../src/config';
import { ConversationStore } from '../src/lib/conversation-store';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import { AGENT, APP_DIR, ORG, event, startGateway, testConfig } from './helpers/gateway';

const TABLE = 'byova-turn-lease';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
});
afterAll(async () => {
  await dynamo.close();
});

function withTable(config: GatewayConfig): GatewayConfig {
  return {
    ...config,
    conversationTable: { table: TABLE, endpoint: dynamo.endpoint, region: 'us-east-1' },
  };
}

describe('gateway.turn_lease_seconds and gateway.turn_poll_ms', () => {
  it('default to 60 s and 25 ms, and refuse values out of range', () => {
    const config = parseConfig({}, {}, APP_DIR);
    expect(config.gateway.turn_lease_seconds).toBe(60);
    expect(config.gateway.turn_poll_ms).toBe(25);
    expect(() => parseConfig({ gateway: { turn_lease_seconds: 0 } }, {}, APP_DIR)).toThrow(
      /turn_lease_seconds/,
    );
    // A lease shorter than a turn would let another instance take a live claim (a turn run twice).
    expect(() => parseConfig({ gateway: { turn_lease_seconds: 0.1 } }, {}, APP_DIR)).toThrow(
      'gateway.turn_lease_seconds: must be at least 5 s: a lease shorter than a turn lets another instance take a live claim and run the same turn twice',
    );
    expect(parseConfig({ gateway: { turn_lease_seconds: 5 } }, {}, APP_DIR).gateway).toMatchObject({
      turn_lease_seconds: 5,
    });
    expect(() => parseConfig({ gateway: { turn_poll_ms: 0 } }, {}, APP_DIR)).toThrow(
      /turn_poll_ms/,
    );
  });

  it('take over a claim left by a crashed instance after the configured lease (the shortest: 5 s)', async () => {
    // A crashed instance created the conversation for its SESSION_START, claimed, and died.
    const store = new ConversationStore({
      client: dynamo.client(),
      table: TABLE,
      ttlSeconds: 660,
      clock: systemClock,
    });
    const state = newConversationState({
      conversationId: 'crashed-1',
      agentId: AGENT,
      customerOrgId: ORG,
      connectorKey: 'local_audio_connector',
      input: { inputMode: 'INPUT_VOICE_DTMF', inputHandlingConfig: {} },
      now: Date.now(),
    });
    expect(await store.save(state, 1, 'token-of-a-crashed-instance')).toBe(true);
    const gw = await startGateway(
      withTable(testConfig({ gateway: { turn_lease_seconds: 5, turn_poll_ms: 5 } })),
      { dynamoClient: dynamo.client() },
    );
    try {
      // WxCC retries the SESSION_START: it is welcomed once the lease has passed.
      const result = await gw.client.rpc([event('crashed-1', 'SESSION_START')]);
      expect(result.error).toBeUndefined();
      expect(result.responses[0]?.prompts[0]?.text).toMatch(/^Hello, welcome/);
    } finally {
      await gw.stop();
    }
  });
});
