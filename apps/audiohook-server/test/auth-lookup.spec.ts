// An API key store that fails (a Secrets Manager outage past the cache) refuses the session,
// logged as a lookup failure and not counted as a replay-store error.

import type { IncomingMessage } from 'node:http';
import { createAudioHookHeaders } from '@org/audiohook-protocol';
import type { ApiKeyStore } from '../src/lib/api-keys';
import { RequestAuthenticator } from '../src/lib/auth';
import { createMetrics } from '../src/lib/metrics';
import { memoryLogger } from './helpers/logger';
import { SIGNED_KEY, SIGNED_SECRET } from './helpers/server';

function upgradeRequest(): IncomingMessage {
  const headers = createAudioHookHeaders({
    organizationId: 'd7934305-0972-4844-938e-9060eef73d05',
    sessionId: '30b0e395-84d3-4570-ac13-9a62d8f514c0',
    correlationId: 'e160e428-53e2-487c-977d-96989bf5c99d',
    apiKey: SIGNED_KEY,
    clientSecret: SIGNED_SECRET,
    requestTarget: '/api/v1/audiohook/ws',
    authority: 'audiohook.example',
  });
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  return {
    url: '/api/v1/audiohook/ws',
    headers: { ...lower, host: 'audiohook.example' },
  } as unknown as IncomingMessage;
}

describe('an API key store that fails', () => {
  it('refuses the request as UNAVAILABLE, logs an API key lookup failure and counts no replay-store error', async () => {
    const log = memoryLogger();
    const metrics = createMetrics({ defaultMetrics: false });
    const keys: ApiKeyStore = {
      lookup: () => Promise.reject(new Error('secrets manager throttled')),
      close: () => undefined,
    };
    const auth = new RequestAuthenticator({
      keys,
      metrics,
      nonceStore: undefined,
      logger: log.logger,
    });

    await expect(auth.authenticate(upgradeRequest())).resolves.toEqual({
      ok: false,
      code: 'UNAVAILABLE',
      info: 'UNAVAILABLE: the secret of the API key could not be looked up',
    });
    expect(log.lines()).toContainEqual(
      expect.objectContaining({
        level: 'error',
        msg: 'API key lookup failed: session refused (fail closed)',
        err: 'secrets manager throttled',
        sessionId: '30b0e395-84d3-4570-ac13-9a62d8f514c0',
      }),
    );
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/audiohook_auth_results_total\{code="UNAVAILABLE"\} 1\n/);
    expect(text).toMatch(/audiohook_replay_store_errors_total 0\n/);
  });
});
