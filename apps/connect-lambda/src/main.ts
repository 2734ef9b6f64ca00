// Local harness behind `nx serve connect-lambda`: invokes the real handler with sample Connect
// events against a local fake of the Cresta API (or a real one, with --event and the environment).
import { readFile } from 'node:fs/promises';
import { runHarness } from './lib/harness';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

const controller = new AbortController();
const stop = (): void => controller.abort();
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

void runHarness(
  process.argv.slice(2),
  {
    env: process.env,
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    readFile: (path) => readFile(path, 'utf8'),
    readStdin,
  },
  controller.signal,
).then((code) => {
  process.off('SIGTERM', stop);
  process.off('SIGINT', stop);
  process.exitCode = code;
});
