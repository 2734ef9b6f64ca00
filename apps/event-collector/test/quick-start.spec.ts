import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { readJsonl, topicOf, waitFor } from './helpers';
import { CollectorProcess } from './process';

describe('quick start: cp .env.example .env, then run', () => {
  let genesys: FakeGenesys;
  let dir: string;
  const procs: CollectorProcess[] = [];
  beforeEach(async () => {
    // The fake accepts the placeholder credentials of .env.example, so they come from the file.
    genesys = await new FakeGenesys({
      clientId: 'your-client-id',
      clientSecret: 'your-client-secret',
      heartbeatIntervalMs: 200,
    }).start();
    dir = mkdtempSync(join(tmpdir(), 'quick-start-'));
    copyFileSync(join(__dirname, '..', '.env.example'), join(dir, '.env'));
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill9();
    await genesys.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the .env in the working folder, and the real environment wins over it', async () => {
    const p = new CollectorProcess(
      {
        // Only what must differ from .env.example here: the fake's address and a free port.
        GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
        GENESYS_API_BASE_URL: genesys.baseUrl,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
      },
      { cwd: dir },
    );
    procs.push(p);
    await waitFor('connected', () => genesys.connectedChannels().length === 1, 30_000).catch(
      (err: unknown) => Promise.reject(new Error(`${String(err)}\n${p.tail()}`)),
    );
    expect(p.httpPort).not.toBe(8077); // HTTP_PORT=8077 in .env lost to the environment
    genesys.publish(topicOf(), audioHookBody(1));
    // OUTPUT_FILE=./audiohook_events.jsonl from .env, relative to the working folder.
    await waitFor('written', () => readJsonl(join(dir, 'audiohook_events.jsonl')).length === 1);
    expect((await p.stop()).code).toBe(0);
  });

  it('stops with exit code 2 naming the variable when the .env has a bad value', async () => {
    writeFileSync(
      join(dir, '.env'),
      'GENESYS_CLIENT_ID=id\nGENESYS_CLIENT_SECRET=s\nMAX_FILE_SIZE=ten  # MB\n',
    );
    const p = new CollectorProcess({}, { cwd: dir });
    procs.push(p);
    expect((await p.exited).code).toBe(2);
    expect(p.stderr).toContain('MAX_FILE_SIZE must be a whole number');
  });
});
