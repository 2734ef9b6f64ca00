// AudioHook load benchmark. Usage (from the workspace root):
//   npx nx run bench-audiohook-load:bench -- --sessions 2000 --hold 60 --ramp 40
//   npx nx run bench-audiohook-load:bench -- --sessions 800 --rate 200 --session-seconds 30
// Options: --sessions N, --hold seconds, --ramp seconds (steady state); --session-seconds S and
// --rate R and --warmup N (churn); --no-recording, --profile, --server <main.js>, --floor, --json.
// See the README.

import { existsSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_WARMUP, runChurn } from './lib/churn';
import { runBenchmark } from './lib/orchestrator';
import { summarizeProfileFile, type TimeWindow } from './lib/profile';
import { churnText, profileText, steadyText } from './lib/report-text';

const root = join(__dirname, '../../../..');

interface Options {
  readonly sessions: number | undefined;
  readonly hold: number;
  readonly ramp: number;
  readonly sessionSeconds: number | undefined;
  readonly rate: number;
  readonly warmup: number;
  readonly recording: boolean;
  readonly profile: boolean;
  readonly server: string;
  /** Run the floor server (floor-server.ts) instead of the AudioHook server. */
  readonly floor: boolean;
  readonly json: boolean;
}

function positive(name: string, text: string | undefined, zeroOk = false): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || (n === 0 && !zeroOk)) {
    throw new Error(`--${name} must be a ${zeroOk ? 'non-negative' : 'positive'} number`);
  }
  return n;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      sessions: { type: 'string' },
      hold: { type: 'string', default: '20' },
      ramp: { type: 'string', default: '10' },
      'session-seconds': { type: 'string' },
      rate: { type: 'string', default: '200' },
      warmup: { type: 'string', default: String(DEFAULT_WARMUP) },
      'no-recording': { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      server: { type: 'string', default: 'dist/apps/audiohook-server/main.js' },
      floor: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
    },
  });
  const server = isAbsolute(values.server) ? values.server : join(root, values.server);
  if (!values.floor && !existsSync(server)) {
    throw new Error(`${server} is missing: run "npx nx build audiohook-server" first`);
  }
  return {
    sessions: positive('sessions', values.sessions),
    hold: positive('hold', values.hold) as number,
    ramp: positive('ramp', values.ramp) as number,
    sessionSeconds: positive('session-seconds', values['session-seconds'], true),
    rate: positive('rate', values.rate) as number,
    warmup: positive('warmup', values.warmup, true) as number,
    // The floor records nothing: waiting for its recordings would never end.
    recording: !values['no-recording'] && !values.floor,
    profile: values.profile,
    server,
    floor: values.floor,
    json: values.json,
  };
}

async function main(): Promise<void> {
  const o = options();
  const profileDir = o.profile
    ? join(
        root,
        'dist/profiles',
        `audiohook-load-${new Date().toISOString().replace(/[:.]/g, '-')}`,
      )
    : undefined;
  if (profileDir !== undefined) await mkdir(profileDir, { recursive: true });
  const common = {
    recording: o.recording,
    serverCommand: o.floor
      ? [
          process.execPath,
          '--import',
          'tsx',
          join(root, 'tools/bench/audiohook-load/src/floor-server.ts'),
        ]
      : [process.execPath, o.server],
    driverCommand: [
      process.execPath,
      '--import',
      'tsx',
      join(root, 'tools/bench/audiohook-load/src/driver-main.ts'),
    ],
    cwd: root,
    ...(profileDir === undefined ? {} : { profileDir }),
    log: (line: string) => process.stderr.write(`bench: ${line}\n`),
  };
  let text: string;
  let json: unknown;
  let windows: TimeWindow[];
  if (o.sessionSeconds !== undefined) {
    const report = await runChurn({
      ...common,
      sessions: o.sessions ?? 800,
      rate: o.rate,
      sessionSeconds: o.sessionSeconds,
      warmup: o.warmup,
    });
    [text, json] = [churnText(report), report];
    windows = [report.lifecycle?.window, report.whole?.window].filter(
      (w): w is TimeWindow => w !== undefined,
    );
  } else {
    const report = await runBenchmark({
      ...common,
      sessions: o.sessions ?? 200,
      holdSeconds: o.hold,
      rampSeconds: o.ramp,
    });
    [text, json] = [steadyText(report), report];
    windows = [report.window];
  }
  if (profileDir !== undefined) {
    const file = (await readdir(profileDir)).find((name) => name.endsWith('.cpuprofile'));
    if (file !== undefined) {
      const path = join(profileDir, file);
      // Only the measured spans: start-up (loading the bundle) and shutdown are left out.
      text += `\n${profileText(path, await summarizeProfileFile(path, 25, windows))}`;
    }
  }
  process.stdout.write(o.json ? `${JSON.stringify(json)}\n` : `${text}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
