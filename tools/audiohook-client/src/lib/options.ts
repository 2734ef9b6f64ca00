// Command-line options of the test client, validated with zod. Names follow the reference CLI.

import { parseArgs } from 'node:util';
import { parseDuration, UUID_PATTERN } from '@org/audiohook-protocol';
import { z } from 'zod';
import { ClientError, ClientErrorCode } from './errors';

/** A scripted action, run at `atMs` of stream time after `opened`. */
export type ScriptAction =
  | { readonly atMs: number; readonly kind: 'pause' | 'resume' }
  | { readonly atMs: number; readonly kind: 'discard'; readonly durationMs: number }
  | { readonly atMs: number; readonly kind: 'update'; readonly language: string }
  | { readonly atMs: number; readonly kind: 'close' };

/** The validated options. */
export interface ClientOptions {
  readonly uri: URL;
  readonly apiKey: string;
  readonly clientSecret: string | undefined;
  readonly wavFile: string | undefined;
  readonly customConfig: Record<string, unknown> | undefined;
  readonly language: string | undefined;
  readonly supportedLanguages: boolean;
  readonly sessionCount: number;
  readonly connectionRate: number;
  readonly maxStreamDurationMs: number | undefined;
  readonly connectionProbe: boolean;
  readonly orgId: string | undefined;
  /** `--session-log-level`; default `info` for one session, `warn` for more (load mode). */
  readonly sessionLogLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  readonly script: readonly ScriptAction[];
  readonly json: boolean;
  readonly openTimeoutMs: number;
}

/** A usage problem: the CLI prints the message and the usage, and exits with status 2. */
export class UsageError extends ClientError {
  constructor(message: string) {
    super(ClientErrorCode.Usage, message);
  }
}

export const USAGE = `Usage: audiohook-client [serveruri] [options]

Connects to an AudioHook server, streams a 1 kHz tone or a WAV file, and reports the results.

Options:
  --uri <uri>                     server URI (ws:// or wss://), instead of the positional argument
  --api-key <key>                 X-API-KEY (default: test-api-key)
  --client-secret <base64>        client secret; signs the upgrade request when given
  --wavfile <file>                stream this WAV (PCM16/μ-law/A-law, any rate, mono or stereo)
  --custom-config <json>          open.customConfig (repeatable; objects are merged)
  --language <code>               open.language, e.g. en-US
  --supported-languages           ask the server for its languages
  --session-count <n>             concurrent sessions (default 1)
  --connection-rate <n>           new sessions per second (default 50)
  --max-stream-duration <s|PTnS>  stop streaming after this long (default: the source's length;
                                  the tone runs until Ctrl-C)
  --connection-probe              send a connection probe (nil ids; no audio unless a duration)
  --orgid <uuid>                  organization id (default: random per run)
  --session-log-level <level>     fatal|error|warn|info|debug|trace|silent, on stderr (default
                                  info: a line per protocol message; warn with --session-count > 1)
  --script <actions>              e.g. "pause@2,resume@4,discard@5:1.5,update@6:fr-FR,close@8"
                                  (times and durations in seconds after opened)
  --open-timeout <ms>             opened deadline (default 5000)
  --json                          print the summary as JSON
  -h, --help                      show this help

Ctrl-C (or SIGINT/SIGTERM) closes every session properly; a second one exits at once.`;

const seconds = (text: string, what: string): number => {
  const trimmed = text.trim();
  if (/^PT/.test(trimmed)) {
    try {
      return parseDuration(trimmed) / 1e6;
    } catch {
      throw new UsageError(`${what}: "${text}" is not a PT…S duration`);
    }
  }
  const value = Number(trimmed);
  if (trimmed === '' || !Number.isFinite(value) || value < 0) {
    throw new UsageError(`${what}: "${text}" is not a number of seconds`);
  }
  return value * 1000;
};

