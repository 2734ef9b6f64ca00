// Issue 15: no metric label takes its value from client input. Two batches of hostile requests
// with different made-up values must leave the number of series unchanged, and no series may
// carry a value the client made up.

import { randomBytes } from 'node:crypto';
import { credentials, Metadata } from '@grpc/grpc-js';
import { loadByovaGrpcObject, type VoiceVARequest } from '@org/byova';
import { dtmf, event, startGateway, testConfig, type RunningGateway } from './helpers/gateway';

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway(
    testConfig({
      // Tokens are checked and refused for every reason, but calls go on (log only).
      jwt_validation: {
        enabled: true,
        enforce_validation: false,
        datasource_url: 'https://byova.example.com/',
      },
      voice_activity_detection: { no_input_timeout_ms: 200 },
    }),
  );
});
afterAll(async () => {
  await gw.stop();
});

const b64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Tokens that fail for every reason the validator has, with made-up values in them. */
function hostileTokens(marker: string): string[] {
  return [
    marker,
    `${b64({ alg: `HS${marker}` })}.${b64({})}.x`,
    `${b64({ alg: 'RS256', kid: marker })}.${b64({ iss: `https://${marker}.example/` })}.x`,
    `${b64({ alg: 'RS256' })}.${b64({})}.x`,
    `Bearer ${marker}.${marker}.${marker}`,
  ];
}

async function rpc(requests: VoiceVARequest[], token: string, trackingid: string): Promise<void> {
  const metadata = new Metadata();
  metadata.set('authorization', token);
  metadata.set('trackingid', trackingid);
  await new Promise<void>((resolve) => {
    const call = gw.client.va.ProcessCallerInput(metadata);
    call.on('data', () => undefined);
    call.on('error', () => resolve());
    call.on('end', () => resolve());
    for (const request of requests) call.write(request);
    call.end();
  });
}

async function hostileBatch(): Promise<void> {
  const marker = `m${randomBytes(6).toString('hex')}`;
  const tokens = hostileTokens(marker);
  const id = (n: number): string => `${marker}-${n}\u200b`;
  const batches: VoiceVARequest[][] = [
    [event(id(1), 'SESSION_START', { virtual_agent_id: `Agent ${marker}` })],
    [event('', 'SESSION_START')],
    [event('x'.repeat(300), 'SESSION_START')],
    [event(id(2), 'SESSION_START'), event(id(3), 'NO_INPUT')],
    [event(id(4), 'SESSION_START'), event(id(4), 'CUSTOM_EVENT', {}, marker)],
    [{ ...event(id(5), 'SESSION_START'), event_input: { event_type: 99 as never, name: marker } }],
    [dtmf(id(6), ['DTMF_EVENT_UNSPECIFIED'])],
    [dtmf(id(7), [42 as never])],
    [
      {
        conversation_id: id(8),
        customer_org_id: marker,
        audio_input: {
          caller_audio: Buffer.alloc(161),
          encoding: 'LINEAR16_FORMAT',
          sample_rate_hertz: 12345,
        },
      },
      {
        conversation_id: id(8),
        audio_input: { caller_audio: Buffer.alloc(4000, 0xff), encoding: 7 as never },
      },
    ],
    [event(id(9), 'SESSION_END', { virtual_agent_id: '' })],
  ];
  for (const [i, requests] of batches.entries()) {
    await rpc(requests, tokens[i % tokens.length] ?? marker, marker);
  }
  await new Promise<void>((resolve) =>
    gw.client.va.ListVirtualAgents(
      { customer_org_id: marker, is_default_virtual_agent_enabled: true },
      (() => {
        const m = new Metadata();
        m.set('authorization', tokens[2] ?? '');
        return m;
      })(),
      () => resolve(),
    ),
  );
  await fetch(`${gw.httpUrl}/${marker}?${marker}=${marker}`);
  await fetch(`${gw.httpUrl}/api/status`, { method: marker.slice(0, 7).toUpperCase() });
  // Health with made-up service names (exempt from JWT by default).
  const { grpc } = loadByovaGrpcObject();
  const health = new grpc.health.v1.Health(gw.address, credentials.createInsecure());
  await new Promise<void>((resolve) => health.Check({ service: marker }, () => resolve()));
  health.close();
}

describe('metric labels', () => {
  it('keeps the series count fixed whatever clients send, and no series carries client input', async () => {
    // The gateway's own series (process metrics such as GC kinds may appear on their own).
    const series = async (): Promise<string[]> =>
      (await gw.gateway.metrics.render()).split('\n').filter((line) => line.startsWith('byova_'));
    await hostileBatch();
    const first = (await series()).length;
    await hostileBatch();
    await hostileBatch();
    const ours = await series();
    expect(ours.length).toBe(first);
    const text = ours.join('\n');
    const labelValues = ours.flatMap((line) => [...line.matchAll(/="([^"]*)"/g)].map((m) => m[1]));
    expect(labelValues.length).toBeGreaterThan(10);
    // Every label value is a fixed word (status codes, reasons, kinds, buckets, connector keys).
    for (const value of labelValues) expect(value).toMatch(/^([A-Za-z_]+|[0-9.e+]+|\+Inf)$/);
    expect(text).not.toMatch(/m[0-9a-f]{12}/);
    expect(text).toMatch(/^byova_jwt_rejections_total\{reason="issuer"\} [1-9]/m);
  });
});
