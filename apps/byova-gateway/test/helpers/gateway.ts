// Test helpers: a gateway on free loopback ports, and a WxCC-like gRPC client that opens one
// ProcessCallerInput stream per interaction, as WxCC does.

import { join } from 'node:path';
import { Metadata, credentials, type ServiceError } from '@grpc/grpc-js';
import { ToneGenerator, encodeUlaw } from '@org/audio';
import {
  loadByovaGrpcObject,
  type HealthClient,
  type VoiceVARequest,
  type VoiceVAResponse__Output,
  type VoiceVirtualAgentClient,
} from '@org/byova';
import pino from 'pino';
import { createGateway, type CreateGatewayOptions, type Gateway } from '../../src/app';
import { parseConfig, type GatewayConfig } from '../../src/config';

export const APP_DIR = join(__dirname, '../..');

/** A config with free ports, quiet logs and the shipped prompts, plus `overrides` (deep-merged). */
export function testConfig(overrides: Record<string, unknown> = {}): GatewayConfig {
  const base: Record<string, unknown> = {
    gateway: { host: '127.0.0.1', port: 0, shutdown_grace_seconds: 1 },
    monitoring: { enabled: true, host: '127.0.0.1', port: 0 },
    logging: { level: 'silent' },
    voice_activity_detection: { end_silence_ms: 300, start_debounce_ms: 60 },
    connectors: {
      local_audio_connector: {
        type: 'local_audio_connector',
        config: { audio_base_path: 'assets/prompts' },
      },
    },
  };
  return parseConfig(merge(base, overrides), {}, APP_DIR);
}

function merge(a: Record<string, unknown>, b: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...a };
  for (const [key, value] of Object.entries(b)) {
    const current = out[key];
    out[key] =
      value !== null &&
      typeof value === 'object' &&
      !Array.isArray(value) &&
      current !== null &&
      typeof current === 'object'
        ? merge(current as Record<string, unknown>, value as Record<string, unknown>)
        : value;
  }
  return out;
}

export interface RunningGateway {
  readonly gateway: Gateway;
  readonly address: string;
  readonly httpUrl: string;
  readonly client: WxccClient;
  stop(): Promise<void>;
}

export async function startGateway(
  config: GatewayConfig = testConfig(),
  options: CreateGatewayOptions = {},
): Promise<RunningGateway> {
  const gateway = createGateway(config, { logger: pino({ level: 'silent' }), ...options });
  const { grpcPort, monitoringPort } = await gateway.start();
  const address = `127.0.0.1:${grpcPort}`;
  const client = new WxccClient(address);
  return {
    gateway,
    address,
    httpUrl: `http://127.0.0.1:${monitoringPort ?? 0}`,
    client,
    stop: async () => {
      client.close();
      await gateway.stop();
    },
  };
}

export interface RpcResult {
  readonly responses: VoiceVAResponse__Output[];
  readonly error: ServiceError | undefined;
}

export interface RpcOptions {
  readonly metadata?: Record<string, string>;
  /** Half-close after writing (WxCC does). @default true */
  readonly halfClose?: boolean;
  /** Stop writing (and half-close) once a response matches, as WxCC does on END_OF_INPUT. */
  readonly stopWhen?: (response: VoiceVAResponse__Output) => boolean;
  /** Delay between requests in ms (0: as fast as possible). */
  readonly paceMs?: number;
}

export class WxccClient {
  readonly va: VoiceVirtualAgentClient;
  readonly health: HealthClient;

  constructor(address: string) {
    const { com, grpc } = loadByovaGrpcObject();
    const options = { 'grpc.max_receive_message_length': 64 * 1024 * 1024 };
    this.va = new com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent(
      address,
      credentials.createInsecure(),
      options,
    );
    this.health = new grpc.health.v1.Health(address, credentials.createInsecure());
  }

  close(): void {
    this.va.close();
    this.health.close();
  }

