// The CPU of a recording's disk writes as the written volume grows (see lib/write-cost.ts).
// Usage (from the workspace root):
//   npx tsx --tsconfig tools/bench/audiohook-load/tsconfig.json \
//     tools/bench/audiohook-load/src/write-cost.ts [--dir /dev/shm] [--files 5000] [--gib 3]

import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { measureWriteCost } from './lib/write-cost';

const { values } = parseArgs({
  options: {
    dir: { type: 'string', default: tmpdir() },
    files: { type: 'string', default: '5000' },
    gib: { type: 'string', default: '3' },
  },
});
const steps = measureWriteCost({
  directory: values.dir,
  files: Number(values.files),
  totalBytes: Math.round(Number(values.gib) * 2 ** 30),
});
process.stdout.write(`16 KiB writes over ${values.files} files in ${values.dir}:\n`);
for (const step of steps) {
  const gib = (step.writtenBytes / 2 ** 30).toFixed(2).padStart(5);
  process.stdout.write(
    `  ${gib} GiB written: ${step.cpuMicrosPerWrite} µs CPU per write (kernel ${step.systemMicrosPerWrite})\n`,
  );
}
