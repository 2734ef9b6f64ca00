import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { CollectorConfig } from '../src/config';
import { GenesysApi } from '../src/lib/genesys/api-client';
import { TokenProvider } from '../src/lib/genesys/token-provider';
import {
  DEFAULT_AUDIOHOOK_DEFINITION_IDS,
  definitionIdsOf,
  normalizeTopic,
  resolveTopics,
} from '../src/lib/topics';
import { createLogger } from '../src/logger';
import { FakeGenesys } from './fakes/fake-genesys';
import { LogCapture } from './helpers';

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

  it('ignores a leftover Python topics.json of invented non-v2 topics with a warning and keeps the discovered topics', async () => {
    genesys = await new FakeGenesys().start();
    const file = join(dir, 'topics.json');
    writeFileSync(
      file,
      JSON.stringify({
        topics: [
          'platform.integration.audiohook',
          'platform.operations.audiohook',
          'v2.auditing.integration.audiohook',
          'channel.metadata',
        ],
      }),
    );
    const logs = new LogCapture();
    const logger = createLogger({ level: 'info', consoleEvents: false }, logs);
    const r = await resolveTopics(cfg({ file, fileExplicit: false }), api(), logger);
    // v2.auditing.* is a v2 topic, so it is kept: the invented platform.* ones are not.
    expect(r.source).toBe('file');
    expect(r.topics).toEqual(['v2.auditing.integration.audiohook']);
    expect(r.ignored.map((i) => i.topic)).toEqual([
      'platform.integration.audiohook',
      'platform.operations.audiohook',
      'channel.metadata',
    ]);
    expect(logs.messages().filter((m) => m === 'ignored a configured topic')).toHaveLength(3);

    writeFileSync(
      file,
      JSON.stringify({ topics: ['platform.integration.audiohook', 'channel.metadata'] }),
    );
    const fallback = await resolveTopics(cfg({ file, fileExplicit: false }), api(), logger);
    expect(fallback.source).toBe('discovered');
    expect(fallback.topics).toEqual([
      'v2.operations.events.AUDIOHOOK-0001',
      'v2.operations.events.AUDIOHOOK-0002',
    ]);
    expect(logs.has('the topics file lists no usable topic; ignoring it')).toBe(true);

    writeFileSync(file, JSON.stringify({ mode: 'add', topics: ['platform.operations.audiohook'] }));
    const added = await resolveTopics(cfg({ file, fileExplicit: false }), api(), logger);
    expect(added.topics).toEqual(fallback.topics);
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
  it('normalizes bare definition ids and refuses system topics', () => {
    expect(normalizeTopic('AUDIOHOOK-0001')).toEqual({
      topic: 'v2.operations.events.AUDIOHOOK-0001',
    });
    expect(normalizeTopic('v2.system.socket_closing')).toHaveProperty('why');
    expect(
      definitionIdsOf([
        'v2.operations.events.AUDIOHOOK-0001',
        'v2.users.x.presence',
        'v2.operations.events.{id}',
      ]),
    ).toEqual(['AUDIOHOOK-0001']);
  });
});
