// Measures @org/audiohook-protocol's codec and signature verifier beside the bare work they wrap:
// parse+validate of typical client messages vs plain JSON.parse, and signature verification vs a
// plain crypto.createHmac over the same signature base.

import { createHmac, timingSafeEqual } from 'node:crypto';
import {
  parseClientMessage,
  serializeMessage,
  type AudioHookMessage,
} from '@org/audiohook-protocol/codec';
import { verifySignatureSync, type SignedRequest } from '@org/audiohook-protocol/signature';
import { ManualClock } from '@org/audiohook-protocol/testing';

const ID = '6e1c4f3a-2b5d-4c8e-9f01-23456789abcd';
const UUID = 'd7934305-0972-4844-938e-9060eef73d05';

function envelope(
  seq: number,
  type: string,
  parameters: Record<string, unknown>,
  position = 'PT12.4S',
): string {
  return JSON.stringify({
    version: '2',
    id: ID,
    type,
    seq,
    serverseq: seq - 1,
    position,
    parameters,
  });
}

/**
 * A typical client message mix of a long session: mostly pings, with pauses, discards, updates,
 * an error and the open and close of the session.
 */
export const TYPICAL_CLIENT_MESSAGES: readonly string[] = [
  envelope(
    1,
    'open',
    {
      organizationId: UUID,
      conversationId: '90b0e395-84d3-4570-ac13-9a62d8f514c0',
      participant: {
        id: '883efee8-3d6c-4537-b500-6d7ca4b92fa0',
        ani: '+15555551234',
        aniName: 'Jane Doe',
        dnis: '+18005556789',
      },
      media: [
        { type: 'audio', format: 'PCMU', channels: ['external', 'internal'], rate: 8000 },
        { type: 'audio', format: 'PCMU', channels: ['external'], rate: 8000 },
        { type: 'audio', format: 'PCMU', channels: ['internal'], rate: 8000 },
      ],
      language: 'en-US',
      supportedLanguages: true,
      customConfig: { vendor: 'acme', translate: false },
    },
    'PT0S',
  ),
  envelope(2, 'ping', {}),
  envelope(3, 'ping', { rtt: 'PT0.012S' }),
  envelope(4, 'ping', { rtt: 'PT0.011S' }),
  envelope(5, 'paused', {}),
  envelope(6, 'resumed', { start: 'PT12.4S', discarded: 'PT3.2S' }),
  envelope(7, 'ping', { rtt: 'PT0.013S' }),
  envelope(8, 'discarded', { start: 'PT16S', discarded: 'PT0.2S' }),
  envelope(9, 'update', { language: 'fr-FR' }),
  envelope(10, 'ping', { rtt: 'PT0.012S' }),
  envelope(11, 'error', { code: 429, message: 'Too many requests', retryAfter: 'PT3S' }),
  envelope(12, 'close', { reason: 'end' }),
];

/** One measured operation. */
export interface Rate {
  readonly name: string;
  readonly perSecond: number;
}

/** Runs `work` (which performs `unit` operations) repeatedly for about `ms`; returns ops/s. */
export function measure(name: string, unit: number, ms: number, work: () => void): Rate {
  // Warm-up: let the JIT settle before measuring.
  const warmUntil = process.hrtime.bigint() + BigInt(Math.round(Math.max(20, ms / 2) * 1e6));
  do work();
  while (process.hrtime.bigint() < warmUntil);
  let operations = 0;
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round(ms * 1e6));
  let elapsed = 0n;
  do {
    work();
    operations += unit;
    elapsed = process.hrtime.bigint() - start;
  } while (elapsed < budget);
  return { name, perSecond: operations / (Number(elapsed) / 1e9) };
}

/** Median of the per-round rates of the same operation. */
function medianRate(rates: Rate[]): Rate {
  const sorted = [...rates].sort((a, b) => a.perSecond - b.perSecond);
  return sorted[Math.floor(sorted.length / 2)] as Rate;
}

