import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { CollectorConfig } from '../src/config';
import { GenesysApi } from '../src/lib/genesys/api-client';
import { TokenProvider } from '../src/lib/genesys/token-provider';
import type { HealthBody } from '../src/app';
import {
  DEFAULT_AUDIOHOOK_DEFINITION_IDS,
  definitionIdsOf,
  fallBackFromFile,
  normalizeTopic,
  type ResolvedTopics,
  resolveTopics,
} from '../src/lib/topics';
import { createLogger } from '../src/logger';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { LogCapture, startCollector, type TestCollector, topicOf, waitFor } from './helpers';

const silent = pino({ level: 'silent' });

describe('resolveTopics', () => {
  let genesys: FakeGenesys;
  let dir: string;
  const api = (): GenesysApi =>
    new GenesysApi({
      apiBaseUrl: genesys.baseUrl,
      timeoutMs: 2000,
      logger: silent,
      tokens: new TokenProvider({
        loginBaseUrl: genesys.baseUrl,
        clientId: 'client-id',
        clientSecret: 'client-secret',
        refreshMarginMs: 0,
        timeoutMs: 2000,
        failureBackoffMs: 10,
        logger: silent,
      }),
    });
  const cfg = (over: Partial<CollectorConfig['topics']> = {}): CollectorConfig['topics'] => ({
    file: undefined,
    fileExplicit: false,
    override: undefined,
    discover: true,
    definitionsRefreshMs: 0,
    ...over,
  });

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'topics-'));
  });
  afterEach(async () => {
    await genesys.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('builds v2.operations.events.<id> topics from the AudioHook definitions', async () => {
    genesys = await new FakeGenesys().start();
    const r = await resolveTopics(cfg(), api(), silent);
    expect(r.source).toBe('discovered');
    expect(r.topics).toEqual([
      'v2.operations.events.AUDIOHOOK-0001',
      'v2.operations.events.AUDIOHOOK-0002',
    ]);
    expect([...r.definitions.keys()]).toEqual(['AUDIOHOOK-0001', 'AUDIOHOOK-0002']);
  });

  it('falls back to the built-in AudioHook ids when the definitions API answers 403', async () => {
    genesys = await new FakeGenesys({ definitionsForbidden: true }).start();
    const r = await resolveTopics(cfg(), api(), silent);
    expect(r.source).toBe('defaults');
    expect(r.topics).toHaveLength(DEFAULT_AUDIOHOOK_DEFINITION_IDS.length);
  });

  it('lets a topics file replace the list (the Python format) or add to it, and drops system topics', async () => {
    genesys = await new FakeGenesys().start();
    const file = join(dir, 'topics.json');
    writeFileSync(file, JSON.stringify({ topics: ['AUDIOHOOK-0009', 'channel.metadata', ' '] }));
    const replaced = await resolveTopics(cfg({ file, fileExplicit: true }), api(), silent);
    expect(replaced.source).toBe('file');
    expect(replaced.topics).toEqual(['v2.operations.events.AUDIOHOOK-0009']);
    expect(replaced.ignored.map((i) => i.topic)).toEqual(['channel.metadata', ' ']);

    writeFileSync(
      file,
      JSON.stringify({ mode: 'add', topics: ['v2.operations.events.AUDIOHOOK-0009'] }),
    );
    const added = await resolveTopics(cfg({ file, fileExplicit: true }), api(), silent);
    expect(added.source).toBe('file+defaults');
    expect(added.topics).toEqual([
      'v2.operations.events.AUDIOHOOK-0001',
      'v2.operations.events.AUDIOHOOK-0002',
      'v2.operations.events.AUDIOHOOK-0009',
    ]);
  });

  it('fails start-up with COLLECTOR_ERR_TOPICS_FILE for a malformed file, and ignores a missing one', async () => {
    genesys = await new FakeGenesys().start();
    writeFileSync(join(dir, 'bad.json'), '{"topics":"v2.x"}');
    await expect(
      resolveTopics(cfg({ file: join(dir, 'bad.json'), fileExplicit: true }), api(), silent),
    ).rejects.toMatchObject({ code: 'COLLECTOR_ERR_TOPICS_FILE' });
    const quiet = await resolveTopics(
      cfg({ file: join(dir, 'missing.json'), fileExplicit: true }),
      api(),
      silent,
    );
    expect(quiet.source).toBe('discovered');
  });

  it('ignores a leftover Python topics.json of invented topics (v2.auditing.* too) with a warning and keeps the discovered topics', async () => {
    genesys = await new FakeGenesys().start();
    const file = join(dir, 'topics.json');
    const python = [
      'platform.integration.audiohook',
      'platform.operations.audiohook',
      'v2.auditing.integration.audiohook',
      'channel.metadata',
    ];
    writeFileSync(file, JSON.stringify({ topics: python }));
    const logs = new LogCapture();
    const logger = createLogger({ level: 'info', consoleEvents: false }, logs);
    const r = await resolveTopics(cfg({ file, fileExplicit: false }), api(), logger);
    expect(r.source).toBe('discovered');
    expect(r.topics).toEqual([
      'v2.operations.events.AUDIOHOOK-0001',
      'v2.operations.events.AUDIOHOOK-0002',
    ]);
    expect(r.ignored.map((i) => i.topic)).toEqual(python);
    expect(logs.messages().filter((m) => m === 'ignored a configured topic')).toHaveLength(4);
    expect(logs.has('the topics file lists no usable topic; ignoring it')).toBe(true);

    writeFileSync(file, JSON.stringify({ mode: 'add', topics: ['platform.operations.audiohook'] }));
    const added = await resolveTopics(cfg({ file, fileExplicit: false }), api(), logger);
    expect(added.topics).toEqual(r.topics);
  });

  it('keeps only the operational-event topics of a topics file, and the list it replaced as the fallback', async () => {
    genesys = await new FakeGenesys().start();
    const file = join(dir, 'topics.json');
    writeFileSync(
      file,
      JSON.stringify({
        topics: ['AUDIOHOOK-0009', 'v2.users.abc.presence', 'v2.operations.events.{id}'],
      }),
    );
    const r = await resolveTopics(cfg({ file, fileExplicit: true }), api(), silent);
    expect(r).toMatchObject({
      source: 'file',
      topics: ['v2.operations.events.AUDIOHOOK-0009'],
      fallback: {
        source: 'discovered',
        topics: ['v2.operations.events.AUDIOHOOK-0001', 'v2.operations.events.AUDIOHOOK-0002'],
      },
    });
    expect(r.ignored.map((i) => i.topic)).toEqual([
      'v2.users.abc.presence',
      'v2.operations.events.{id}',
    ]);
  });

  it('fails start-up with COLLECTOR_ERR_TOPICS_FILE for a file with more topics than a channel takes', async () => {
    genesys = await new FakeGenesys().start();
    const file = join(dir, 'topics.json');
    const topics = Array.from({ length: 1001 }, (_, i) => `AUDIOHOOK-${i + 1}`);
    writeFileSync(file, JSON.stringify({ topics }));
    await expect(
      resolveTopics(cfg({ file, fileExplicit: true }), api(), silent),
    ).rejects.toMatchObject({ code: 'COLLECTOR_ERR_TOPICS_FILE' });
  });

  it('lets TOPICS override everything', async () => {
    genesys = await new FakeGenesys().start();
    const r = await resolveTopics(cfg({ override: ['AUDIOHOOK-0003'] }), api(), silent);
    expect(r).toMatchObject({
      source: 'override',
      topics: ['v2.operations.events.AUDIOHOOK-0003'],
    });
    expect(genesys.requestsTo('/api/v2/usage/events/definitions')).toHaveLength(0);
  });
});

