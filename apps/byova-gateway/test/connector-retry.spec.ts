// A connector whose init() fails at start (a transient ListBots error) is retried in the
// background with capped exponential backoff and offered once it starts; until then health is
// NOT_SERVING (gRPC health, the ping, /health), and a shutdown cancels the retry.

import { status, type ServiceError } from '@grpc/grpc-js';
import type {
  Connector,
  ConnectorSession,
  HealthCheckResponse__Output,
  ListVAResponse__Output,
  SessionContext,
  TurnReply,
} from '@org/byova';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import pino from 'pino';
import {
  ConnectorSupervisor,
  connectorRetryPolicy,
  describeStartFailure,
  retryDelayMs,
} from '../src/lib/connector-supervisor';
import { LocalAudioConnector } from '../src/lib/connectors/local-audio';
import { type GatewayConfig } from '../src/config';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import { FakeLex } from './helpers/fake-lex';
import {
  APP_DIR,
  dtmf,
  event,
  startGateway,
  testConfig,
  until,
  type WxccClient,
} from './helpers/gateway';

const LEX_AGENT = 'aws_lex_connector: BookingBot';
const SECRET = 'yaml-secret-value-123';
const TABLE = 'retry-conversations';
/** Short delays so the retries happen within the test. */
const FAST_RETRY = { initial_delay_ms: 100, max_delay_ms: 400, multiplier: 2 };

let lex: FakeLex;
let endpoints: { models: string; runtime: string };
let dynamo: LocalDynamo;

beforeAll(async () => {
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDLOCALTEST';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'local-test-secret';
  lex = new FakeLex();
  lex.bots = [
    {
      botId: 'BOT1',
      botName: 'BookingBot',
      aliases: [{ botAliasId: 'LIVE', lastUpdatedDateTime: 1000 }],
    },
  ];
  endpoints = await lex.listen();
  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
});

afterAll(async () => {
  await lex.close();
  await dynamo.close();
  delete process.env['AWS_ACCESS_KEY_ID'];
  delete process.env['AWS_SECRET_ACCESS_KEY'];
});

beforeEach(() => {
  lex.listCalls.length = 0;
  lex.listBotsFailures = 0;
});

function lexGatewayConfig(): GatewayConfig {
  return testConfig({
    gateway: { connector_retry: FAST_RETRY },
    connectors: {
      local_audio_connector: {
        type: 'local_audio_connector',
        config: { audio_base_path: 'assets/prompts' },
      },
      lex: {
        type: 'aws_lex_connector',
        config: {
          region_name: 'us-east-1',
          endpoint: endpoints.runtime,
          models_endpoint: endpoints.models,
          max_retries: 0,
          timeout: 5,
          // Only to show that a failed start never logs the connector's secrets.
          aws_access_key_id: 'AKIDFROMYAML',
          aws_secret_access_key: SECRET,
        },
      },
    },
  });
}

function check(client: WxccClient): Promise<string> {
  return new Promise((resolve, reject) =>
    client.health.Check({ service: '' }, (error: ServiceError | null, out) =>
      error !== null ? reject(error) : resolve(String((out as HealthCheckResponse__Output).status)),
    ),
  );
}

function listAgents(client: WxccClient): Promise<string[]> {
  return new Promise((resolve, reject) =>
    client.va.ListVirtualAgents({ customer_org_id: 'org-1' }, (error, out) =>
      error !== null
        ? reject(error)
        : resolve((out as ListVAResponse__Output).virtual_agents.map((a) => a.virtual_agent_id)),
    ),
  );
}

const withLex = <T extends object>(request: T): T => ({ ...request, virtual_agent_id: LEX_AGENT });

/** A local audio connector (agent `Local Audio: Flaky`) whose init() fails `failures` times first. */
class FlakyConnector implements Connector {
  readonly key = 'flaky';
  readonly kind = 'flaky';
  readonly replyMode = 'wav';
  readonly #inner = new LocalAudioConnector({
    key: 'flaky',
    config: { audio_base_path: 'assets/prompts', agent_id: 'Flaky' },
    baseDir: APP_DIR,
    logger: pino({ level: 'silent' }),
  });
  #left: number;
  attempts = 0;

  constructor(failures: number) {
    this.#left = failures;
  }

  /** The next init() succeeds. */
  release(): void {
    this.#left = 0;
  }

  get input(): Connector['input'] {
    return this.#inner.input;
  }

  async init(): Promise<void> {
    this.attempts += 1;
    if (this.#left > 0) {
      this.#left -= 1;
      throw new Error('vendor unreachable');
    }
    await this.#inner.init();
  }

  agents(): ReturnType<Connector['agents']> {
    return this.#inner.agents();
  }

  openSession(context: SessionContext): ConnectorSession {
    return this.#inner.openSession(context);
  }

  errorReply(): TurnReply {
    return this.#inner.errorReply();
  }

  close(): Promise<void> {
    return this.#inner.close();
  }
}

