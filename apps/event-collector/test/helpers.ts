import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCollector, type Collector } from '../src/app';
import { loadConfig } from '../src/config';
import { createLogger } from '../src/logger';
import type { FakeElastic } from './fakes/fake-elastic';
import { audioHookBody, type FakeGenesys } from './fakes/fake-genesys';

/** Log lines a test collector wrote, parsed. */
export class LogCapture {
  readonly lines: Record<string, unknown>[] = [];
  readonly raw: string[] = [];
  write(s: string): void {
    this.raw.push(s);
    this.lines.push(JSON.parse(s) as Record<string, unknown>);
  }
  messages(): string[] {
    return this.lines.map((l) => String(l['msg']));
  }
  has(fragment: string): boolean {
    return this.messages().some((m) => m.includes(fragment));
  }
}

export interface TestCollector {
  collector: Collector;
  dir: string;
  outFile: string;
  logs: LogCapture;
  env: Record<string, string>;
  http(path: string): Promise<{ status: number; json: unknown; text: string }>;
  records(): Record<string, unknown>[];
  stop(): Promise<void>;
}

/** Settings that make every interval test-sized while keeping the production logic. */
export function testEnv(
  genesys: FakeGenesys,
  dir: string,
  elastic?: FakeElastic,
): Record<string, string> {
  return {
    GENESYS_CLIENT_ID: genesys.o.clientId,
    GENESYS_CLIENT_SECRET: genesys.o.clientSecret,
    GENESYS_LOGIN_BASE_URL: genesys.baseUrl,
    GENESYS_API_BASE_URL: genesys.baseUrl,
    OUTPUT_FILE: join(dir, 'out', 'audiohook_events.jsonl'),
    TOPICS_FILE: '',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    RECONNECT_DELAY: '0.05',
    MAX_RECONNECT_DELAY: '0.4',
    HEARTBEAT_TIMEOUT_MS: '3000',
    PING_INTERVAL_MS: '500',
    PONG_TIMEOUT_MS: '1500',
    MIN_CHANNEL_CREATE_INTERVAL_S: '0',
    BACKFILL_MARGIN_S: '1',
    CONSOLE_OUTPUT: 'false',
    LOG_LEVEL: 'debug',
    SHUTDOWN_TIMEOUT_MS: '3000',
    ...(elastic
      ? {
          ELASTIC_URL: elastic.baseUrl,
          BULK_SIZE: '10',
          ELASTIC_FLUSH_INTERVAL_MS: '100',
          ELASTIC_RETRY_BASE_MS: '20',
          ELASTIC_RETRY_MAX_MS: '200',
          ELASTIC_MAX_RETRIES: '2',
        }
      : {}),
  };
}

/** Starts the real collector (composition root and all) against the fakes. */
export async function startCollector(
  genesys: FakeGenesys,
  opts: { elastic?: FakeElastic; env?: Record<string, string>; dir?: string } = {},
): Promise<TestCollector> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'event-collector-'));
  const env = { ...testEnv(genesys, dir, opts.elastic), ...opts.env };
  const config = loadConfig(env);
  const logs = new LogCapture();
  const collector = createCollector(config, createLogger(config.log, logs));
  await collector.start();
  return {
    collector,
    dir,
    outFile: config.output.file,
    logs,
    env,
    async http(path) {
      const res = await fetch(`http://127.0.0.1:${collector.httpPort}${path}`);
      const text = await res.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, text };
    },
    records() {
      return readJsonl(config.output.file);
    },
    async stop() {
      await collector.stop();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Parses a JSONL file (missing file: no records). A last line without its newline is still being
 * written by a running collector (a read can see part of a write) and is left out.
 */
export function readJsonl(file: string): Record<string, unknown>[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

const publishing = new Set<() => void>();

/**
 * Publishes one AudioHook event every `everyMs` (numbered from `from`) until stopped; `sent`
 * holds their conversation ids.
 */
export function publisher(genesys: FakeGenesys, everyMs = 10, from = 0) {
  const sent: string[] = [];
  let n = from;
  const timer = setInterval(() => {
    const body = audioHookBody(n);
    n += 1;
    sent.push(String(body['conversationId']));
    genesys.publish(topicOf(), body);
  }, everyMs);
  const stop = (): void => {
    clearInterval(timer);
    publishing.delete(stop);
  };
  publishing.add(stop);
  return {
    sent,
    get count() {
      return sent.length;
    },
    stop,
  };
}

/** Stops the publishers a test left running (it failed before it stopped them): for `afterEach`. */
export function stopPublishers(): void {
  for (const stop of [...publishing]) stop();
}

/** Polls until `check` returns truthy, or fails after `timeoutMs` with `what`. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 10_000,
): Promise<Exclude<T, false | null | undefined | '' | 0>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, false | null | undefined | '' | 0>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const delay = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Loads a fixture file from test/fixtures. */
export function fixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as T;
}

/** Topic of an AudioHook definition. */
export const topicOf = (id = 'AUDIOHOOK-0001'): string => `v2.operations.events.${id}`;
