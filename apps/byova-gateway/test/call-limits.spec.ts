// What a client can make the gateway hold is bounded: beyond gateway.max_health_watchers Watch
// calls or gateway.max_caller_streams ProcessCallerInput streams, the next one is refused with
// RESOURCE_EXHAUSTED and counted, and closing one frees its slot; beyond gateway.max_conversations
// conversations (per instance), a stream that would start one more is refused the same way, and
// one that ends frees its slot. Real grpc-js clients, real sockets.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Metadata,
  credentials,
  status,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ServiceError,
} from '@grpc/grpc-js';
import {
  loadByovaGrpcObject,
  type HealthCheckResponse__Output,
  type VoiceVARequest,
  type VoiceVAResponse__Output,
  type VoiceVirtualAgentClient,
} from '@org/byova';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import { CallLimitRefusals, REFUSAL_LOG_INTERVAL_MS } from '../src/lib/call-limits';
import { GatewayMetrics } from '../src/lib/metrics';
import type { GatewayConfig } from '../src/config';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import {
  dtmf,
  event,
  eventTypes,
  metricValue,
  startGateway,
  testConfig,
  until,
  type RunningGateway,
} from './helpers/gateway';

/** The value of one labelled series in the gateway's Prometheus text (0 when absent). */
async function series(gw: RunningGateway, name: string, labels: string): Promise<number> {
  const text = await gw.gateway.metrics.render();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

/** The label sets of `byova_call_limit_refusals_total`, one per limit. */
const STREAMS = 'method="ProcessCallerInput",limit="caller_streams"';
const CONVERSATIONS = 'method="ProcessCallerInput",limit="conversations"';
const WATCHERS = 'method="Health/Watch",limit="health_watchers"';

interface OpenCall {
  /** Resolves with the first message, or rejects with the call's error. */
  readonly first: Promise<void>;
  /** Resolves with the status code the call ended with (OK after a normal end). */
  readonly ended: Promise<{ code: number; details: string }>;
  /** The refusal, or `accepted` as soon as the gateway answers the call. */
  readonly outcome: Promise<{ code: number; details: string } | 'accepted'>;
}

function track(
  call:
    | ClientReadableStream<HealthCheckResponse__Output>
    | ClientDuplexStream<VoiceVARequest, VoiceVAResponse__Output>,
): OpenCall {
  let got: () => void = () => undefined;
  const first = new Promise<void>((resolve, reject) => {
    got = resolve;
    call.on('error', reject);
  });
  const ended = new Promise<{ code: number; details: string }>((resolve) => {
    call.on('data', () => got());
    call.on('error', (error: ServiceError) =>
      resolve({ code: error.code, details: error.details }),
    );
    call.on('end', () => resolve({ code: status.OK, details: '' }));
  });
  // `first` may reject after the test looked at `ended` only.
  first.catch(() => undefined);
  const outcome = Promise.race([ended, first.then(() => 'accepted' as const)]);
  return { first, ended, outcome };
}

describe('health Watch calls are bounded by gateway.max_health_watchers', () => {
  let gw: RunningGateway;
  beforeAll(async () => {
    gw = await startGateway(testConfig({ gateway: { max_health_watchers: 2 } }));
  });
  afterAll(async () => {
    await gw.stop();
  });

  it('refuses the Watch call beyond the limit with RESOURCE_EXHAUSTED, counts it, and takes a new one once a watcher cancels', async () => {
    const open = [0, 1].map(() => gw.client.health.Watch({ service: '' }));
    const tracked = open.map(track);
    await Promise.all(tracked.map((t) => t.first));
    expect(await metricValue(gw.gateway, 'byova_health_watchers_active')).toBe(2);

    const extra = gw.client.health.Watch({ service: '' });
    expect(await track(extra).outcome).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details:
        'too many open health Watch calls: the limit is 2 (gateway.max_health_watchers); try again later',
    });
    extra.cancel();
    expect(await series(gw, 'byova_call_limit_refusals_total', WATCHERS)).toBe(1);
    expect(await metricValue(gw.gateway, 'byova_health_watchers_active')).toBe(2);

    open[0]?.cancel();
    expect((await tracked[0]?.ended)?.code).toBe(status.CANCELLED);
    await until(
      async () => (await metricValue(gw.gateway, 'byova_health_watchers_active')) === 1,
      'the cancelled watcher to be dropped',
    );
    const replacement = gw.client.health.Watch({ service: '' });
    const next = track(replacement);
    await next.first;
    expect(await metricValue(gw.gateway, 'byova_health_watchers_active')).toBe(2);
    replacement.cancel();
    open[1]?.cancel();
    await Promise.all([next.ended, tracked[1]?.ended]);
    expect(await series(gw, 'byova_call_limit_refusals_total', WATCHERS)).toBe(1);
  });
});

