import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { MAX_RETRY_AFTER_MS, retryAfterMs, sleep } from '../src/lib/backoff';
import { Backfiller } from '../src/lib/backfill';
import { GenesysApi } from '../src/lib/genesys/api-client';
import { MAX_RESPONSE_BYTES } from '../src/lib/genesys/bounded-body';
import { TokenProvider } from '../src/lib/genesys/token-provider';
import { JsonlWriter } from '../src/lib/jsonl-writer';
import { Metrics } from '../src/lib/metrics';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { parseFrame, MAX_FRAME_TEXT } from '../src/lib/genesys/frames';
import { delay, startCollector, topicOf, waitFor } from './helpers';

/**
 * The REST side of a broken or hostile Genesys: answers that page forever, bodies far larger
 * than any real answer, 429s asking for days, channels that claim to be expired already. None
 * may hang the collector, hold the checkpoint forever or grow memory without bound.
 */

const silent = pino({ level: 'silent' });
const QUERY = '/api/v2/usage/events/query';

let genesys: FakeGenesys;
let oversizedAnswerServer: Server | undefined;

beforeEach(async () => {
  genesys = await new FakeGenesys().start();
});

afterEach(async () => {
  await genesys.stop();
  if (oversizedAnswerServer) {
    oversizedAnswerServer.closeAllConnections();
    await new Promise<void>((resolve) => oversizedAnswerServer?.close(() => resolve()));
    oversizedAnswerServer = undefined;
  }
});

function tokenProvider(): TokenProvider {
  return new TokenProvider({
    loginBaseUrl: genesys.baseUrl,
    clientId: genesys.o.clientId,
    clientSecret: genesys.o.clientSecret,
    refreshMarginMs: 1000,
    timeoutMs: 10_000,
    failureBackoffMs: 10,
    logger: silent,
  });
}

function api(apiBaseUrl = genesys.baseUrl): GenesysApi {
  return new GenesysApi({ apiBaseUrl, tokens: tokenProvider(), timeoutMs: 10_000, logger: silent });
}

function backfiller(
  metrics: Metrics,
  extra: {
    onEvent?: () => boolean;
    whenWritable?: () => Promise<void>;
    maxPagesPerGap?: number;
    logger?: pino.Logger;
  } = {},
): Backfiller {
  return new Backfiller({
    api: api(),
    logger: extra.logger ?? silent,
    metrics,
    marginMs: 1000,
    maxAgeMs: 86_400_000,
    definitionIds: () => ['AUDIOHOOK-0001'],
    definitions: () => new Map(),
    onEvent: extra.onEvent ?? (() => true),
    ...(extra.whenWritable ? { whenWritable: extra.whenWritable } : {}),
    retryInitialMs: 10,
    retryMaxMs: 50,
    ...(extra.maxPagesPerGap ? { maxPagesPerGap: extra.maxPagesPerGap } : {}),
  });
}

/** A history page of one event whose nextUri points at the page `after`. */
function pageTo(after: string): { status: number; body: unknown } {
  return {
    status: 200,
    body: {
      entities: [
        {
          eventDefinition: { id: 'AUDIOHOOK-0001' },
          entityId: `e-${after}`,
          dateCreated: new Date().toISOString(),
        },
      ],
      nextUri: `${QUERY}?pageSize=200&after=${after}`,
    },
  };
}

