import { messageOf } from '@org/cresta-handoff';
import { type FakeCrestaApi, startFakeCrestaApi } from '@org/cresta-handoff/testing';
import handoffEvent from '../../events/get-handoff-data.json';
import pstnEvent from '../../events/get-pstn-transfer-data.json';
import { createConnectLambda, createLogger } from '../composition';
import { loadConfig } from '../config';
import { REDACTED, isSecretKey } from './redact';

/** Where the harness reads and writes; `process` in `main.ts`, buffers in tests. */
export interface HarnessIo {
  readonly env: Readonly<Record<string, string | undefined>>;
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Promise<string>;
  readStdin(): Promise<string>;
}

export const HARNESS_USAGE = `Local harness for the connect-lambda handler.

Usage:
  nx serve connect-lambda                          demo: both actions against a local fake Cresta API
  node main.js --event <file|-> [--fake]           invoke the handler with one Connect event
  node main.js --event <file|-> --action <action>  ...overriding Details.Parameters.action

Options:
  --event <file|->  Connect event JSON (a file, or - for stdin); configuration comes from the
                    environment (same variables as the Lambda) and the event's Parameters
  --fake            start a local fake of the Cresta API and OAuth server and point the
                    configuration at it (implied when --event is not given)
  --action <name>   set Details.Parameters.action (get_pstn_transfer_data | get_handoff_data)
  --verbose         print the Lambda's INFO/DEBUG log lines (JSON, on stdout) as well
  --help            show this text

Exit codes: 0 success, 1 the handler failed (message on stderr), 2 bad usage.`;

interface HarnessArgs {
  event?: string;
  fake: boolean;
  action?: string;
  verbose: boolean;
  help: boolean;
}

function parseArgs(argv: readonly string[]): HarnessArgs | string {
  const args: HarnessArgs = { fake: false, verbose: false, help: false };
  // Accept `--event=<file>` as well as `--event <file>`.
  argv = argv.flatMap((arg) => {
    const eq = arg.indexOf('=');
    return arg.startsWith('--') && eq > 0 ? [arg.slice(0, eq), arg.slice(eq + 1)] : [arg];
  });
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = (): string | undefined => {
      i += 1;
      return argv[i];
    };
    switch (arg) {
      case '--event': {
        const file = value();
        if (file === undefined) return '--event needs a file name or -';
        args.event = file;
        break;
      }
      case '--action': {
        const action = value();
        if (action === undefined) return '--action needs a value';
        args.action = action;
        break;
      }
      case '--fake':
        args.fake = true;
        break;
      case '--verbose':
        args.verbose = true;
        break;
      case '--help':
      case '-h':
        args.help = true;
        break;
      default:
        return `unknown argument: ${arg}`;
    }
  }
  return args;
}

function withAction(event: unknown, action: string | undefined): unknown {
  if (action === undefined) return event;
  const base = (event ?? {}) as { Details?: { Parameters?: Record<string, unknown> } };
  return {
    ...base,
    Details: { ...base.Details, Parameters: { ...base.Details?.Parameters, action } },
  };
}

function fakeEnv(env: HarnessIo['env'], fake: FakeCrestaApi): Record<string, string | undefined> {
  return {
    ...env,
    region: env['region'] || 'us-west-2-staging',
    apiDomain: fake.url,
    authDomain: fake.url,
    oauthClientId: 'demo-client',
    oauthClientSecret: 'demo-secret',
    oauthSecretArn: '',
    apiKey: '',
    virtualAgentName:
      env['virtualAgentName'] || 'customers/demo/profiles/main/virtualAgents/demo-agent',
  };
}

function mask(value: unknown): unknown {
  return JSON.parse(
    JSON.stringify(value, (key, item: unknown) =>
      key !== '' && isSecretKey(key) && typeof item === 'string' ? REDACTED : item,
    ),
  ) as unknown;
}

/**
 * Runs the harness and resolves with the process exit code. `signal` stops it early (SIGTERM),
 * closing the fake server and the handler's connections.
 */
export async function runHarness(
  argv: readonly string[],
  io: HarnessIo,
  signal?: AbortSignal,
): Promise<number> {
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    io.stderr(`Error: ${args}\n\n${HARNESS_USAGE}\n`);
    return 2;
  }
  if (args.help) {
    io.stdout(`${HARNESS_USAGE}\n`);
    return 0;
  }
  const useFake = args.fake || args.event === undefined;
  let fake: FakeCrestaApi | undefined;
  let app: ReturnType<typeof createConnectLambda> | undefined;
  try {
    const events: { label: string; event: unknown }[] = [];
    if (args.event === undefined) {
      events.push({ label: 'get_pstn_transfer_data', event: withAction(pstnEvent, args.action) });
      events.push({ label: 'get_handoff_data', event: withAction(handoffEvent, args.action) });
    } else {
      const text = args.event === '-' ? await io.readStdin() : await io.readFile(args.event);
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (err) {
        io.stderr(`Error: the event is not valid JSON: ${messageOf(err)}\n`);
        return 2;
      }
      events.push({ label: args.event, event: withAction(parsed, args.action) });
    }
    if (useFake) fake = await startFakeCrestaApi();
    const config = loadConfig(fake === undefined ? io.env : fakeEnv(io.env, fake));
    // The Lambda's log lines go through the harness's stdout, and only with --verbose.
    const logger = createLogger(
      { ...config, logLevel: args.verbose ? config.logLevel : 'silent' },
      { write: (line) => io.stdout(line) },
    );
    app = createConnectLambda(config, { logger });
    const demo = args.event === undefined;
    if (demo) io.stdout(`Local fake Cresta API and OAuth server at ${fake?.url ?? ''}\n`);
    for (const { label, event } of events) {
      if (signal?.aborted) return 143;
      const started = Date.now();
      const result = await app.handler(event, {
        awsRequestId: `local-${started}`,
        getRemainingTimeInMillis: () => 8000 - (Date.now() - started),
      });
      io.stdout(
        demo
          ? `\n${label} →\n${JSON.stringify(result, null, 2)}\n`
          : `${JSON.stringify(result, null, 2)}\n`,
      );
    }
    if (demo && fake !== undefined) {
      io.stdout('\nRequests the fake received:\n');
      for (const request of fake.requests) {
        io.stdout(`  ${request.method} ${request.path}  ${JSON.stringify(mask(request.json))}\n`);
      }
    }
    return 0;
  } catch (err) {
    io.stderr(`Error: ${messageOf(err)}\n`);
    return 1;
  } finally {
    await app?.close();
    await fake?.close();
  }
}