describe('topic helpers', () => {
  it('normalizes bare definition ids and refuses system topics, other topic families and templates', () => {
    expect(normalizeTopic('AUDIOHOOK-0001')).toEqual({
      topic: 'v2.operations.events.AUDIOHOOK-0001',
    });
    expect(normalizeTopic('v2.system.socket_closing')).toHaveProperty('why');
    expect(normalizeTopic('v2.users.abc.presence')).toHaveProperty('why');
    expect(normalizeTopic('v2.operations.events.{id}')).toHaveProperty('why');
    expect(normalizeTopic('v2.operations.events.a.b')).toHaveProperty('why');
    expect(
      definitionIdsOf([
        'v2.operations.events.AUDIOHOOK-0001',
        'v2.users.x.presence',
        'v2.operations.events.{id}',
      ]),
    ).toEqual(['AUDIOHOOK-0001']);
  });

  it('falls back from a topics file whose every topic was rejected to the list it replaced, once', () => {
    const resolved: ResolvedTopics = {
      topics: ['v2.operations.events.AUDIOHOOK-0098'],
      source: 'file',
      definitions: new Map(),
      ignored: [],
      fallback: { topics: ['v2.operations.events.AUDIOHOOK-0001'], source: 'defaults' },
    };
    const next = fallBackFromFile(resolved, resolved.topics);
    expect(next).toMatchObject({
      topics: ['v2.operations.events.AUDIOHOOK-0001'],
      source: 'defaults',
      fileRejected: ['v2.operations.events.AUDIOHOOK-0098'],
    });
    expect(next && fallBackFromFile(next, next.topics)).toBeUndefined();
    expect(fallBackFromFile({ ...resolved, source: 'override' }, resolved.topics)).toBeUndefined();
  });
});

