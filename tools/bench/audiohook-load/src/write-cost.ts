// What new memory costs this machine: the CPU of a recording's disk writes as the written volume
// grows (lib/write-cost.ts), and of filling audio chunks in new against reused arenas
// (lib/fill-cost.ts).
// Usage (from the workspace root):
//   npx tsx --tsconfig tools/bench/audiohook-load/tsconfig.json \
//     tools/bench/audiohook-load/src/write-cost.ts [--dir /dev/shm] [--files 5000] [--gib 3]

import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { measureFillCost } from './lib/fill-cost';
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
const fill = measureFillCost({ frames: 200_000 });
process.stdout.write(
  `3,200-byte frames copied into 16 KiB chunks of 1 MiB shared arenas: ${fill.warmMicrosPerFrame} µs CPU per frame in a reused arena, ${fill.freshMicrosPerFrame} in new ones (kernel ${fill.freshSystemMicrosPerFrame})\n`,
);