describe('history query (backfill) against a hostile Genesys', () => {
  it('ends a gap whose nextUri keeps leading back to the same page instead of paging forever', async () => {
    const looping = {
      status: 200,
      body: {
        entities: [
          {
            eventDefinition: { id: 'AUDIOHOOK-0001' },
            entityId: 'e1',
            dateCreated: new Date().toISOString(),
          },
        ],
        nextUri: `${QUERY}?pageSize=200&after=same-page`,
      },
    };
    genesys.failNext('query', looping, 50);
    const metrics = new Metrics({ defaultMetrics: false });
    let accepted = 0;
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
    const b = backfiller(metrics, { onEvent: () => (accepted += 1) === 1, logger });
    b.fill({ start: Date.now() - 60_000, end: Date.now() });
    await b.idle();
    // The first page, and the one its cursor pointed to; the repeat of that cursor ends it.
    expect(genesys.requestsTo(QUERY, 'POST')).toHaveLength(2);
    expect(accepted).toBe(2);
    expect(b.status()).toMatchObject({ pendingGaps: 0, enabled: true });
    expect(b.pendingStart()).toBeUndefined();
    expect(metrics.get('backfill_failures')).toBe(1);
    // A retry would loop again: the gap is given up, and the log says what that costs.
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('past that page are lost and the checkpoint moves past it');
    await b.stop();
  });

  it('keeps a gap still paging after the page limit pending, so the checkpoint waits for it', async () => {
    for (let i = 1; i <= 20; i += 1) genesys.failNext('query', pageTo(`page-${i}`));
    const metrics = new Metrics({ defaultMetrics: false });
    const logged: string[] = [];
    const logger = pino({ level: 'error' }, { write: (line: string) => logged.push(line) });
    const b = backfiller(metrics, { maxPagesPerGap: 5, logger });
    const start = Date.now() - 60_000;
    b.fill({ start, end: Date.now() });
    await b.idle();
    expect(genesys.requestsTo(QUERY, 'POST')).toHaveLength(5);
    expect(b.pendingStart()).toBe(start);
    expect(b.status()).toMatchObject({ pendingGaps: 1, unfinishedGaps: 1, lastGap: undefined });
    expect(metrics.get('backfill_failures')).toBe(1);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toContain('this gap stays pending');
    // A later gap is still recovered; the unfinished one keeps holding the checkpoint.
    b.fill({ start: Date.now() - 1000, end: Date.now() });
    await b.idle();
    expect(b.pendingStart()).toBe(start);
    await b.stop();
    expect(b.pendingStart()).toBe(start);
  });

  it('reads the next page only once the output has room, so a gap of days never piles up in memory', async () => {
    const now = Date.now();
    for (let i = 0; i < 450; i += 1) {
      genesys.publish(topicOf(), audioHookBody(i, { timestamp: now - 30_000 + i }));
    }
    const metrics = new Metrics({ defaultMetrics: false });
    let release: () => void = () => undefined;
    let asked = 0;
    const b = backfiller(metrics, {
      whenWritable: () => {
        asked += 1;
        return asked === 1
          ? new Promise<void>((resolve) => (release = resolve))
          : Promise.resolve();
      },
    });
    b.fill({ start: now - 60_000, end: now });
    await waitFor('the first page handed over', () => asked === 1);
    expect(genesys.requestsTo(QUERY, 'POST')).toHaveLength(1);
    release();
    await b.idle();
    expect(genesys.requestsTo(QUERY, 'POST')).toHaveLength(3); // 200 + 200 + 50
    expect(metrics.get('events_backfilled')).toBe(450);
    await b.stop();
  });

  it('stops while waiting for an output that never drains (the gap stays pending)', async () => {
    const now = Date.now();
    for (let i = 0; i < 250; i += 1) {
      genesys.publish(topicOf(), audioHookBody(i, { timestamp: now - 30_000 + i }));
    }
    const metrics = new Metrics({ defaultMetrics: false });
    let asked = 0;
    const b = backfiller(metrics, {
      whenWritable: () => {
        asked += 1;
        return new Promise<void>(() => undefined);
      },
    });
    b.fill({ start: now - 60_000, end: now });
    await waitFor('the first page handed over', () => asked === 1);
    await b.stop();
    expect(b.pendingStart()).toBe(now - 60_000);
    expect(genesys.requestsTo(QUERY, 'POST')).toHaveLength(1);
  });
});