describe('ProcessCallerInput streams are bounded by gateway.max_caller_streams', () => {
  let gw: RunningGateway;
  const clients: VoiceVirtualAgentClient[] = [];
  beforeAll(async () => {
    gw = await startGateway(testConfig({ gateway: { max_caller_streams: 2 } }));
  });
  afterAll(async () => {
    for (const client of clients) client.close();
    await gw.stop();
  });

  /** A stream on a connection of its own that sends SESSION_START and stays open (no half-close). */
  function openStream(id: string): {
    call: ClientDuplexStream<VoiceVARequest, VoiceVAResponse__Output>;
    tracked: OpenCall;
  } {
    const { com } = loadByovaGrpcObject();
    // A local subchannel pool: this client does not share the connection of the others.
    const client = new com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent(
      gw.address,
      credentials.createInsecure(),
      { 'grpc.use_local_subchannel_pool': 1 },
    );
    clients.push(client);
    const call = client.ProcessCallerInput(new Metadata());
    const tracked = track(call);
    call.write(event(id, 'SESSION_START'));
    return { call, tracked };
  }

  it('refuses the stream beyond the limit with RESOURCE_EXHAUSTED, counting the streams of every connection, and takes a new one once a stream completes', async () => {
    const first = openStream('limit-1');
    const second = openStream('limit-2');
    await Promise.all([first.tracked.first, second.tracked.first]);
    expect(await metricValue(gw.gateway, 'byova_streams_active')).toBe(2);

    const extra = openStream('limit-3');
    expect(await extra.tracked.outcome).toEqual({
      code: status.RESOURCE_EXHAUSTED,
      details:
        'too many open ProcessCallerInput streams: the limit is 2 (gateway.max_caller_streams); try again later',
    });
    extra.call.cancel();
    expect(await series(gw, 'byova_call_limit_refusals_total', STREAMS)).toBe(1);
    expect(
      await series(gw, 'byova_rpcs_total', 'method="ProcessCallerInput",code="RESOURCE_EXHAUSTED"'),
    ).toBe(1);
    // The refused stream created no conversation.
    expect(gw.gateway.registry.get('limit-3')).toBeUndefined();

    first.call.end();
    expect((await first.tracked.ended).code).toBe(status.OK);
    await until(
      async () => (await metricValue(gw.gateway, 'byova_streams_active')) === 1,
      'the completed stream to be dropped',
    );
    const next = openStream('limit-4');
    await next.tracked.first;
    next.call.end();
    second.call.end();
    expect((await next.tracked.ended).code).toBe(status.OK);
    expect((await second.tracked.ended).code).toBe(status.OK);
  });
});

