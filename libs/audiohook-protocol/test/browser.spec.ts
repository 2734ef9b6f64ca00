// The pure entry points (codec, session, signature, testing) in a real browser. The package is
// built, its ES modules are bundled for the browser by esbuild (platform "browser": a Node.js
// module anywhere in the graph fails the build) and run by Debian's Chromium (playwright-core)
// from a loopback page: the documentation's example messages are parsed, validated and
// serialized, the documented signature is made and verified with Web Crypto, and a server and a
// client session talk. Every result is compared with what Node.js computes from the same input.
// CI installs the browser (.ci/run); without it this test fails and says how to install it.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { build } from 'esbuild';
import { chromium, type BrowserContext } from 'playwright-core';
import {
  parseClientMessage,
  parseServerMessage,
  validateClientMessage,
  validateServerMessage,
} from '../src/codec';
import { fixture } from './helpers';
import { A } from './signature-setup';

jest.setTimeout(180_000);

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const root = join(__dirname, '../../..');
const messagesDir = join(__dirname, 'fixtures/messages');

interface PageResult {
  userAgent: string;
  codec: { parsed: unknown; validated: unknown; roundTrip: boolean }[];
  refusals: string[];
  signatures: {
    headers: Record<string, string>;
    codes: string[];
    hasSyncCrypto: boolean;
    syncError: string | undefined;
  };
  exchange: { clean: boolean; closeReason: string; samples: number; position: number };
}

const messages = (['client', 'server'] as const).flatMap((direction) =>
  readdirSync(join(messagesDir, direction))
    .sort()
    .map((file) => ({
      direction,
      text: readFileSync(join(messagesDir, direction, file), 'utf8'),
    })),
);
// Every client case of the invalid-message catalogue that lenient validation refuses.
const invalid = fixture<{ direction: string; message: unknown; text?: string; strict?: boolean }[]>(
  'messages/invalid.json',
)
  .filter((c) => c.direction === 'client' && c.strict !== true)
  .map((c) => c.text ?? JSON.stringify(c.message));
const headerOptions = {
  organizationId: A.headers['Audiohook-Organization-Id'],
  sessionId: A.headers['Audiohook-Session-Id'],
  correlationId: A.headers['Audiohook-Correlation-Id'],
  apiKey: A.headers['X-API-KEY'],
  clientSecret: A.clientSecret,
  requestTarget: A.url,
  authority: A.headers['Host'],
  nonce: A.nonce,
  created: A.created,
  expiresIn: A.expires - A.created,
};

let work: string;
let server: Server;
let browser: BrowserContext;
let result: PageResult;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  // Inside the workspace, so the bundler finds zod and structured-headers in its node_modules.
  // `tmp/` is git-ignored, so a fresh clone does not have it until something creates it.
  mkdirSync(join(root, 'tmp'), { recursive: true });
  work = mkdtempSync(join(root, 'tmp', 'audiohook-protocol-browser-'));
  const pkg = join(work, 'package');
  execFileSync(
    process.execPath,
    [join(__dirname, '../scripts/build.mjs'), '--out', pkg, '--js-only'],
    {
      cwd: root,
      stdio: 'pipe',
    },
  );
  const bundled = await build({
    entryPoints: [join(__dirname, 'fixtures/browser/page.mjs')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    alias: Object.fromEntries(
      ['codec', 'session', 'signature', 'testing'].map((entry) => [
        `@org/audiohook-protocol/${entry}`,
        join(pkg, 'esm', `${entry}.js`),
      ]),
    ),
    nodePaths: [join(root, 'node_modules')],
    logLevel: 'silent',
  });
  const script = bundled.outputFiles[0]?.text ?? '';
  server = createServer((request, response) => {
    if (request.url === '/page.js') {
      response.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else {
      response
        .writeHead(200, { 'content-type': 'text/html' })
        .end(
          '<!doctype html><title>audiohook-protocol</title><script type="module" src="/page.js"></script>',
        );
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  browser = await chromium.launchPersistentContext(join(work, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('pageerror', (error) => errors.push(error.message));
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction('window.ready === true || window.ready === false', undefined, {
    timeout: 60_000,
  });
  result = (await page.evaluate(
    (input) =>
      (globalThis as unknown as { runChecks(i: unknown): Promise<unknown> }).runChecks(input),
    { messages, invalid, vector: A, headerOptions },
  )) as PageResult;
  expect(errors).toEqual([]);
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((resolve) =>
    server === undefined ? resolve(undefined) : server.close(resolve),
  );
  if (work !== undefined) rmSync(work, { recursive: true, force: true });
});

describe('the pure entry points in Chromium', () => {
  it('run in a real browser, without Node.js crypto', () => {
    expect(result.userAgent).toMatch(/HeadlessChrome|Chrome/);
    expect(result.signatures.hasSyncCrypto).toBe(false);
    expect(result.signatures.syncError).toBe('AUDIOHOOK_ERR_CRYPTO_UNAVAILABLE');
  });

  it('parse, validate and serialize every example message as Node.js does', () => {
    expect(result.codec).toHaveLength(messages.length);
    messages.forEach(({ direction, text }, i) => {
      const parse = direction === 'client' ? parseClientMessage : parseServerMessage;
      const validate = direction === 'client' ? validateClientMessage : validateServerMessage;
      expect(result.codec[i]).toEqual({
        parsed: JSON.parse(JSON.stringify(parse(text))),
        validated: JSON.parse(JSON.stringify(validate(JSON.parse(text)))),
        roundTrip: true,
      });
    });
  });

  it('refuse malformed messages with the same error codes as Node.js', () => {
    const expected = invalid.map((text) => {
      try {
        parseClientMessage(text);
        return 'accepted';
      } catch (error) {
        return (error as { code: string }).code;
      }
    });
    expect(result.refusals).toEqual(expected);
  });

  it('sign and verify the documented signature with Web Crypto', () => {
    expect(result.signatures.headers['Signature']).toBe(A.headers['Signature']);
    expect(result.signatures.headers['Signature-Input']).toBe(A.headers['Signature-Input']);
    expect(result.signatures.codes).toEqual(['VERIFIED', 'PRECONDITION', 'FAILED']);
  });

  it('run a server session and a client session against each other', () => {
    expect(result.exchange).toEqual({
      clean: true,
      closeReason: 'end',
      samples: 3200,
      position: 400_000_000,
    });
  });
});