const flakyConnector = (failures: number): FlakyConnector => new FlakyConnector(failures);

describe('a connector that fails to start', () => {
  it('is retried until it starts: health NOT_SERVING, then SERVING with its agent listed and callable', async () => {
    // ListBots fails until the test has seen the not-started state and a few retries.
    lex.listBotsFailures = Number.MAX_SAFE_INTEGER;
    const logs = captureLogs();
    const logger = createLogger({ service: 'byova-gateway', destination: logs.destination });
    const gw = await startGateway(lexGatewayConfig(), { logger });
    try {
      // Not started yet: the whole gateway says it is not serving, on gRPC and on HTTP.
      expect(await check(gw.client)).toBe('NOT_SERVING');
      expect(await listAgents(gw.client)).toEqual(['Local Audio: Local Playback']);
      const ping = await fetch(`${gw.httpUrl}/voiceva/v1/ping`);
      expect(ping.status).toBe(503);
      expect(await (await fetch(`${gw.httpUrl}/health`)).json()).toMatchObject({
        grpc_status: 'NOT_SERVING',
        pending_connectors: ['lex'],
      });
      const early = await gw.client.rpc([withLex(event('retry-early', 'SESSION_START'))]);
      expect(early.error?.code).toBe(status.NOT_FOUND);
      const listBots = (): number => lex.listCalls.filter((c) => c === 'ListBots').length;
      await until(() => listBots() >= 3, 'two retries', 10_000);
      lex.listBotsFailures = 0;

      await until(async () => (await check(gw.client)) === 'SERVING', 'health SERVING', 10_000);
      expect(await listAgents(gw.client)).toEqual(['Local Audio: Local Playback', LEX_AGENT]);
      expect((await fetch(`${gw.httpUrl}/voiceva/v1/ping`)).status).toBe(200);
      expect(await (await fetch(`${gw.httpUrl}/health`)).json()).toMatchObject({
        grpc_status: 'SERVING',
        pending_connectors: [],
      });
      const call = await gw.client.rpc([withLex(event('retry-late', 'SESSION_START'))]);
      expect(call.error).toBeUndefined();
      expect(call.responses[0]?.prompts[0]?.text).toBe('How can I help?');
      const failed = listBots() - 1;
      expect(failed).toBeGreaterThanOrEqual(3);

      // One error line per failed attempt, naming the connector, never its secret; the delay
      // doubles from 100 ms up to the 400 ms cap.
      const failures = logs.find(
        'connector failed to start; retrying in the background (its agents are not offered and health reports NOT_SERVING until it starts)',
      );
      expect(failures.map((l) => [l['connector'], l['attempt'], l['retry_in_ms']])).toEqual(
        Array.from({ length: failed }, (_, i) => ['lex', i + 1, Math.min(400, 100 * 2 ** i)]),
      );
      expect(logs.find('connector started after retrying; its agents are offered')).toHaveLength(1);
      expect(logs.text()).not.toContain(SECRET);
      const metrics = await gw.gateway.metrics.render();
      expect(metrics).toContain(`byova_connector_start_failures_total{connector="lex"} ${failed}`);
      expect(metrics).toMatch(/^byova_connectors_pending 0$/m);
    } finally {
      await gw.stop();
    }
  });

  it('tells health watchers NOT_SERVING, then SERVING once the connector starts', async () => {
    const flaky = flakyConnector(Number.MAX_SAFE_INTEGER);
    const local = new LocalAudioConnector({
      key: 'local_audio_connector',
      config: { audio_base_path: 'assets/prompts' },
      baseDir: APP_DIR,
      logger: pino({ level: 'silent' }),
    });
    const gw = await startGateway(testConfig({ gateway: { connector_retry: FAST_RETRY } }), {
      connectors: [local, flaky],
    });
    const seen: string[] = [];
    const watch = gw.client.health.Watch({ service: '' });
    watch.on('data', (r: HealthCheckResponse__Output) => seen.push(String(r.status)));
    watch.on('error', () => undefined);
    try {
      await until(() => seen.length > 0 && flaky.attempts >= 2, 'a watcher and a retry', 10_000);
      flaky.release();
      await until(() => seen.includes('SERVING'), 'the watcher to see SERVING', 10_000);
      expect(seen).toEqual(['NOT_SERVING', 'SERVING']);
      expect(gw.gateway.router.agents().map((a) => a.id)).toEqual([
        'Local Audio: Local Playback',
        'Local Audio: Flaky',
      ]);
    } finally {
      watch.cancel();
      await gw.stop();
    }
  });

  it('lets a task whose connector failed serve the shared table’s calls once the connector starts', async () => {
    const shared = (): GatewayConfig => ({
      ...lexGatewayConfig(),
      conversationTable: { table: TABLE, endpoint: dynamo.endpoint, region: 'us-east-1' },
    });
    const healthy = await startGateway(shared(), { dynamoClient: dynamo.client() });
    // ListBots keeps failing for the second task until the test lets it through.
    lex.listBotsFailures = Number.MAX_SAFE_INTEGER;
    const recovering = await startGateway(shared(), { dynamoClient: dynamo.client() });
    try {
      const started = await healthy.client.rpc([withLex(event('shared-1', 'SESSION_START'))]);
      expect(started.error).toBeUndefined();
      // Before its retry, the recovering task cannot continue the conversation.
      const before = await recovering.client.rpc([withLex(dtmf('shared-1', ['DTMF_DIGIT_ONE']))]);
      expect(before.error?.code).toBe(status.FAILED_PRECONDITION);
      expect(await check(recovering.client)).toBe('NOT_SERVING');
      lex.listBotsFailures = 0;
      await until(
        async () => (await check(recovering.client)) === 'SERVING',
        'the recovering task to serve',
        10_000,
      );
      const after = await recovering.client.rpc([withLex(dtmf('shared-1', ['DTMF_DIGIT_TWO']))]);
      expect(after.error).toBeUndefined();
      expect(await listAgents(recovering.client)).toEqual(await listAgents(healthy.client));
    } finally {
      await Promise.all([healthy.stop(), recovering.stop()]);
    }
  });

  it('stops retrying when the gateway stops (no retry timer is left)', async () => {
    const never = flakyConnector(Number.MAX_SAFE_INTEGER);
    const gw = await startGateway(
      testConfig({ gateway: { connector_retry: { initial_delay_ms: 20, max_delay_ms: 40 } } }),
      { connectors: [never] },
    );
    await until(() => never.attempts >= 3, 'a few retries');
    expect(await check(gw.client)).toBe('NOT_SERVING');
    await gw.stop();
    const attempts = never.attempts;
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(never.attempts).toBe(attempts);
  });
});