describe('conversations are bounded by gateway.max_conversations', () => {
  const TIMEOUT_MS = 600_000;
  const REFUSED =
    'too many active conversations on this instance: the limit is 2 (gateway.max_conversations); try again later';
  let gw: RunningGateway;
  let dir: string;
  const logs = captureLogs();
  // The registry's time, moved by the test so the idle reaper's choice does not depend on speed.
  const clock = { time: Date.now(), now: () => clock.time };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'byova-limit-rec-'));
    gw = await startGateway(
      testConfig({
        gateway: {
          max_conversations: 2,
          idle_timeout_seconds: TIMEOUT_MS / 1000,
          reaper_interval_seconds: 0.05,
        },
        // As many recordings as conversations: a slot kept by a refused one would show.
        audio_recording: { enabled: true, output_dir: dir, max_concurrent: 2 },
      }),
      {
        clock,
        logger: createLogger({ service: 'byova-gateway', destination: logs.destination }),
      },
    );
  });
  afterAll(async () => {
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A WxCC SESSION_START stream; its welcome's text, or the error it was refused with. */
  async function start(id: string): Promise<{ welcome?: string; code: number; details?: string }> {
    const { responses, error } = await gw.client.rpc([event(id, 'SESSION_START')]);
    if (error !== undefined) return { code: error.code, details: error.details };
    return { welcome: responses[0]?.prompts[0]?.text ?? '', code: status.OK };
  }

  /** Whether a recording of the conversation exists (the welcome is recorded at stream end). */
  const recorded = (id: string): boolean => readdirSync(dir).some((f) => f.startsWith(`${id}_`));

  it('refuses a stream that would start a conversation beyond the limit with RESOURCE_EXHAUSTED, creating nothing, and still serves the conversations it holds', async () => {
    expect(await start('conv-1')).toEqual({ welcome: expect.stringMatching(/^Hello/), code: 0 });
    expect(await start('conv-2')).toEqual({ welcome: expect.stringMatching(/^Hello/), code: 0 });
    expect(gw.gateway.registry.size).toBe(2);

    expect(await start('conv-3')).toEqual({ code: status.RESOURCE_EXHAUSTED, details: REFUSED });
    // Any first request of an unknown conversation would create it: refused too.
    const dtmfFirst = await gw.client.rpc([dtmf('conv-4', ['DTMF_DIGIT_ONE'])]);
    expect([dtmfFirst.error?.code, dtmfFirst.error?.details]).toEqual([
      status.RESOURCE_EXHAUSTED,
      REFUSED,
    ]);
    // Nothing of them exists: no conversation, connector session, recording or start event.
    expect(gw.gateway.registry.get('conv-3')).toBeUndefined();
    expect(gw.gateway.registry.get('conv-4')).toBeUndefined();
    expect(gw.gateway.registry.size).toBe(2);
    expect(gw.gateway.registry.created).toBe(2);
    expect(await metricValue(gw.gateway, 'byova_conversations_total')).toBe(2);
    expect(recorded('conv-3') || recorded('conv-4')).toBe(false);
    expect(await series(gw, 'byova_call_limit_refusals_total', CONVERSATIONS)).toBe(2);
    expect(await series(gw, 'byova_call_limit_refusals_total', STREAMS)).toBe(0);
    expect(
      await series(gw, 'byova_rpcs_total', 'method="ProcessCallerInput",code="RESOURCE_EXHAUSTED"'),
    ).toBe(2);

    // The conversations it holds go on, whatever the limit.
    const dtmfMode = await gw.client.rpc([event('conv-1', 'START_OF_DTMF')]);
    expect(dtmfMode.error).toBeUndefined();
    expect(dtmfMode.responses).toHaveLength(1);
    const noInput = await gw.client.rpc([event('conv-2', 'NO_INPUT')]);
    expect(noInput.error).toBeUndefined();
    expect(noInput.responses).toHaveLength(1);
    expect(gw.gateway.registry.get('conv-1')?.dtmfMode).toBe(true);
    // A hang-up for a conversation nobody holds creates nothing, so it is answered.
    const hangUp = await gw.client.rpc([event('conv-gone', 'SESSION_END')]);
    expect(hangUp.error).toBeUndefined();
    expect(eventTypes(hangUp.responses)).toEqual(['SESSION_END']);
    expect(gw.gateway.registry.size).toBe(2);

    // One warn line for both refusals (throttled), no per-stream line.
    const lines = logs.lines.filter((l) => l['code'] === 'BYOVA_GW_ERR_LIMIT_REACHED');
    expect(lines.map((l) => [l.level, l['setting'], l['limit'], l.msg])).toEqual([
      ['warn', 'gateway.max_conversations', 2, REFUSED],
    ]);
    expect(logs.find('stream rejected')).toEqual([]);
    expect(await gw.gateway.metrics.recordingFailures.get({ reason: 'limit' })).toBe(0);
  });

  it('takes a new conversation once one ends, hung up or ended by the idle reaper', async () => {
    const hangUp = await gw.client.rpc([event('conv-1', 'SESSION_END')]);
    expect(eventTypes(hangUp.responses)).toEqual(['SESSION_END']);
    expect(gw.gateway.registry.get('conv-1')).toBeUndefined();
    clock.time += TIMEOUT_MS / 2;
    expect(await start('conv-3')).toEqual({ welcome: expect.stringMatching(/^Hello/), code: 0 });
    expect(await start('conv-5')).toEqual({ code: status.RESOURCE_EXHAUSTED, details: REFUSED });

    // conv-2 has been idle for the whole timeout, conv-3 for half of it.
    clock.time = (gw.gateway.registry.get('conv-2')?.lastActivity ?? 0) + TIMEOUT_MS;
    await until(
      () => gw.gateway.registry.get('conv-2') === undefined,
      'the reaper to end the idle conversation',
    );
    expect(gw.gateway.registry.get('conv-3')).toBeDefined();
    expect(await gw.gateway.metrics.conversationEnds.get({ reason: 'idle_timeout' })).toBe(1);
    expect(await start('conv-5')).toEqual({ welcome: expect.stringMatching(/^Hello/), code: 0 });

    expect(gw.gateway.registry.size).toBe(2);
    expect(await series(gw, 'byova_call_limit_refusals_total', CONVERSATIONS)).toBe(3);
    // Every accepted conversation got a recording slot, and its welcome was recorded.
    expect(await gw.gateway.metrics.recordingFailures.get({ reason: 'limit' })).toBe(0);
    expect(['conv-1', 'conv-2', 'conv-3', 'conv-5'].filter(recorded)).toHaveLength(4);
  });
});

