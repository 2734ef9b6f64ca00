// Replay benchmark of the Chime recorder Lambda:
//   npx nx run bench-chime-recorder:bench            (1,000 calls, 10 % duplicates)
//   npx nx run bench-chime-recorder:bench --calls=200 --concurrency=8
import { parseArgs } from 'node:util';
import { DEFAULT_OPTIONS, runReplay } from './lib/replay';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string' },
      duplicates: { type: 'string' },
      concurrency: { type: 'string' },
      seed: { type: 'string' },
      bundle: { type: 'string' },
      dynalite: { type: 'string' },
      'log-level': { type: 'string' },
      metadata: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const num = (v: string | undefined, def: number) => (v === undefined ? def : Number(v));
  const dynalite = values.dynalite ?? DEFAULT_OPTIONS.dynalite;
  if (dynalite !== 'child' && dynalite !== 'in-process') {
    throw new Error('--dynalite must be child or in-process');
  }
  const options = {
    calls: num(values.calls, DEFAULT_OPTIONS.calls),
    duplicateRatio: num(values.duplicates, DEFAULT_OPTIONS.duplicateRatio),
    concurrency: num(values.concurrency, DEFAULT_OPTIONS.concurrency),
    seed: num(values.seed, DEFAULT_OPTIONS.seed),
    bundle: values.bundle ?? DEFAULT_OPTIONS.bundle,
    dynalite: dynalite as 'child' | 'in-process',
    logLevel: values['log-level'] ?? DEFAULT_OPTIONS.logLevel,
    metadata: (values.metadata ?? String(DEFAULT_OPTIONS.metadata)) !== 'false',
  };
  for (const [k, v] of Object.entries(options)) {
    if (typeof v === 'number' && !(Number.isFinite(v) && v >= 0))
      throw new Error(`--${k} must be a number`);
  }
  const r = await runReplay(options);
  if (values.json) {
    console.log(JSON.stringify(r, null, 2));
  } else {
    console.log(
      `chime-recorder replay: ${r.calls} calls, ${r.events} events (shuffled, ${Math.round(options.duplicateRatio * 100)} % duplicated), concurrency ${r.concurrency}, dynalite and s3rver ${options.dynalite}, metadata ${options.metadata ? 'on' : 'off'}`,
    );
    console.log(`  throughput   ${r.eventsPerSecond} events/s (${r.seconds} s)`);
    console.log(
      `  latency      p50 ${r.latencyMs.p50} ms, p95 ${r.latencyMs.p95} ms, p99 ${r.latencyMs.p99} ms, max ${r.latencyMs.max} ms`,
    );
    console.log(
      `  pipelines    ${r.pipelines} created, ${r.duplicatePipelines} duplicates, ${r.twoStreamPipelines} with both streams, ${r.createRequests} requests`,
    );
    console.log(`  call items   ${r.callsCreated} CREATED; handler errors ${r.handlerErrors}`);
    console.log(`  metadata     ${r.metadataObjects} objects in the bucket`);
    console.log(`  outcomes     ${JSON.stringify(r.outcomes)}`);
    console.log(`  peak RSS     ${r.peakRssMb} MB`);
    console.log(
      r.ok ? 'OK: exactly one pipeline per call' : 'FAILED: pipelines do not match the calls',
    );
  }
  process.exitCode = r.ok ? 0 : 1;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exitCode = 1;
});
