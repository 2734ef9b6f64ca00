// Turn claims in the conversation table survive what a network and a load balancer do to them: a
// claim stored with its answer lost is still this instance's own, WxCC retrying a waiting stream
// does not restart the lease of a crashed instance's claim, and an instance that stops releases
// the claim of a turn still under way.

import { type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { trace } from '@opentelemetry/api';
import { systemClock, type ByovaInput, type ByovaRequest } from '@org/byova';
import pino from 'pino';
import { ConnectionLog } from '../src/lib/connection-log';
import { ConversationStore } from '../src/lib/conversation-store';
import { ConversationRegistry, type Conversation } from '../src/lib/conversations';
import { GatewayMetrics } from '../src/lib/metrics';
import { AgentRouter } from '../src/lib/router';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import { until } from './helpers/gateway';
import { PROBE_AGENT, ProbeConnector, ProbeLog } from './helpers/probe-connector';

const TABLE = 'byova-turn-claims';
const TAKEN_OVER =
  'a turn claimed on another instance did not finish; continuing from its last state';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
});
afterAll(async () => {
  await dynamo.close();
});

interface Instance {
  readonly registry: ConversationRegistry;
  readonly metrics: GatewayMetrics;
}

/** A registry (one gateway instance) named `name` on the shared table. */
function instance(
  name: string,
  log: ProbeLog,
  options: {
    client?: DynamoDBClient;
    logger?: pino.Logger;
    turnLeaseMs?: number;
    closeTurnWaitMs?: number;
  } = {},
): Instance {
  const router = new AgentRouter([new ProbeConnector(log, name)]);
  const metrics = new GatewayMetrics({
    connectorKeys: ['probe'],
    activeConversations: () => 0,
    activeStreams: () => 0,
  });
  const registry = new ConversationRegistry({
    router: () => router,
    settings: {},
    idleTimeoutMs: 600_000,
    reaperIntervalMs: 30_000,
    logger: options.logger ?? pino({ level: 'silent' }),
    metrics,
    connections: new ConnectionLog(10),
    recordings: undefined,
    store: new ConversationStore({
      client: options.client ?? dynamo.client(),
      table: TABLE,
      ttlSeconds: 660,
      clock: systemClock,
    }),
    tracer: trace.getTracer('test'),
    turnLeaseMs: options.turnLeaseMs ?? 60_000,
    turnPollMs: 10,
    ...(options.closeTurnWaitMs !== undefined ? { closeTurnWaitMs: options.closeTurnWaitMs } : {}),
  });
  return { registry, metrics };
}

/** Log lines written at `info` and above. */
function capture(): { logger: pino.Logger; messages: () => unknown[] } {
  const lines: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
  );
  return { logger, messages: () => lines.map((l) => l['msg']) };
}

/**
 * A table client whose first claiming PutItem (one with `turnBy`) is stored but answered with a
 * timeout (the answer lost on the way back): the SDK's retry sends it again and fails its
 * version condition.
 */
function clientLosingFirstClaimAnswer(): DynamoDBClient {
  const client = dynamo.client();
  let lost = false;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Item?: Record<string, AttributeValue> };
      if (context.commandName !== 'PutItemCommand' || input.Item?.['turnBy'] === undefined)
        return next(args);
      const out = await next(args);
      if (!lost) {
        lost = true;
        throw Object.assign(new Error('the answer timed out'), { name: 'TimeoutError' });
      }
      return out;
    },
    // After the retry middleware: once per attempt, around the HTTP exchange.
    { step: 'finalizeRequest', priority: 'low', name: 'loseFirstClaimAnswer' },
  );
  return client;
}

function request(id: string, input: ByovaInput): ByovaRequest {
  return {
    conversationId: id,
    customerOrgId: 'org-1',
    virtualAgentId: PROBE_AGENT,
    allowPartialResponses: false,
    vendorSpecificConfig: '',
    input,
  };
}

const sessionStart: ByovaInput = { kind: 'event', type: 'SESSION_START', name: '', parameters: {} };
const digitOne: ByovaInput = { kind: 'dtmf', events: ['DTMF_DIGIT_ONE'], keys: ['1'] };

async function bind(registry: ConversationRegistry, id: string, input: ByovaInput) {
  const binding = await registry.bind(request(id, input));
  if (binding.kind !== 'conversation') throw new Error('no conversation');
  return binding.conversation;
}

/** One stream of `conversation` receiving `input`; its prompt texts and its closing. */
function stream(conversation: Conversation, input: ByovaInput) {
  const texts: string[] = [];
  const turnStream = conversation.turnSession.openStream({
    write: (response) => texts.push(...(response.prompts ?? []).map((p) => p.text ?? '')),
    complete: () => undefined,
  });
  const handled = conversation.turnSession.receive(turnStream, input);
  return { texts, handled, close: () => turnStream.close() };
}