describe('gateway.max_conversations with a conversation table shared by two instances', () => {
  const TABLE = 'byova-conversations';
  let dynamo: LocalDynamo;
  let a: RunningGateway;
  let b: RunningGateway;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    await dynamo.createTable(TABLE);
    const config = (): GatewayConfig => ({
      ...testConfig({ gateway: { max_conversations: 2 } }),
      conversationTable: { table: TABLE, endpoint: dynamo.endpoint, region: 'us-east-1' },
    });
    a = await startGateway(config(), { dynamoClient: dynamo.client() });
    b = await startGateway(config(), { dynamoClient: dynamo.client() });
  });
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await dynamo.close();
  });

  const stored = async (id: string): Promise<boolean> =>
    (await dynamo.items(TABLE)).some((item) => item['pk']?.S === `conversation#${id}`);

  it('bounds each instance: a full one continues a conversation started on another, and refuses new ones without writing them', async () => {
    expect((await a.client.rpc([event('shared-a', 'SESSION_START')])).error).toBeUndefined();
    expect((await b.client.rpc([event('shared-b1', 'SESSION_START')])).error).toBeUndefined();
    expect((await b.client.rpc([event('shared-b2', 'SESSION_START')])).error).toBeUndefined();
    expect(b.gateway.registry.size).toBe(2);

    // B is full, yet the next stream of A's conversation (from the table) is served.
    const next = await b.client.rpc([event('shared-a', 'START_OF_DTMF')]);
    expect(next.error).toBeUndefined();
    expect(next.responses).toHaveLength(1);
    expect(b.gateway.registry.size).toBe(3);

    const refused = await b.client.rpc([event('shared-c', 'SESSION_START')]);
    expect(refused.error?.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(refused.error?.details).toMatch(/\(gateway\.max_conversations\)/);
    expect(await stored('shared-c')).toBe(false);
    expect(b.gateway.registry.get('shared-c')).toBeUndefined();
    expect(await series(b, 'byova_call_limit_refusals_total', CONVERSATIONS)).toBe(1);
    // The bound is per instance: A, holding one, starts it.
    expect((await a.client.rpc([event('shared-c', 'SESSION_START')])).error).toBeUndefined();
    expect(await series(a, 'byova_call_limit_refusals_total', CONVERSATIONS)).toBe(0);

    // Two of B's end: B takes a new one.
    for (const id of ['shared-a', 'shared-b1']) {
      const { responses } = await b.client.rpc([event(id, 'SESSION_END')]);
      expect(eventTypes(responses)).toEqual(['SESSION_END']);
    }
    expect(b.gateway.registry.size).toBe(1);
    expect((await b.client.rpc([event('shared-d', 'SESSION_START')])).error).toBeUndefined();
    expect(await stored('shared-d')).toBe(true);
  });

  it('counts only the conversations an instance started, not its copies of the others', async () => {
    // B holds shared-b2 and shared-d, both its own: one ends, and B continues A's shared-c.
    expect(eventTypes((await b.client.rpc([event('shared-b2', 'SESSION_END')])).responses)).toEqual(
      ['SESSION_END'],
    );
    expect((await b.client.rpc([event('shared-c', 'START_OF_DTMF')])).error).toBeUndefined();
    expect(b.gateway.registry.size).toBe(2);
    // Two held, one of them its own: a new one is taken, the one after it is not.
    expect((await b.client.rpc([event('own-e', 'SESSION_START')])).error).toBeUndefined();
    expect(b.gateway.registry.size).toBe(3);
    const refused = await b.client.rpc([event('own-f', 'SESSION_START')]);
    expect(refused.error?.code).toBe(status.RESOURCE_EXHAUSTED);
  });
});

