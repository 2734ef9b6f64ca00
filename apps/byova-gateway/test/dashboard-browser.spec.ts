// The dashboard in a real browser: Debian's Chromium driven by playwright-core. CI installs the
// browser (.ci/run); without it this test fails and says how to install it.

import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { event, startGateway, testConfig, type RunningGateway } from './helpers/gateway';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const TOKEN = 'browser-test-token';

let gw: RunningGateway;
let browser: BrowserContext;
let profile: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `no browser at ${CHROMIUM}: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM_PATH`,
    );
  }
  gw = await startGateway(testConfig({ authentication: { enabled: true } }), {
    env: { BYOVA_DASHBOARD_TOKEN: TOKEN },
  });
  profile = mkdtempSync(join(tmpdir(), 'byova-chromium-'));
  // A fresh profile per run (playwright passes it as --user-data-dir).
  browser = await chromium.launchPersistentContext(profile, {
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
});

afterAll(async () => {
  await browser?.close();
  await gw?.stop();
  if (profile !== undefined) rmSync(profile, { recursive: true, force: true });
});

it('logs in and shows status, agents and conversations that update live', async () => {
  const page = await browser.newPage();
  await page.goto(`${gw.httpUrl}/`);
  expect(new URL(page.url()).pathname).toBe('/login');
  await page.fill('input[name=token]', 'wrong-token');
  await page.click('button[type=submit]');
  await page.waitForSelector('#login-error');
  await page.fill('input[name=token]', TOKEN);
  await page.click('button[type=submit]');
  await page.waitForFunction("document.querySelector('#status')?.textContent === 'SERVING'");
  expect(await page.textContent('#agents tbody')).toContain('Local Audio: Local Playback');
  expect(await page.textContent('#active-count')).toBe('0');

  // A call starts while the page is open: the page picks it up without a reload.
  await gw.client.rpc([event('browser-call-1', 'SESSION_START', { customer_org_id: 'org-b' })]);
  await page.waitForFunction(
    "document.querySelector('#conversations tbody')?.textContent?.includes('browser-call-1')",
    undefined,
    { timeout: 10000 },
  );
  expect(await page.textContent('#active-count')).toBe('1');
  expect(await page.textContent('#events tbody')).toContain('start');
  expect(await page.textContent('#config')).toContain('"grpc_port"');
  await page.close();
});
