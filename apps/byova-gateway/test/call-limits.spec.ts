// Long-lived calls a client opens are bounded: beyond gateway.max_health_watchers Watch calls or
// gateway.max_caller_streams ProcessCallerInput streams, the next one is refused with
// RESOURCE_EXHAUSTED and counted; closing one frees its slot. Real grpc-js clients, real sockets.

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
import {
  event,
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
    expect(await series(gw, 'byova_call_limit_refusals_total', 'method="Health/Watch"')).toBe(1);
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
    expect(await series(gw, 'byova_call_limit_refusals_total', 'method="Health/Watch"')).toBe(1);
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
    expect(await series(gw, 'byova_call_limit_refusals_total', 'method="ProcessCallerInput"')).toBe(
      1,
    );
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

describe('refusals at a limit', () => {
  it('are each counted but logged at most once a minute per method, with the number refused meanwhile', async () => {
    const logs = captureLogs();
    const logger = createLogger({ service: 'byova-gateway', destination: logs.destination });
    const metrics = new GatewayMetrics({
      connectorKeys: [],
      activeConversations: () => 0,
      activeStreams: () => 0,
    });
    let now = 1_000_000;
    const refusals = new CallLimitRefusals({ metrics, logger, now: () => now });
    for (let i = 0; i < 5; i += 1) refusals.refuse('Health/Watch', 2);
    refusals.refuse('ProcessCallerInput', 7);
    now += REFUSAL_LOG_INTERVAL_MS;
    const error = refusals.refuse('Health/Watch', 2);
    expect(error.code).toBe('BYOVA_GW_ERR_LIMIT_REACHED');
    expect(error.grpcStatus).toBe(status.RESOURCE_EXHAUSTED);
    const lines = logs.lines.filter((l) => l['code'] === 'BYOVA_GW_ERR_LIMIT_REACHED');
    expect(lines.map((l) => [l['method'], l['refused_since_last_log'], l.level])).toEqual([
      ['Health/Watch', 1, 'warn'],
      ['ProcessCallerInput', 1, 'warn'],
      ['Health/Watch', 5, 'warn'],
    ]);
    const text = await metrics.render();
    expect(text).toContain('byova_call_limit_refusals_total{method="Health/Watch"} 6');
    expect(text).toContain('byova_call_limit_refusals_total{method="ProcessCallerInput"} 1');
  });
});
