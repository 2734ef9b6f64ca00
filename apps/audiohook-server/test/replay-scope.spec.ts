// Without REPLAY_CACHE_TABLE the replay cache is per process: a server whose settings say it is
// one of several (INSTANCE_ID, RECORDING_S3_BUCKET, EMF_NAMESPACE) warns at start.

import { loadConfig } from '../src/config';
import { replayScopeWarning } from '../src/lib/replay-scope';
import { startTestServer, type TestServer } from './helpers/server';

const WARNING = /^the replay cache is per process \(REPLAY_CACHE_TABLE is not set\)/;

describe('replayScopeWarning', () => {
  const config = (env: Record<string, string>) => loadConfig({ LOG_ROOT_DIR: '/tmp', ...env });

  it('names every setting that marks a server as one of several', () => {
    expect(
      replayScopeWarning(
        config({ INSTANCE_ID: 'a', RECORDING_S3_BUCKET: 'rec', EMF_NAMESPACE: 'AudioHook' }),
      ),
    ).toMatchObject({
      hints: ['INSTANCE_ID', 'RECORDING_S3_BUCKET', 'EMF_NAMESPACE'],
      message: expect.stringMatching(WARNING),
    });
  });

  it('says nothing for a lone server, with a shared table, or with the replay check off', () => {
    expect(replayScopeWarning(config({}))).toBeUndefined();
    expect(
      replayScopeWarning(config({ INSTANCE_ID: 'a', REPLAY_CACHE_TABLE: 'replay' })),
    ).toBeUndefined();
    expect(
      replayScopeWarning(config({ INSTANCE_ID: 'a', REPLAY_CACHE_SIZE: '0' })),
    ).toBeUndefined();
  });
});

describe('servers at start', () => {
  let servers: TestServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.map((s) => s.stop()));
    servers = [];
  });

  const warnings = (server: TestServer) =>
    server.log.lines().filter((l) => WARNING.test(String(l['msg'])));

  it('warn on each of two instances with an in-process replay cache, and not with the table', async () => {
    servers.push(await startTestServer({ INSTANCE_ID: 'audiohook-a' }));
    servers.push(await startTestServer({ INSTANCE_ID: 'audiohook-b' }));
    for (const server of servers) {
      expect(warnings(server)).toEqual([
        expect.objectContaining({ level: 'warn', hints: ['INSTANCE_ID'] }),
      ]);
    }
    const shared = await startTestServer({
      INSTANCE_ID: 'audiohook-c',
      REPLAY_CACHE_TABLE: 'replay',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:9', // never called: no signed session here
    });
    servers.push(shared);
    const lone = await startTestServer();
    servers.push(lone);
    expect(warnings(shared)).toEqual([]);
    expect(warnings(lone)).toEqual([]);
  });
});
