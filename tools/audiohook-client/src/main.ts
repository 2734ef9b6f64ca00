// The AudioHook test client CLI. Works with or without a terminal: keys (q, Ctrl-C, Ctrl-D) are
// read only when stdin is a TTY; signals always work.

import { createLogger, sessionLogger } from '@org/service-kit';
import pino from 'pino';
import { AudioInputError } from './lib/audio-input';
import { parseOptions, USAGE, UsageError, type ClientOptions } from './lib/options';
import { formatSummary, runClient } from './lib/runner';

async function main(): Promise<number> {
  let options: ClientOptions | undefined;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`audiohook-client: ${error.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw error;
  }
  if (options === undefined) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // The service kit's log format (level words, ISO time), on stderr: stdout is the summary.
  const log = createLogger({
    service: 'audiohook-client',
    level: options.sessionLogLevel,
    destination: pino.destination({ fd: 2, sync: true }),
  });
  const controller = new AbortController();
  let interrupts = 0;
  const interrupt = () => {
    interrupts++;
    if (interrupts > 1) {
      process.stderr.write('\naudiohook-client: exiting without closing\n');
      process.exit(130);
    }
    process.stderr.write('\naudiohook-client: closing sessions (again to exit at once)\n');
    controller.abort();
  };
  process.on('SIGINT', interrupt);
  process.on('SIGTERM', interrupt);
  const stdin = process.stdin;
  const keys = stdin.isTTY === true;
  if (keys) {
    stdin.setRawMode(true);
    stdin.resume();
    stdin.on('data', (chunk: Buffer) => {
      const key = chunk.toString('utf8');
      if (key === '\u0003' || key === '\u0004' || key === 'q') interrupt();
    });
  }
  try {
    const summary = await runClient(options, {
      progress: process.stderr,
      logger: (sessionId) => sessionLogger(log, sessionId),
      signal: controller.signal,
    });
    process.stdout.write(
      options.json ? `${JSON.stringify(summary)}\n` : `${formatSummary(summary)}\n`,
    );
    return summary.failed === 0 && summary.sessions > 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof AudioInputError) {
      process.stderr.write(`audiohook-client: ${error.message}\n`);
      return 2;
    }
    throw error;
  } finally {
    if (keys) {
      stdin.setRawMode(false);
      stdin.pause();
    }
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(
      `audiohook-client: ${error instanceof Error ? error.stack : String(error)}\n`,
    );
    process.exit(1);
  },
);