/** One stream's turn, then the save after it (as the gRPC handler does). */
async function turn(
  registry: ConversationRegistry,
  conversation: Conversation,
  input: ByovaInput,
): Promise<string[]> {
  const s = stream(conversation, input);
  await s.handled;
  await registry.persist(conversation);
  return s.texts;
}

async function storedItem(id: string): Promise<Record<string, AttributeValue> | undefined> {
  return (await dynamo.items(TABLE)).find((item) => item['pk']?.S === `conversation#${id}`);
}

const loads = (metrics: GatewayMetrics): Promise<number> =>
  metrics.storeOperations.get({ operation: 'load', outcome: 'ok' });

describe('a turn claim stored with its answer lost', () => {
  it('runs the welcome at once when the claim creating the conversation lost its answer', async () => {
    const log = new ProbeLog();
    const { logger, messages } = capture();
    const a = instance('A', log, {
      client: clientLosingFirstClaimAnswer(),
      logger,
      turnLeaseMs: 300,
    });
    const conversation = await bind(a.registry, 'lost-create', sessionStart);
    expect(await turn(a.registry, conversation, sessionStart)).toEqual(['Welcome from A']);
    expect(log.starts).toEqual(['A:lost-create']);
    expect(messages()).not.toContain(TAKEN_OVER);
    expect(messages()).toContain('turn claim stored although its answer was lost');
    expect(a.registry.created).toBe(1);
    const item = await storedItem('lost-create');
    expect(item?.['turnBy']).toBeUndefined();
    expect(JSON.parse(item?.['state']?.S ?? '{}')).toMatchObject({ welcomed: true, turns: 1 });
  });

  it('runs a turn at once when its own claim was stored but the answer was lost', async () => {
    const log = new ProbeLog();
    const a = instance('A', log);
    const started = await bind(a.registry, 'lost-claim', sessionStart);
    await turn(a.registry, started, sessionStart);
    const { logger, messages } = capture();
    const b = instance('B', log, {
      client: clientLosingFirstClaimAnswer(),
      logger,
      turnLeaseMs: 300,
    });
    const conversation = await bind(b.registry, 'lost-claim', digitOne);
    expect(await turn(b.registry, conversation, digitOne)).toEqual(['heard welcome@A,1']);
    expect(messages()).not.toContain(TAKEN_OVER);
    expect(messages()).toContain('turn claim stored although its answer was lost');
    const item = await storedItem('lost-claim');
    expect(item?.['turnBy']).toBeUndefined();
    expect(JSON.parse(item?.['state']?.S ?? '{}')).toMatchObject({ turns: 2 });
  });
});

describe('the lease of a claim left by a crashed instance', () => {
  it('is counted from the first waiting stream, not restarted by each stream WxCC retries', async () => {
    const lease = 400;
    const log = new ProbeLog();
    // A creates the conversation for its SESSION_START (claimed) and dies before the welcome.
    await bind(instance('A', log).registry, 'retried-streams', sessionStart);
    const { logger, messages } = capture();
    const b = instance('B', log, { logger, turnLeaseMs: lease });
    const conversation = await bind(b.registry, 'retried-streams', sessionStart);
    let firstSeen = 0;
    // Three streams each wait for A's claim and are given up (cancelled by WxCC) before the lease.
    for (let i = 0; i < 3; i += 1) {
      const before = await loads(b.metrics);
      const waiting = stream(conversation, sessionStart);
      await until(async () => (await loads(b.metrics)) >= before + 2, 'the stream to wait');
      if (i === 0) firstSeen = performance.now();
      waiting.close();
      await waiting.handled;
      expect(waiting.texts).toEqual([]);
    }
    expect(messages()).not.toContain(TAKEN_OVER);
    // The fourth stream arrives once the claim has not moved for the lease since it was first seen.
    await until(() => performance.now() - firstSeen > lease + 20, 'the lease to pass');
    const before = await loads(b.metrics);
    const fourth = stream(conversation, sessionStart);
    await fourth.handled;
    expect(fourth.texts).toEqual(['Welcome from B']);
    expect(messages()).toContain(TAKEN_OVER);
    // It took over on its first read of the claim, without waiting a lease of its own.
    expect((await loads(b.metrics)) - before).toBe(1);
    // The connector session of the copy it replaced was ended (superseded), once.
    expect(log.ends).toEqual(['B:retried-streams']);
  });
});