describe('collector with a topics file Genesys rejects as a whole', () => {
  it('subscribes to the discovered AudioHook topics instead, with a warning and a /health problem, and keeps them at the definitions refresh', async () => {
    const rejected = ['AUDIOHOOK-0098', 'AUDIOHOOK-0099'];
    const genesys = await new FakeGenesys({
      heartbeatIntervalMs: 200,
      rejectedTopics: Object.fromEntries(
        rejected.map((id) => [
          topicOf(id),
          { reason: 'The topic does not exist', missingPermissions: [] },
        ]),
      ),
    }).start();
    const dir = mkdtempSync(join(tmpdir(), 'topics-file-'));
    const file = join(dir, 'topics.json');
    writeFileSync(file, JSON.stringify({ topics: rejected }));
    let c: TestCollector | undefined;
    try {
      c = await startCollector(genesys, {
        env: { TOPICS_FILE: file, DEFINITIONS_REFRESH_HOURS: '0.0001' },
      });
      await waitFor('connected', () => genesys.connectedChannels().length === 1);
      const health = await waitFor('receiving', async () => {
        const h = await c?.http('/health');
        return h?.status === 200 && (h.json as HealthBody);
      });
      expect(health.subscriptions).toMatchObject({
        source: 'discovered',
        permitted: [topicOf('AUDIOHOOK-0001'), topicOf('AUDIOHOOK-0002')],
        rejected: [],
        fileRejected: rejected.map((id) => topicOf(id)),
      });
      expect(health.problems.join('\n')).toContain(
        'Genesys rejected every topic of the topics file (2); subscribed to the discovered topics instead',
      );
      expect(
        c.logs.has(
          'Genesys rejected every topic of the topics file; subscribing to the discovered AudioHook topics instead',
        ),
      ).toBe(true);
      genesys.publish(topicOf(), audioHookBody(1));
      await waitFor('written', () => c?.records().length === 1);

      // Refreshes of the definitions (every 0.36 s here) keep the fallback: no PUT of the file again.
      await waitFor(
        'refreshed twice',
        () => genesys.requestsTo('/api/v2/usage/events/definitions').length >= 3,
      );
      const puts = genesys
        .requestsTo(/\/subscriptions$/, 'PUT')
        .filter((r) => r.body.includes('AUDIOHOOK-0098'));
      expect(puts).toHaveLength(1);
    } finally {
      await c?.stop();
      await genesys.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