describe('REST answers far larger than any real one', () => {
  it('refuses a history page past MAX_RESPONSE_BYTES without reading the rest of it', async () => {
    const piece = `{"eventDefinition":{"id":"AUDIOHOOK-0001"},"entityName":"${'x'.repeat(64 * 1024)}","dateCreated":"2025-01-01T00:00:00Z"}`;
    const pieces = Math.ceil((3 * MAX_RESPONSE_BYTES) / piece.length);
    let sent = 0;
    oversizedAnswerServer = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'application/json' });
      let i = 0;
      const more = (): void => {
        while (i < pieces) {
          const chunk = `${i === 0 ? '{"entities":[' : ','}${piece}`;
          i += 1;
          sent += chunk.length;
          if (!res.write(chunk)) {
            res.once('drain', more);
            return;
          }
        }
        res.end(']}');
      };
      res.on('close', () => (i = pieces + 1));
      more();
    });
    await new Promise<void>((resolve) => oversizedAnswerServer?.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(oversizedAnswerServer.address() as AddressInfo).port}`;

    await expect(
      api(base).queryEvents(
        { start: Date.now() - 60_000, end: Date.now() },
        ['AUDIOHOOK-0001'],
        undefined,
      ),
    ).rejects.toMatchObject({
      code: 'COLLECTOR_ERR_API',
      message: expect.stringContaining(`more than ${MAX_RESPONSE_BYTES} bytes`),
    });
    expect(sent).toBeLessThan(3 * MAX_RESPONSE_BYTES);
  });
});

describe('429 and channel expiry values from a broken Genesys', () => {
  it('honours Retry-After only up to MAX_RETRY_AFTER_MS, in every form', () => {
    const now = Date.parse('2025-01-15T10:00:00Z');
    const h = (v: Record<string, string>): Headers => new Headers(v);
    expect(retryAfterMs(h({ 'retry-after': '86400' }), now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs(h({ 'retry-after': '1e12' }), now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs(h({ 'retry-after': 'Sat, 18 Jan 2025 10:00:00 GMT' }), now)).toBe(
      MAX_RETRY_AFTER_MS,
    );
    expect(retryAfterMs(h({ 'inin-ratelimit-reset': '999999' }), now)).toBe(MAX_RETRY_AFTER_MS);
    expect(retryAfterMs(h({ 'retry-after': '2.5' }), now)).toBe(2500);
    expect(retryAfterMs(h({ 'retry-after': '-3' }), now)).toBeUndefined();
    // An empty header is not "retry at once": the caller's own backoff applies.
    expect(retryAfterMs(h({ 'retry-after': '' }), now)).toBeUndefined();
  });

  it('never arms a timer past 2^31-1 ms, which Node would fire at once', async () => {
    const spy = jest.spyOn(global, 'setTimeout');
    const abort = new AbortController();
    try {
      const waiting = sleep(40 * 86_400_000, abort.signal);
      const delays = spy.mock.calls.map((c) => Number(c[1]));
      expect(Math.max(...delays)).toBeLessThanOrEqual(2_147_483_647);
      abort.abort();
      await waiting;
    } finally {
      spy.mockRestore();
    }
  });

  it('assumes 24 h for an expires in the past or less than 5 minutes ahead, with a warning', async () => {
    const logged: string[] = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => logged.push(line) });
    const client = new GenesysApi({
      apiBaseUrl: genesys.baseUrl,
      tokens: tokenProvider(),
      timeoutMs: 10_000,
      logger,
    });
    for (const expires of [
      '2000-01-01T00:00:00.000Z',
      new Date(Date.now() + 4 * 60_000).toISOString(),
      'not a date',
    ]) {
      genesys.reportedExpires = expires;
      const ch = await client.createChannel();
      expect(ch.expiresAt).toBe(ch.createdAt + 24 * 3_600_000);
    }
    expect(logged).toHaveLength(3);
    expect(logged[0]).toContain('less than 5 minutes ahead; assuming 24 h');

    // Five minutes ahead or more is believed as it is; beyond 7 days it counts as 7 days.
    const inTenMinutes = Date.now() + 10 * 60_000;
    genesys.reportedExpires = new Date(inTenMinutes).toISOString();
    expect((await client.createChannel()).expiresAt).toBe(inTenMinutes);
    genesys.reportedExpires = '+200000-01-01T00:00:00.000Z';
    const far = await client.createChannel();
    expect(far.expiresAt).toBeLessThanOrEqual(far.createdAt + 7 * 86_400_000);
    expect(() => new Date(far.expiresAt + 7 * 86_400_000).toISOString()).not.toThrow();
    expect(logged).toHaveLength(3);
  });

  it('does not re-PUT the subscriptions of a channel whose expires is in the past every second', async () => {
    genesys.reportedExpires = '2000-01-01T00:00:00.000Z';
    const c = await startCollector(genesys);
    try {
      await waitFor('connected', () => genesys.connectedChannels().length === 1);
      const health = (await c.http('/health')).json as { channel: { expires: string } };
      // The renewal comes 5 % of the channel's life before expires: over 22 h from now.
      expect(Date.parse(health.channel.expires)).toBeGreaterThan(Date.now() + 23 * 3_600_000);
      // Believed (or clamped to a few seconds), the past expires re-PUT about once a second.
      await delay(3000);
      expect(genesys.requestsTo(/\/subscriptions$/, 'PUT')).toHaveLength(1);
      expect(c.collector.metrics.get('subscription_refreshes')).toBe(0);
      expect(c.logs.messages().filter((m) => m.includes('assuming 24 h'))).toHaveLength(1);
    } finally {
      await c.stop();
    }
  });
});

describe('a flood of enormous events', () => {
  it('pauses the reader on the bytes queued for the output, not only on the line count', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hostile-writer-'));
    try {
      const file = join(dir, 'out.jsonl');
      const w = new JsonlWriter({
        file,
        maxFileSize: 1 << 30,
        backupCount: 1,
        queueMax: 10_000,
        queueMaxBytes: 4 * 1024 * 1024,
        logger: silent,
      });
      await w.open();
      const line = JSON.stringify({ pad: 'e'.repeat(1024 * 1024) }); // a 1 MB event
      const answers: boolean[] = [];
      for (let i = 0; i < 6; i += 1) answers.push(w.enqueue(line));
      // Six 1 MB lines are far below 10,000 lines, but past 4 MiB: the reader must pause.
      expect(answers.slice(0, 3)).toEqual([true, true, true]);
      expect(answers[5]).toBe(false);
      await w.whenWritable();
      await w.close();
      expect(
        readFileSync(file, 'utf8')
          .split('\n')
          .filter((l) => l !== ''),
      ).toHaveLength(6);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('megabytes in fields that are only logged', () => {
  it('clips the text of control frames (result, system reason and type)', () => {
    const big = 'r'.repeat(1_000_000);
    const result = parseFrame(JSON.stringify({ result: big, status: big }));
    const system = parseFrame(
      JSON.stringify({
        topicName: `v2.system.${big}`,
        eventBody: { systemTopicType: big, reason: big },
      }),
    );
    for (const frame of [result, system]) {
      for (const v of Object.values(frame)) {
        if (typeof v === 'string') expect(v.length).toBeLessThanOrEqual(MAX_FRAME_TEXT + 32);
      }
    }
  });

  it('keeps every log line short when events and system messages carry megabytes', async () => {
    const c = await startCollector(genesys);
    try {
      await waitFor('connected', () => genesys.connectedChannels().length === 1);
      const big = 'x'.repeat(1_000_000);
      // An AudioHook event without its timestamp (kept, schema_valid false, warned) on a huge topic.
      genesys.sendRaw(
        JSON.stringify({
          topicName: `v2.operations.events.AUDIOHOOK-0001${big}`,
          eventBody: { eventEntity: { id: 'AUDIOHOOK-0001' }, entityId: 'e-big' },
        }),
      );
      genesys.sendRaw(
        JSON.stringify({
          topicName: `v2.system.${big}`,
          eventBody: { systemTopicType: big, reason: big },
        }),
      );
      genesys.sendRaw(JSON.stringify({ result: big }));
      await waitFor('the result frame logged', () => c.logs.has('result frame'));
      await waitFor('the event written', () => c.records().length === 1);
      expect(c.logs.has('event body does not match the documented schema')).toBe(true);
      expect(Math.max(...c.logs.raw.map((l) => l.length))).toBeLessThan(10_000);
    } finally {
      await c.stop();
    }
  });
});
