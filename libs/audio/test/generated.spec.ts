import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

describe('generated WebAssembly', () => {
  it('matches its WAT source (run `npx nx run audio:generate-wasm` after editing src/wasm)', () => {
    const run = spawnSync(
      process.execPath,
      [join(__dirname, '../scripts/generate-wasm.mjs'), '--check'],
      {
        encoding: 'utf8',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
  });
});