describe('the retry policy', () => {
  it('doubles the delay after each failure up to the cap, 1 s to 60 s by default', () => {
    const policy = connectorRetryPolicy({});
    expect(policy).toEqual({ initialDelayMs: 1000, maxDelayMs: 60_000, multiplier: 2 });
    expect([1, 2, 3, 4, 5, 6, 7, 8, 50].map((n) => retryDelayMs(policy, n))).toEqual([
      1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000,
    ]);
  });

  it('refuses an invalid gateway.connector_retry block, naming every bad key', async () => {
    expect(() =>
      connectorRetryPolicy({
        connector_retry: { initial_delay_ms: 5000, max_delay_ms: 1000, jitter: 1 },
      }),
    ).toThrow(/gateway\.connector_retry: Unrecognized key: "jitter"/);
    expect(() =>
      connectorRetryPolicy({ connector_retry: { initial_delay_ms: 5000, max_delay_ms: 1000 } }),
    ).toThrow(/max_delay_ms must be at least initial_delay_ms/);
    await expect(
      startGateway(testConfig({ gateway: { connector_retry: { multiplier: 0 } } })),
    ).rejects.toMatchObject({ code: 'BYOVA_GW_ERR_CONFIG' });
  });

  it('clears its timers on stop and ignores an attempt that settles afterwards', async () => {
    let release: () => void = () => undefined;
    let calls = 0;
    /** Fails once; its retry waits for `release`, then succeeds. */
    class SlowRetry extends FlakyConnector {
      override async init(): Promise<void> {
        calls += 1;
        if (calls === 2) await new Promise<void>((resolve) => (release = resolve));
        await super.init();
      }
    }
    const slow = new SlowRetry(1);
    const started: string[] = [];
    const supervisor = new ConnectorSupervisor({
      connectors: [slow],
      policy: { initialDelayMs: 10, maxDelayMs: 10, multiplier: 1 },
      logger: pino({ level: 'silent' }),
      onStarted: (c) => started.push(c.key),
    });
    await supervisor.start();
    expect(supervisor.scheduledRetries).toBe(1);
    await until(() => calls === 2, 'the retry to begin');
    supervisor.stop();
    release();
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(supervisor.scheduledRetries).toBe(0);
    expect(started).toEqual([]);
    expect(supervisor.pending()).toEqual(['flaky']);
  });

  it('logs a start failure without the user information of URLs and within a bounded length', () => {
    const described = describeStartFailure(
      new Error(`connect https://admin:hunter2@vendor.example/api failed ${'x'.repeat(1000)}`),
    );
    expect(described.message).toContain('https://[redacted]@vendor.example/api');
    expect(described.message).not.toContain('hunter2');
    expect(described.message.length).toBeLessThanOrEqual(301);
  });
});
