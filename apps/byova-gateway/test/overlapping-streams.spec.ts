// Several instances behind a load balancer behave as one even when streams of one conversation
// overlap on different instances: a turn is claimed in the conversation table before it acts, a
// stream that finds another instance's turn under way waits for it and continues from its result,
// and an instance never deletes a state another instance wrote after it read it.

import {
  DeleteItemCommand,
  PutItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { trace } from '@opentelemetry/api';
import { systemClock, type ByovaRequest } from '@org/byova';
import pino from 'pino';
import { type GatewayConfig } from '../src/config';
import { ConnectionLog } from '../src/lib/connection-log';
import { ConversationStore } from '../src/lib/conversation-store';
import { ConversationRegistry } from '../src/lib/conversations';
import { GatewayMetrics } from '../src/lib/metrics';
import { AgentRouter } from '../src/lib/router';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import {
  dtmf,
  event,
  startGateway,
  testConfig,
  until,
  type RunningGateway,
} from './helpers/gateway';
import { PROBE_AGENT, ProbeConnector, ProbeLog } from './helpers/probe-connector';

const TABLE = 'byova-overlaps';
const agent = { virtual_agent_id: PROBE_AGENT };

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
});
afterAll(async () => {
  await dynamo.close();
});

function config(): GatewayConfig {
  return {
    ...testConfig(),
    conversationTable: { table: TABLE, endpoint: dynamo.endpoint, region: 'us-east-1' },
  };
}

/** Gateway `name` with the probe connector (sharing `log`) and its own table client. */
function start(
  name: string,
  log: ProbeLog,
  options: { client?: DynamoDBClient; clock?: { now(): number } } = {},
): Promise<RunningGateway> {
  return startGateway(config(), {
    connectors: [new ProbeConnector(log, name)],
    dynamoClient: options.client ?? dynamo.client(),
    ...(options.clock !== undefined ? { clock: options.clock } : {}),
  });
}

/** The table's item of a conversation. */
async function stored(id: string): Promise<Record<string, AttributeValue> | undefined> {
  return (await dynamo.items(TABLE)).find((item) => item['pk']?.S === `conversation#${id}`);
}

async function storedState(id: string): Promise<Record<string, unknown>> {
  return JSON.parse((await stored(id))?.['state']?.S ?? '{}') as Record<string, unknown>;
}

/**
 * A table client whose first command matching `matches` waits for `release()`; `arrived`
 * resolves when that command is sent.
 */
function holdFirst(matches: (command: unknown) => boolean): {
  client: DynamoDBClient;
  arrived: Promise<void>;
  release(): void;
} {
  const client = dynamo.client();
  const send = client.send.bind(client) as (command: unknown) => Promise<unknown>;
  let arrive: () => void = () => undefined;
  let release: () => void = () => undefined;
  const arrived = new Promise<void>((resolve) => (arrive = resolve));
  const released = new Promise<void>((resolve) => (release = resolve));
  let held = false;
  const wrapped = async (command: unknown): Promise<unknown> => {
    if (!held && matches(command)) {
      held = true;
      arrive();
      await released;
    }
    return send(command);
  };
  Object.assign(client, { send: wrapped });
  return { client, arrived, release };
}

const loads = (gw: RunningGateway): Promise<number> =>
  gw.gateway.metrics.storeOperations.get({ operation: 'load', outcome: 'ok' });

const promptTexts = (responses: readonly { prompts: readonly { text: string }[] }[]): string[] =>
  responses.flatMap((r) => r.prompts.map((p) => p.text));