  /** One ProcessCallerInput stream: write the requests, half-close, collect until the stream ends. */
  rpc(requests: readonly VoiceVARequest[], options: RpcOptions = {}): Promise<RpcResult> {
    const metadata = new Metadata();
    for (const [k, v] of Object.entries(options.metadata ?? {})) metadata.set(k, v);
    return new Promise((resolve) => {
      const call = this.va.ProcessCallerInput(metadata);
      const responses: VoiceVAResponse__Output[] = [];
      let stopped = false;
      let ended = false;
      call.on('data', (response: VoiceVAResponse__Output) => {
        responses.push(response);
        if (options.stopWhen?.(response) === true && !stopped) {
          stopped = true;
          call.end();
        }
      });
      call.on('error', (error: ServiceError) => {
        ended = true;
        resolve({ responses, error });
      });
      call.on('status', () => undefined);
      call.on('end', () => {
        if (!ended) {
          ended = true;
          resolve({ responses, error: undefined });
        }
      });
      void (async () => {
        for (const request of requests) {
          if (stopped || ended) break;
          call.write(request);
          if ((options.paceMs ?? 0) > 0) await new Promise((r) => setTimeout(r, options.paceMs));
        }
        if (!stopped && !ended && options.halfClose !== false) call.end();
      })();
    });
  }
}

export const ORG = 'org-1';
export const AGENT = 'Local Audio: Local Playback';

export function event(
  conversationId: string,
  type: 'SESSION_START' | 'SESSION_END' | 'NO_INPUT' | 'START_OF_DTMF' | 'CUSTOM_EVENT',
  extra: Partial<VoiceVARequest> = {},
  name = '',
): VoiceVARequest {
  return {
    conversation_id: conversationId,
    customer_org_id: ORG,
    virtual_agent_id: AGENT,
    event_input: { event_type: type, name },
    ...extra,
  };
}

export function dtmf(conversationId: string, keys: readonly string[]): VoiceVARequest {
  return {
    conversation_id: conversationId,
    customer_org_id: ORG,
    virtual_agent_id: AGENT,
    dtmf_input: { dtmf_events: keys as never },
  };
}

/** `ms` of 440 Hz tone at amplitude 9000 then `silenceMs` of silence, as u-law. */
export function utterance(toneMs: number, silenceMs: number, leadMs = 300): Uint8Array {
  const gen = new ToneGenerator({ frequency: 440, sampleRate: 8000, amplitude: 9000 });
  const tone = encodeUlaw(gen.next(toneMs * 8));
  const out = new Uint8Array((leadMs + toneMs + silenceMs) * 8).fill(0xff);
  out.set(tone, leadMs * 8);
  return out;
}

/** Splits u-law audio into 160-byte `audio_input` requests (the first one format-only, like WxCC). */
export function audioRequests(
  conversationId: string,
  ulaw: Uint8Array,
  format: { encoding?: string; rate?: number } = {},
): VoiceVARequest[] {
  const requests: VoiceVARequest[] = [
    {
      conversation_id: conversationId,
      virtual_agent_id: AGENT,
      audio_input: {
        caller_audio: Buffer.alloc(3, 0xff),
        encoding: 'MULAW_FORMAT',
        sample_rate_hertz: 8000,
      },
    },
  ];
  for (let offset = 0; offset < ulaw.length; offset += 160) {
    requests.push({
      conversation_id: conversationId,
      virtual_agent_id: AGENT,
      audio_input: {
        caller_audio: Buffer.from(ulaw.subarray(offset, offset + 160)),
        encoding: (format.encoding ?? 'UNSPECIFIED_FORMAT') as never,
        sample_rate_hertz: format.rate ?? 0,
        language_code: 'en-US',
      },
    });
  }
  return requests;
}

export function eventTypes(responses: readonly VoiceVAResponse__Output[]): string[] {
  return responses.flatMap((r) => r.output_events.map((e) => e.event_type));
}

/**
 * Resolves once `condition` holds; rejects naming `what` after `timeoutMs` (a failing test never
 * hangs Jest).
 */
export async function until(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** The value of an unlabelled gauge or counter in the gateway's Prometheus text. */
export async function metricValue(gateway: Gateway, name: string): Promise<number> {
  const text = await gateway.metrics.render();
  const value = new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1];
  if (value === undefined) throw new Error(`no metric ${name}`);
  return Number(value);
}
