// npx nx run bench-byova-load:bench [-- --calls 300 --turns 2 --end-silence-ms 1000 --json]

import { parseArgs } from 'node:util';
import { formatResult, runBench } from './lib/bench';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '300' },
      turns: { type: 'string', default: '2' },
      'end-silence-ms': { type: 'string', default: '1000' },
      'speech-ms': { type: 'string', default: '1000' },
      'ramp-ms': { type: 'string', default: '3000' },
      gateway: { type: 'string', default: 'dist' },
      json: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0)
      throw new Error(`--${name} must be a non-negative integer, got ${text}`);
    return n;
  };
  const result = await runBench({
    calls: Math.max(1, int('calls', values.calls)),
    turns: int('turns', values.turns),
    endSilenceMs: int('end-silence-ms', values['end-silence-ms']),
    speechMs: int('speech-ms', values['speech-ms']),
    rampMs: int('ramp-ms', values['ramp-ms']),
    gateway: values.gateway,
    log: (line) => void process.stderr.write(`${line}\n`),
  });
  process.stdout.write(values.json ? `${JSON.stringify(result)}\n` : `${formatResult(result)}\n`);
  return result.passed ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench-byova-load: ${(error as Error).message}\n`);
    process.exitCode = 1;
  },
);