describe('idle reaper with several instances', () => {
  it('keeps a conversation another instance served while the reaper was deleting it', async () => {
    const clock = { time: Date.now(), now: () => clock.time };
    const log = new ProbeLog();
    const deleting = holdFirst((command) => command instanceof DeleteItemCommand);
    const a = await start('A', log, { client: deleting.client, clock });
    const b = await start('B', log, { clock });
    try {
      await a.client.rpc([event('reap-race', 'SESSION_START', agent)]);
      clock.time += 601_000;
      // A's reaper finds the conversation idle and is about to delete it...
      const reaping = a.gateway.registry.reap();
      await deleting.arrived;
      // ...when B serves a turn of it.
      const turn = await b.client.rpc([{ ...dtmf('reap-race', ['DTMF_DIGIT_ONE']), ...agent }]);
      expect(promptTexts(turn.responses)).toEqual(['heard welcome@A,1']);
      deleting.release();
      expect(await reaping).toBe(0);
      // The conversation lives on: nothing was ended, and B's next turn continues it.
      expect(a.gateway.registry.get('reap-race')).toBeUndefined();
      expect(log.ends).toEqual([]);
      expect(await a.gateway.metrics.conversationEnds.get({ reason: 'idle_timeout' })).toBe(0);
      expect(await stored('reap-race')).toBeDefined();
      const next = await b.client.rpc([{ ...dtmf('reap-race', ['DTMF_DIGIT_TWO']), ...agent }]);
      expect(promptTexts(next.responses)).toEqual(['heard welcome@A,1,2']);
      expect(b.gateway.registry.created).toBe(0);
    } finally {
      deleting.release();
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('deletes an idle conversation from the table before ending its connector session', async () => {
    const clock = { time: Date.now(), now: () => clock.time };
    const log = new ProbeLog();
    const seenAtEnd: boolean[] = [];
    log.onEnd = async (id) => void seenAtEnd.push((await stored(id)) !== undefined);
    const a = await start('A', log, { clock });
    try {
      await a.client.rpc([event('reap-order', 'SESSION_START', agent)]);
      clock.time += 601_000;
      expect(await a.gateway.registry.reap()).toBe(1);
      expect(log.ends).toEqual(['A:reap-order']);
      expect(seenAtEnd).toEqual([false]);
    } finally {
      await a.stop();
    }
  });
});

describe('overlapping streams of one conversation on two instances', () => {
  it('sends one welcome when a second SESSION_START reaches another instance during a slow welcome', async () => {
    const log = new ProbeLog();
    const a = await start('A', log);
    const b = await start('B', log);
    try {
      const release = log.holdNextWelcome();
      const first = a.client.rpc([event('dup-start', 'SESSION_START', agent)]);
      await until(() => log.starts.length === 1, 'the welcome to begin on A');
      let secondDone = false;
      const second = b.client
        .rpc([event('dup-start', 'SESSION_START', agent)])
        .finally(() => (secondDone = true));
      // B has read the conversation and is waiting for A's turn (or, without a claim, done).
      const bLoads = await loads(b);
      await until(
        async () => secondDone || (await loads(b)) >= bLoads + 2,
        'B to wait for the welcome under way on A',
      );
      release();
      const [welcome, duplicate] = await Promise.all([first, second]);
      expect(log.starts).toEqual(['A:dup-start']);
      expect(promptTexts(welcome.responses)).toEqual(['Welcome from A']);
      expect(welcome.error).toBeUndefined();
      // The duplicate is ignored as on one instance: no response, the stream completes OK.
      expect(duplicate.responses).toEqual([]);
      expect(duplicate.error).toBeUndefined();
      // Nothing of the welcome was lost, whichever instance serves the next turns.
      expect(await storedState('dup-start')).toMatchObject({
        welcomed: true,
        turns: 1,
        connector: { heard: ['welcome@A'] },
      });
      const onB = await b.client.rpc([{ ...dtmf('dup-start', ['DTMF_DIGIT_ONE']), ...agent }]);
      expect(promptTexts(onB.responses)).toEqual(['heard welcome@A,1']);
      const onA = await a.client.rpc([{ ...dtmf('dup-start', ['DTMF_DIGIT_TWO']), ...agent }]);
      expect(promptTexts(onA.responses)).toEqual(['heard welcome@A,1,2']);
      expect((await stored('dup-start'))?.['turnBy']).toBeUndefined();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });

  it('serves a stream opened while another instance is still saving its turn from that turn’s result', async () => {
    const log = new ProbeLog();
    // A's save after the welcome (version 2, no claim) is held: WxCC already has the welcome.
    const saving = holdFirst(
      (command) =>
        command instanceof PutItemCommand &&
        command.input.Item?.['version']?.N === '2' &&
        command.input.Item['turnBy'] === undefined,
    );
    const a = await start('A', log, { client: saving.client });
    const b = await start('B', log);
    try {
      const first = a.client.rpc([event('barge-in', 'SESSION_START', agent)]);
      await saving.arrived;
      let nextDone = false;
      const next = b.client
        .rpc([{ ...dtmf('barge-in', ['DTMF_DIGIT_ONE']), ...agent }])
        .finally(() => (nextDone = true));
      const bLoads = await loads(b);
      await until(
        async () => nextDone || (await loads(b)) >= bLoads + 2,
        'B to wait for the turn under way on A',
      );
      saving.release();
      const [welcome, turn] = await Promise.all([first, next]);
      expect(promptTexts(welcome.responses)).toEqual(['Welcome from A']);
      // B's turn ran on the state A saved after the welcome, and nothing was lost.
      expect(promptTexts(turn.responses)).toEqual(['heard welcome@A,1']);
      expect(await storedState('barge-in')).toMatchObject({
        welcomed: true,
        turns: 2,
        connector: { heard: ['welcome@A', '1'] },
      });
      expect(
        await a.gateway.metrics.storeOperations.get({ operation: 'save', outcome: 'conflict' }),
      ).toBe(0);
    } finally {
      saving.release();
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});

describe('a turn claimed by an instance that never finished', () => {
  it('is taken over once the claim has not moved for the lease, measured on the waiting instance', async () => {
    const log = new ProbeLog();
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'warn' },
      { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
    );
    const registry = (name: string): ConversationRegistry => {
      const router = new AgentRouter([new ProbeConnector(log, name)]);
      return new ConversationRegistry({
        router: () => router,
        settings: {},
        idleTimeoutMs: 600_000,
        reaperIntervalMs: 30_000,
        logger,
        metrics: new GatewayMetrics({
          connectorKeys: ['probe'],
          activeConversations: () => 0,
          activeStreams: () => 0,
        }),
        connections: new ConnectionLog(10),
        recordings: undefined,
        store: new ConversationStore({
          client: dynamo.client(),
          table: TABLE,
          ttlSeconds: 660,
          clock: systemClock,
        }),
        tracer: trace.getTracer('test'),
        turnLeaseMs: 300,
        turnPollMs: 10,
      });
    };
    const request = (input: ByovaRequest['input']): ByovaRequest => ({
      conversationId: 'crashed-turn',
      customerOrgId: 'org-1',
      virtualAgentId: PROBE_AGENT,
      allowPartialResponses: false,
      vendorSpecificConfig: '',
      input,
    });
    // A creates the conversation for its SESSION_START (claimed) and dies before the welcome.
    const crashed = await registry('A').bind(
      request({ kind: 'event', type: 'SESSION_START', name: '', parameters: {} }),
    );
    expect(crashed.kind).toBe('conversation');
    expect((await stored('crashed-turn'))?.['turnBy']?.S).toEqual(expect.any(String));
    // B gets the next SESSION_START (WxCC retried): it waits out the lease, then welcomes.
    const b = registry('B');
    const binding = await b.bind(
      request({ kind: 'event', type: 'SESSION_START', name: '', parameters: {} }),
    );
    if (binding.kind !== 'conversation') throw new Error('no conversation');
    const conversation = binding.conversation;
    const texts: string[] = [];
    const stream = conversation.turnSession.openStream({
      write: (response) => texts.push(...(response.prompts ?? []).map((p) => p.text ?? '')),
      complete: () => undefined,
    });
    await conversation.turnSession.receive(stream, {
      kind: 'event',
      type: 'SESSION_START',
      name: '',
      parameters: {},
    });
    await b.persist(conversation);
    expect(texts).toEqual(['Welcome from B']);
    expect(log.starts).toEqual(['B:crashed-turn']);
    expect(lines.map((l) => l['msg'])).toContain(
      'a turn claimed on another instance did not finish; continuing from its last state',
    );
    const item = await stored('crashed-turn');
    expect(item?.['turnBy']).toBeUndefined();
    expect(JSON.parse(item?.['state']?.S ?? '{}')).toMatchObject({ welcomed: true, turns: 1 });
  });
});