/** Parses `--script`. */
export function parseScript(text: string): ScriptAction[] {
  const actions: ScriptAction[] = [];
  for (const raw of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const match = /^(pause|resume|discard|update|close)@([^:]+)(?::(.+))?$/.exec(raw);
    if (match === null) {
      throw new UsageError(`--script: "${raw}" is not action@seconds[:argument]`);
    }
    const kind = match[1] as ScriptAction['kind'];
    const atMs = seconds(match[2] as string, `--script ${kind}`);
    const arg = match[3];
    if (kind === 'discard') {
      if (arg === undefined)
        throw new UsageError('--script discard needs a duration: discard@5:1.5');
      actions.push({ atMs, kind, durationMs: seconds(arg, '--script discard') });
    } else if (kind === 'update') {
      if (arg === undefined || !/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(arg)) {
        throw new UsageError('--script update needs a language: update@6:fr-FR');
      }
      actions.push({ atMs, kind, language: arg });
    } else {
      if (arg !== undefined) throw new UsageError(`--script ${kind} takes no argument`);
      actions.push({ atMs, kind });
    }
  }
  return actions.sort((a, b) => a.atMs - b.atMs);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const schema = z.object({
  apiKey: z.string().regex(/^[a-zA-Z0-9+/_-]+={0,2}$/, 'must match ^[a-zA-Z0-9+/_-]+={0,2}$'),
  clientSecret: z.string().regex(BASE64, 'must be base64').optional(),
  sessionCount: z.coerce.number().int().min(1).max(100_000),
  connectionRate: z.coerce.number().min(0.1).max(10_000),
  orgId: z.string().regex(UUID_PATTERN, 'must be a UUID').optional(),
  sessionLogLevel: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
    .optional(),
  openTimeoutMs: z.coerce.number().int().min(100).max(60_000),
});

/** The raw values of `argv` (node:util parseArgs, strict). */
function parseArgv(argv: readonly string[]) {
  try {
    return parseArgs({
      args: [...argv],
      allowPositionals: true,
      strict: true,
      options: {
        uri: { type: 'string' },
        'api-key': { type: 'string', default: 'test-api-key' },
        'client-secret': { type: 'string' },
        wavfile: { type: 'string' },
        'custom-config': { type: 'string', multiple: true },
        language: { type: 'string' },
        'supported-languages': { type: 'boolean', default: false },
        'session-count': { type: 'string', default: '1' },
        'connection-rate': { type: 'string', default: '50' },
        'max-stream-duration': { type: 'string' },
        'connection-probe': { type: 'boolean', default: false },
        orgid: { type: 'string' },
        'session-log-level': { type: 'string' },
        script: { type: 'string', default: '' },
        'open-timeout': { type: 'string', default: '5000' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Merges the `--custom-config` JSON objects, in order. */
function mergeCustomConfig(texts: readonly string[]): Record<string, unknown> | undefined {
  let customConfig: Record<string, unknown> | undefined;
  for (const text of texts) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new UsageError(`--custom-config: not valid JSON: ${text}`);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new UsageError('--custom-config: must be a JSON object');
    }
    customConfig = { ...customConfig, ...(value as Record<string, unknown>) };
  }
  return customConfig;
}

/**
 * Parses and validates `argv` (without the node and script entries).
 *
 * @returns `undefined` when `--help` was asked for.
 * @throws UsageError naming the bad option.
 */
export function parseOptions(argv: readonly string[]): ClientOptions | undefined {
  const parsed = parseArgv(argv);
  const v = parsed.values;
  if (v.help === true) return undefined;
  const positional = parsed.positionals;
  if (positional.length > 1)
    throw new UsageError(`unexpected arguments: ${positional.slice(1).join(' ')}`);
  const uriText = v.uri ?? positional[0];
  if (uriText === undefined) throw new UsageError('a server URI is required (--uri or positional)');
  if (v.uri !== undefined && positional[0] !== undefined) {
    throw new UsageError('give the server URI either as --uri or positionally, not both');
  }
  let uri: URL;
  try {
    uri = new URL(uriText);
  } catch {
    throw new UsageError(`--uri: "${uriText}" is not a URL`);
  }
  if (uri.protocol !== 'ws:' && uri.protocol !== 'wss:') {
    throw new UsageError(`--uri: use ws:// or wss://, not ${uri.protocol}//`);
  }
  const checked = schema.safeParse({
    apiKey: v['api-key'],
    clientSecret: v['client-secret'],
    sessionCount: v['session-count'],
    connectionRate: v['connection-rate'],
    orgId: v.orgid,
    sessionLogLevel: v['session-log-level'],
    openTimeoutMs: v['open-timeout'],
  });
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const name = String(issue?.path[0] ?? '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    throw new UsageError(`--${name}: ${issue?.message ?? 'invalid'}`);
  }
  const customConfig = mergeCustomConfig(v['custom-config'] ?? []);
  if (v['connection-probe'] === true && v.wavfile !== undefined) {
    throw new UsageError('--connection-probe cannot be combined with --wavfile');
  }
  const language = v.language;
  if (language !== undefined && !/^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$/.test(language)) {
    throw new UsageError(`--language: "${language}" is not a language tag`);
  }
  return {
    uri,
    ...checked.data,
    // Load mode is quiet unless asked: info logs every message of every session.
    sessionLogLevel:
      checked.data.sessionLogLevel ?? (checked.data.sessionCount > 1 ? 'warn' : 'info'),
    clientSecret: checked.data.clientSecret,
    orgId: checked.data.orgId,
    wavFile: v.wavfile,
    customConfig,
    language,
    supportedLanguages: v['supported-languages'] === true,
    maxStreamDurationMs:
      v['max-stream-duration'] === undefined
        ? undefined
        : seconds(v['max-stream-duration'], '--max-stream-duration'),
    connectionProbe: v['connection-probe'] === true,
    script: parseScript(v.script ?? ''),
    json: v.json === true,
  };
}
