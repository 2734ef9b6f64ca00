import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_FILE, VOLATILE_FIELDS, writeExampleEvents } from './fakes/example-events';

/** The records of a JSONL text with the per-run fields blanked. */
function stable(text: string): Record<string, unknown>[] {
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => {
      const r = JSON.parse(l) as Record<string, unknown>;
      for (const f of VOLATILE_FIELDS) r[f] = typeof r[f] === 'string' ? '(varies)' : r[f];
      return r;
    });
}

describe('example_audiohook_events.jsonl', () => {
  it('is what the real collector writes from the fake today (regenerate: npx nx run event-collector:example-events)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'example-check-'));
    try {
      const out = join(dir, 'example.jsonl');
      await writeExampleEvents(out);
      const committed = readFileSync(EXAMPLE_FILE, 'utf8');
      expect(stable(committed)).toEqual(stable(readFileSync(out, 'utf8')));
      expect(committed.endsWith('\n')).toBe(true);
      expect(stable(committed)).toHaveLength(3);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
