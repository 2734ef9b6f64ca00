import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCollector, waitFor } from '../helpers';
import { FakeGenesys } from './fake-genesys';

/** Where the example file lives (committed, linked from the README). */
export const EXAMPLE_FILE = join(__dirname, '..', '..', 'example_audiohook_events.jsonl');

/** Record fields that differ on every run: the receive time, the channel, the correlation id. */
export const VOLATILE_FIELDS = ['timestamp', 'received_at', 'channel', 'correlation_id'] as const;

/**
 * Produces the example file the way a user would get it: the real collector (composition root
 * and all) connected to the fake Genesys, which publishes the events of
 * `test/fixtures/example-events.json`; the collector's JSONL output is copied to `outFile`.
 */
export async function writeExampleEvents(outFile: string): Promise<void> {
  const events = JSON.parse(
    readFileSync(join(__dirname, '..', 'fixtures', 'example-events.json'), 'utf8'),
  ) as { topic: string; body: Record<string, unknown> }[];
  const genesys = await new FakeGenesys({ heartbeatIntervalMs: 1000 }).start();
  const dir = mkdtempSync(join(tmpdir(), 'example-events-'));
  try {
    const c = await startCollector(genesys, { dir, env: { LOG_LEVEL: 'warn' } });
    try {
      await waitFor('connected', () => genesys.connectedChannels().length === 1, 30_000);
      for (const e of events) {
        genesys.publish(e.topic, e.body);
        // One at a time, so the file keeps the order of the fixture.
        await waitFor('written', () => c.records().length === events.indexOf(e) + 1);
      }
    } finally {
      await c.collector.stop();
    }
    copyFileSync(c.outFile, outFile);
  } finally {
    await genesys.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  writeExampleEvents(EXAMPLE_FILE).then(
    () => process.stdout.write(`wrote ${EXAMPLE_FILE}\n`),
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 1;
    },
  );
}
