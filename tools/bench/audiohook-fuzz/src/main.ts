// Fuzz benchmark of @org/audiohook-protocol's ServerSession.
// Run: npx nx run bench-audiohook-fuzz:bench   (options after --: --frames N --seed N)
// Exits with status 1 when any crash was seen.

import { parseArgs } from 'node:util';
import { runFuzz } from './fuzz';

const { values } = parseArgs({
  options: {
    frames: { type: 'string', default: '1000000' },
    seed: { type: 'string', default: '1' },
  },
});

const frames = Number(values.frames);
const seed = Number(values.seed);
if (!Number.isInteger(frames) || frames <= 0 || !Number.isInteger(seed)) {
  console.error('--frames must be a positive integer and --seed an integer');
  process.exit(2);
}

async function main(): Promise<void> {
  const report = await runFuzz({ frames, seed });
  console.log(`audiohook-fuzz: ${report.frames} malformed frames, seed ${seed}`);
  console.log(`  crashes      ${report.crashes}`);
  console.log(
    `  frames/s     ${Math.round(report.framesPerSecond)} (whole run: generating frames, creating sessions, handling)`,
  );
  console.log(
    `  handled/s    ${Math.round(report.handledPerSecond)} (time inside the session frame handlers only)`,
  );
  console.log(`  seconds      ${report.seconds.toFixed(2)}`);
  console.log(`  sessions     ${report.sessions}`);
  console.log(`  disconnects  ${report.disconnects}`);
  console.log('  frames by category:');
  for (const [name, count] of Object.entries(report.byCategory))
    console.log(`    ${name.padEnd(20)} ${count}`);
  console.log('  disconnect info (top 12):');
  for (const [info, count] of Object.entries(report.byInfo)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 12)) {
    console.log(`    ${String(count).padStart(8)}  ${info}`);
  }
  for (const sample of report.crashSamples) console.log(`  CRASH ${sample}`);
  console.log(
    JSON.stringify({
      bench: 'audiohook-fuzz',
      frames,
      seed,
      crashes: report.crashes,
      framesPerSecond: Math.round(report.framesPerSecond),
      handledPerSecond: Math.round(report.handledPerSecond),
    }),
  );
  process.exitCode = report.crashes === 0 ? 0 : 1;
}

void main();
