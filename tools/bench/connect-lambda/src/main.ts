// Benchmark of the connect-lambda bundle. Run: npx nx run bench-connect-lambda:bench
// (builds the bundle first). Options: --bundle <file> (default dist/apps/connect-lambda/index.js),
// --cold-runs N (default 15), --iterations N (default 500), --check (exit 1 when a target is missed).
//
// Measures: bundle size (target ≤ 300 KB minified, AWS SDK external), module init time in a fresh
// process (target ≤ 50 ms median), and warm invocation overhead against the local fake Cresta API
// (handler time minus a bare keep-alive HTTP round trip to the same fake; target ≤ 2 ms median).

import { existsSync } from 'node:fs';
import { cpus, platform, arch } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { startFakeCrestaApi } from '@org/cresta-handoff/testing';
import {
  type Summary,
  bundleSizes,
  measureBareRoundTrip,
  measureColdImport,
  measureWarmInvocations,
  summarize,
  withStdoutDiscarded,
} from './measure';

const TARGETS = { bundleBytes: 300 * 1024, coldImportMs: 50, warmOverheadMs: 2 };

const { values } = parseArgs({
  options: {
    bundle: { type: 'string', default: 'dist/apps/connect-lambda/index.js' },
    'cold-runs': { type: 'string', default: '15' },
    iterations: { type: 'string', default: '500' },
    check: { type: 'boolean', default: false },
  },
});

function positive(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) {
    console.error(`--${name} must be a positive integer, got "${text}"`);
    process.exit(2);
  }
  return value;
}

const bundle = resolve(values.bundle);
const coldRuns = positive('cold-runs', values['cold-runs']);
const iterations = positive('iterations', values.iterations);
if (!existsSync(bundle)) {
  console.error(`${bundle} does not exist: run "npx nx build connect-lambda" first`);
  process.exit(2);
}

const VA = 'customers/bench/profiles/main/virtualAgents/va-1';
const event = (action: string) => ({
  Name: 'ContactFlowEvent',
  Details: {
    ContactData: {
      Attributes: {},
      Channel: 'VOICE',
      ContactId: '0b1f9f4e-3d61-4f43-9d5c-bench0000001',
      CustomerEndpoint: { Address: '+15555550123', Type: 'TELEPHONE_NUMBER' },
      InitiationMethod: 'INBOUND',
      SystemEndpoint: { Address: '+15555550199', Type: 'TELEPHONE_NUMBER' },
    },
    Parameters: { action, campaign: 'bench' },
  },
});

const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number): string => `${value.toFixed(2)} ms`;
const verdict = (ok: boolean): string => (ok ? 'ok' : 'MISSED');
const dist = (s: Summary): string =>
  `median ${ms(s.median)}  p90 ${ms(s.p90)}  p99 ${ms(s.p99)}  min ${ms(s.min)}  max ${ms(s.max)}`;

async function main(): Promise<void> {
  const misses: string[] = [];
  console.log(
    `connect-lambda benchmark — Node ${process.version}, ${platform()} ${arch()}, ${cpus().length} CPUs`,
  );
  console.log(`bundle ${bundle}\n`);

  const sizes = bundleSizes(bundle, join(dirname(bundle), 'connect-lambda.zip'));
  const sizeOk = sizes.bundleBytes <= TARGETS.bundleBytes;
  if (!sizeOk) misses.push('bundle size');
  console.log('Bundle size (minified, AWS SDK v3 external)');
  console.log(
    `  index.js ${kb(sizes.bundleBytes)}   target ≤ ${kb(TARGETS.bundleBytes)}   ${verdict(sizeOk)}`,
  );
  console.log(`  gzip     ${kb(sizes.gzipBytes)}`);
  if (sizes.zipBytes !== undefined) console.log(`  zip      ${kb(sizes.zipBytes)}`);

  const cold = summarize(measureColdImport(bundle, coldRuns, { PATH: process.env['PATH'] }));
  const coldOk = cold.median <= TARGETS.coldImportMs;
  if (!coldOk) misses.push('cold import');
  console.log(`\nModule init (require in a fresh node process, ${coldRuns} runs)`);
  console.log(`  ${dist(cold)}   target ≤ ${ms(TARGETS.coldImportMs)} median   ${verdict(coldOk)}`);

  const fake = await startFakeCrestaApi();
  try {
    Object.assign(process.env, {
      region: 'us-west-2-staging',
      apiDomain: fake.url,
      authDomain: fake.url,
      oauthClientId: 'demo-client',
      oauthClientSecret: 'demo-secret',
      virtualAgentName: VA,
    });
    const { handler } = require(bundle) as {
      handler(event: unknown, context?: unknown): Promise<unknown>;
    };
    const context = { awsRequestId: 'bench', getRemainingTimeInMillis: () => 3000 };
    const pstn = event('get_pstn_transfer_data');
    const handoff = event('get_handoff_data');
    const [pstnTimes, handoffTimes] = await withStdoutDiscarded(async () => [
      await measureWarmInvocations(() => handler(pstn, context), iterations),
      await measureWarmInvocations(() => handler(handoff, context), iterations),
    ]);
    const sentBody = fake.requestsTo('pstn').at(-1)?.body ?? '{}';
    const bare = summarize(
      await measureBareRoundTrip(
        `${fake.url}/v1/customers/bench/profiles/main/virtualAgents/va-1:generatePSTNTransferData`,
        sentBody,
        { authorization: 'ApiKey demo-api-key' },
        iterations,
      ),
    );
    const pstnSummary = summarize(pstnTimes);
    const handoffSummary = summarize(handoffTimes);
    const overhead = pstnSummary.median - bare.median;
    const overheadOk = overhead <= TARGETS.warmOverheadMs;
    if (!overheadOk) misses.push('warm invocation overhead');
    console.log(
      `\nWarm invocation against the local fake Cresta API (token cached, ${iterations} runs each)`,
    );
    console.log(`  get_pstn_transfer_data  ${dist(pstnSummary)}`);
    console.log(`  get_handoff_data        ${dist(handoffSummary)}`);
    console.log(`  bare HTTP round trip    ${dist(bare)}`);
    console.log(
      `  overhead (pstn − bare)  median ${ms(overhead)}   target ≤ ${ms(TARGETS.warmOverheadMs)}   ${verdict(overheadOk)}`,
    );
    console.log(`  token requests during the run: ${fake.requestsTo('token').length}`);
  } finally {
    await fake.close();
  }

  console.log(
    `\n${misses.length === 0 ? 'All targets met.' : `Missed: ${misses.join(', ')}.`} (Timings on a shared 2-core machine are pessimistic.)`,
  );
  if (values.check && misses.length > 0) process.exitCode = 1;
  // The bundle's keep-alive agent holds idle sockets; they are unref'd, so the process can end.
}

void main();