/** The documented signature vector (AudioHook example 1) as a request. */
export const SIGNED_REQUEST: SignedRequest = {
  url: '/api/v1/voicebiometrics/ws',
  headers: {
    host: 'audiohook.example.com',
    'audiohook-organization-id': 'd7934305-0972-4844-938e-9060eef73d05',
    'audiohook-session-id': '30b0e395-84d3-4570-ac13-9a62d8f514c0',
    'audiohook-correlation-id': 'e160e428-53e2-487c-977d-96989bf5c99d',
    'x-api-key': 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh',
    'signature-input':
      'sig1=("@request-target" "@authority" "audiohook-organization-id" "audiohook-session-id" "audiohook-correlation-id" "x-api-key");keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";alg="hmac-sha256";created=1641013200;expires=3282026430',
    signature: 'sig1=:NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=:',
  },
};
const SECRET = 'TXlTdXBlclNlY3JldEtleVRlbGxOby0xITJAMyM0JDU=';
const SIGNATURE_BASE = [
  '"@request-target": /api/v1/voicebiometrics/ws',
  '"@authority": audiohook.example.com',
  '"audiohook-organization-id": d7934305-0972-4844-938e-9060eef73d05',
  '"audiohook-session-id": 30b0e395-84d3-4570-ac13-9a62d8f514c0',
  '"audiohook-correlation-id": e160e428-53e2-487c-977d-96989bf5c99d',
  '"x-api-key": SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh',
  '"@signature-params": ("@request-target" "@authority" "audiohook-organization-id" "audiohook-session-id" "audiohook-correlation-id" "x-api-key");keyid="SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh";nonce="VGhpc0lzQVVuaXF1ZU5vbmNl";alg="hmac-sha256";created=1641013200;expires=3282026430',
].join('\n');

/** Options of {@link runCodecBench}. */
export interface CodecBenchOptions {
  /** Milliseconds per round. */
  readonly roundMs: number;
  /** Rounds per operation (the median is reported). */
  readonly rounds: number;
}

/** The numbers of one run. */
export interface CodecBenchReport {
  /** parse+validate of the typical client messages, messages/s. */
  readonly parse: Rate;
  /** plain JSON.parse of the same texts, messages/s. */
  readonly jsonParse: Rate;
  /** serializeMessage of the parsed messages, messages/s. */
  readonly serialize: Rate;
  /** plain JSON.stringify of the same objects, messages/s. */
  readonly jsonStringify: Rate;
  /** verifySignatureSync of the documented vector, verifications/s. */
  readonly verify: Rate;
  /** createHmac + timingSafeEqual over the same signature base, verifications/s. */
  readonly hmac: Rate;
}

/**
 * Runs every measurement, interleaving rounds so machine noise hits all of them alike.
 *
 * @example
 * ```ts
 * const report = runCodecBench({ roundMs: 500, rounds: 5 });
 * ```
 */
export function runCodecBench(options: CodecBenchOptions): CodecBenchReport {
  const texts = TYPICAL_CLIENT_MESSAGES;
  const parsed = texts.map((t) => parseClientMessage(t)) as AudioHookMessage[];
  const key = Buffer.from(SECRET, 'base64');
  const expected = Buffer.from('NZBwyBHRRyRoeLqy1IzOa9VYBuI8TgMFt2GRDkDuJh4=', 'base64');
  const clock = new ManualClock(1641013201 * 1000);
  const verifyOptions = { clock, resolveSecret: () => SECRET };
  if (!verifySignatureSync(SIGNED_REQUEST, verifyOptions).ok)
    throw new Error('the vector does not verify');

  const work: Record<keyof CodecBenchReport, [number, () => void]> = {
    parse: [
      texts.length,
      () => {
        for (const t of texts) parseClientMessage(t);
      },
    ],
    jsonParse: [
      texts.length,
      () => {
        for (const t of texts) JSON.parse(t);
      },
    ],
    serialize: [
      parsed.length,
      () => {
        for (const m of parsed) serializeMessage(m);
      },
    ],
    jsonStringify: [
      parsed.length,
      () => {
        for (const m of parsed) JSON.stringify(m);
      },
    ],
    verify: [
      1,
      () => {
        if (!verifySignatureSync(SIGNED_REQUEST, verifyOptions).ok)
          throw new Error('verification failed');
      },
    ],
    hmac: [
      1,
      () => {
        const mac = createHmac('sha256', key).update(SIGNATURE_BASE, 'utf8').digest();
        if (!timingSafeEqual(mac, expected)) throw new Error('mac mismatch');
      },
    ],
  };
  const samples: Record<string, Rate[]> = {};
  for (let round = 0; round < options.rounds; round++) {
    for (const [name, [unit, fn]] of Object.entries(work)) {
      (samples[name] ??= []).push(measure(name, unit, options.roundMs, fn));
    }
  }
  const result = Object.fromEntries(
    Object.entries(samples).map(([name, rates]) => [name, medianRate(rates)]),
  );
  return result as unknown as CodecBenchReport;
}