describe('a hang-up during another instance’s turn', () => {
  it('ends the conversation at once, without waiting for the claim', async () => {
    const log = new ProbeLog();
    const a = instance('A', log);
    const started = await bind(a.registry, 'hang-up', sessionStart);
    const release = log.holdNextWelcome();
    const welcome = stream(started, sessionStart);
    try {
      await until(() => log.starts.length === 1, 'the welcome to begin on A');
      const { logger, messages } = capture();
      const b = instance('B', log, { logger, turnLeaseMs: 300 });
      const sessionEnd: ByovaInput = {
        kind: 'event',
        type: 'SESSION_END',
        name: '',
        parameters: {},
      };
      const conversation = await bind(b.registry, 'hang-up', sessionEnd);
      const hangUp = stream(conversation, sessionEnd);
      await hangUp.handled;
      expect(messages()).not.toContain(TAKEN_OVER);
      expect(log.ends).toContain('B:hang-up');
      expect(await storedItem('hang-up')).toBeUndefined();
    } finally {
      release();
      await welcome.handled;
    }
    // A's turn finishes on a conversation that is over: nothing is written back.
    await a.registry.persist(started);
    expect(await storedItem('hang-up')).toBeUndefined();
  });
});

describe('an instance stopping during a turn', () => {
  it('releases the claim of a turn still under way at close, writing the state it holds', async () => {
    const log = new ProbeLog();
    const a = instance('A', log, { closeTurnWaitMs: 50 });
    const conversation = await bind(a.registry, 'closing-busy', sessionStart);
    const release = log.holdNextWelcome();
    const welcome = stream(conversation, sessionStart);
    try {
      await until(() => log.starts.length === 1, 'the welcome to begin');
      expect((await storedItem('closing-busy'))?.['turnBy']?.S).toEqual(expect.any(String));
      await a.registry.close('shutdown');
      const item = await storedItem('closing-busy');
      expect(item?.['turnBy']).toBeUndefined();
      expect(Number(item?.['version']?.N)).toBe(2);
    } finally {
      release();
      await welcome.handled;
    }
  });

  it('gives up a turn still under way at close: aborted, discarded, run again elsewhere', async () => {
    const log = new ProbeLog();
    const a = instance('A', log, { closeTurnWaitMs: 50 });
    const conversation = await bind(a.registry, 'closing-abandoned', sessionStart);
    const release = log.holdNextWelcome();
    const welcome = stream(conversation, sessionStart);
    try {
      await until(() => log.starts.length === 1, 'the welcome to begin');
      await a.registry.close('shutdown');
      // The vendor call of the turn is aborted; the state from before the turn is released.
      expect(log.aborted).toEqual(['A:closing-abandoned']);
      const released = await storedItem('closing-abandoned');
      expect(released?.['turnBy']).toBeUndefined();
      expect(JSON.parse(released?.['state']?.S ?? '{}')).toMatchObject({
        welcomed: false,
        turns: 0,
      });
      // WxCC retries the SESSION_START on another instance: the welcome is run there.
      const b = instance('B', log);
      const continued = await bind(b.registry, 'closing-abandoned', sessionStart);
      expect(await turn(b.registry, continued, sessionStart)).toEqual(['Welcome from B']);
    } finally {
      release();
      await welcome.handled;
    }
    // A's turn, finishing after it was given up, writes nothing and changes nothing: A's state
    // stays the one from before the turn (what A would save), and the conversation goes on.
    expect(welcome.texts).toEqual([]);
    expect(conversation.turnSession.state).toMatchObject({ welcomed: false, turns: 0 });
    expect(conversation.turnSession.ended).toBe(false);
    const item = await storedItem('closing-abandoned');
    expect(JSON.parse(item?.['state']?.S ?? '{}')).toMatchObject({
      welcomed: true,
      turns: 1,
      connector: { heard: ['welcome@B'] },
    });
  });

  it('saves the result of a turn that finishes while the instance closes', async () => {
    const log = new ProbeLog();
    const a = instance('A', log, { closeTurnWaitMs: 10_000 });
    const conversation = await bind(a.registry, 'closing-finishing', sessionStart);
    const release = log.holdNextWelcome();
    const welcome = stream(conversation, sessionStart);
    await until(() => log.starts.length === 1, 'the welcome to begin');
    const closing = a.registry.close('shutdown');
    release();
    await closing;
    await welcome.handled;
    const item = await storedItem('closing-finishing');
    expect(item?.['turnBy']).toBeUndefined();
    expect(JSON.parse(item?.['state']?.S ?? '{}')).toMatchObject({ welcomed: true, turns: 1 });
  });
});