describe('refusals at a limit', () => {
  it('are each counted but logged at most once a minute per limit, with the number refused meanwhile', async () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'byova-gateway', destination: logs.destination });
    const metrics = new GatewayMetrics({
      connectorKeys: [],
      activeConversations: () => 0,
      activeStreams: () => 0,
    });
    let now = 1_000_000;
    const refusals = new CallLimitRefusals({ metrics, logger, now: () => now });
    for (let i = 0; i < 5; i += 1) refusals.refuse('health_watchers', 2);
    refusals.refuse('caller_streams', 7);
    // Another limit of the same method has a log line of its own.
    refusals.refuse('conversations', 3);
    refusals.refuse('conversations', 3);
    now += REFUSAL_LOG_INTERVAL_MS;
    const error = refusals.refuse('health_watchers', 2);
    expect(error.code).toBe('BYOVA_GW_ERR_LIMIT_REACHED');
    expect(error.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    const lines = logs.lines.filter((l) => l['code'] === 'BYOVA_GW_ERR_LIMIT_REACHED');
    expect(
      lines.map((l) => [l['method'], l['setting'], l['refused_since_last_log'], l.level]),
    ).toEqual([
      ['Health/Watch', 'gateway.max_health_watchers', 1, 'warn'],
      ['ProcessCallerInput', 'gateway.max_caller_streams', 1, 'warn'],
      ['ProcessCallerInput', 'gateway.max_conversations', 1, 'warn'],
      ['Health/Watch', 'gateway.max_health_watchers', 5, 'warn'],
    ]);
    expect(lines[2]?.msg).toBe(
      'too many active conversations on this instance: the limit is 3 (gateway.max_conversations); try again later',
    );
    const text = await metrics.render();
    expect(text).toContain(`byova_call_limit_refusals_total{${WATCHERS}} 6`);
    expect(text).toContain(`byova_call_limit_refusals_total{${STREAMS}} 1`);
    expect(text).toContain(`byova_call_limit_refusals_total{${CONVERSATIONS}} 2`);
  });
});
