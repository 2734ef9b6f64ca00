import { crc32 } from 'node:zlib';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { type FakeCrestaApi, startFakeCrestaApi } from '@org/cresta-handoff/testing';
import { readZip } from './support/unzip';
import { appJson } from './support/helpers';

const appRoot = join(__dirname, '..');
const buildConfig = require('../build/esbuild.config.cjs') as Record<string, unknown>;
// The ZIP writer is a build script shared with chime-recorder-lambda (tools/build), not a module dependency.
const { createZip } = require(join(__dirname, '../../../tools/build/zip.cjs')) as {
  createZip(entries: { name: string; data: Buffer }[]): Buffer;
};
const version = readFileSync(join(appRoot, 'VERSION'), 'utf8').trim();

let dir: string;
let fake: FakeCrestaApi;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'connect-lambda-bundle-'));
  fake = await startFakeCrestaApi();
  // The same options `nx build connect-lambda` passes (see project.json), with the build config.
  await build({
    ...buildConfig,
    entryPoints: [join(appRoot, 'src/index.ts')],
    outfile: join(dir, 'index.js'),
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    external: ['@aws-sdk/*'],
    tsconfig: join(appRoot, 'tsconfig.json'),
    logLevel: 'silent',
  });
}, 60_000);

afterAll(async () => {
  await fake.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the build', () => {
  it('zips the minified CommonJS bundle as index.js, with handler.js re-exporting it', () => {
    const bundle = readFileSync(join(dir, 'index.js'));
    const entries = readZip(readFileSync(join(dir, 'connect-lambda.zip')));
    expect([...entries.keys()]).toEqual(['index.js', 'handler.js']);
    expect(entries.get('index.js')?.equals(bundle)).toBe(true);
    expect(entries.get('handler.js')?.toString('utf8')).toBe(
      "'use strict';\nmodule.exports = require('./index.js');\n",
    );
    // The build output holds the same alias, so the folder and the ZIP deploy alike.
    expect(readFileSync(join(dir, 'handler.js'))).toEqual(entries.get('handler.js'));
    // Minified: a few long lines (the only line breaks left are inside template literals).
    const lines = bundle.toString('utf8').split('\n');
    expect(bundle.length / lines.length).toBeGreaterThan(2000);
  });

  it('keeps the AWS SDK external and the bundle small', () => {
    const text = readFileSync(join(dir, 'index.js'), 'utf8');
    expect(text).toContain('require("@aws-sdk/client-secrets-manager")');
    expect(text).not.toContain('GetSecretValueCommand=');
    expect(Buffer.byteLength(text)).toBeLessThan(300 * 1024);
  });

  it('injects the VERSION file into ccaasMetadata.version', async () => {
    await expect(invokePackaged(join(dir, 'index.js'))).resolves.toEqual({
      phoneNumber: '+15550100',
      dtmfSequence: '1234',
    });
    const body = fake.requestsTo('pstn')[0]?.json as { ccaasMetadata: { version: string } };
    expect(body.ccaasMetadata.version).toBe(version);
  });

  it('answers Connect through the upstream handler name handler.handler, unpacked from the ZIP', async () => {
    // As Lambda does with a function whose handler is still the upstream `handler.handler`:
    // unpack the package and load `handler.js` from it.
    const unpacked = join(dir, 'unpacked');
    mkdirSync(unpacked);
    for (const [name, data] of readZip(readFileSync(join(dir, 'connect-lambda.zip')))) {
      writeFileSync(join(unpacked, name), data);
    }
    const before = fake.requestsTo('pstn').length;
    await expect(invokePackaged(join(unpacked, 'handler.js'))).resolves.toEqual({
      phoneNumber: '+15550100',
      dtmfSequence: '1234',
    });
    expect(fake.requestsTo('pstn')).toHaveLength(before + 1);
  });
});

/** Loads `file` as the Lambda runtime would and runs its `handler` on the sample PSTN event. */
async function invokePackaged(file: string): Promise<unknown> {
  const env = {
    region: 'us-west-2-staging',
    apiDomain: fake.url,
    virtualAgentName: 'customers/a/profiles/b/virtualAgents/c',
    apiKey: 'demo-api-key',
    // The bundle's logger writes to stdout; nothing to see here.
    LOG_LEVEL: 'silent',
  };
  const saved = { ...process.env };
  Object.assign(process.env, env);
  try {
    const { handler } = require(file) as { handler(event: unknown): Promise<unknown> };
    return await handler(appJson('events', 'get-pstn-transfer-data.json'));
  } finally {
    for (const key of Object.keys(env)) {
      if (saved[key] === undefined) delete process.env[key];
    }
  }
}

describe('createZip', () => {
  it('writes deflated entries with CRC-32 that read back byte for byte', () => {
    const data = Buffer.from('hello hello hello hello'.repeat(100));
    const zip = createZip([
      { name: 'a.txt', data },
      { name: 'dir/b.bin', data: Buffer.from([0, 1, 2, 255]) },
    ]);
    const entries = readZip(zip);
    expect(entries.get('a.txt')?.equals(data)).toBe(true);
    expect(entries.get('dir/b.bin')).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(zip.readUInt32LE(14)).toBe(crc32(data));
    expect(zip.length).toBeLessThan(data.length);
  });

  it('gives the same bytes for the same input (reproducible packages)', () => {
    const entries = [{ name: 'index.js', data: Buffer.from('exports.handler = 1;') }];
    expect(createZip(entries).equals(createZip(entries))).toBe(true);
  });
});
