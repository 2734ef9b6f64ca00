// A stream that never half-closes and sends nothing more holds a slot of
// `gateway.max_caller_streams` and pins its conversation (the idle reaper skips conversations with
// an open stream): it is ended after `gateway.stream_idle_timeout_seconds` without a request, unless
// something of it is under way.

import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { event, metricValue, startGateway, testConfig, until } from './helpers/gateway';

describe('gateway.stream_idle_timeout_seconds', () => {
  it('ends a stream that sends nothing more and never half-closes, and frees its slot', async () => {
    const gw = await startGateway(
      testConfig({ gateway: { stream_idle_timeout_seconds: 0.2, max_caller_streams: 1 } }),
    );
    try {
      const call = gw.client.va.ProcessCallerInput(new Metadata());
      const prompts: string[] = [];
      const ended = new Promise<ServiceError | undefined>((resolve) => {
        call.on('data', (r: { prompts: { text: string }[] }) =>
          prompts.push(...r.prompts.map((p) => p.text)),
        );
        call.on('error', (error: ServiceError) => resolve(error));
        call.on('end', () => resolve(undefined));
      });
      call.write(event('idle-1', 'SESSION_START'));
      // No half-close, nothing more: the stream is ended once idle for the timeout.
      await until(
        async () =>
          (await metricValue(gw.gateway, 'byova_streams_active')) === 0 && prompts.length > 0,
        'the idle stream to be closed',
      );
      const error = await ended;
      expect(error?.code).toBe(status.DEADLINE_EXCEEDED);
      expect(error?.details).toBe(
        'no request for 0.2 s: the stream is closed (gateway.stream_idle_timeout_seconds)',
      );
      expect(prompts[0]).toMatch(/^Hello, welcome/);
      // Its slot is free again, and the conversation goes on.
      const next = await gw.client.rpc([event('idle-1', 'NO_INPUT')]);
      expect(next.error).toBeUndefined();
      expect(gw.gateway.registry.get('idle-1')).toBeDefined();
    } finally {
      await gw.stop();
    }
  });

  it('defaults to 60 s; 0 turns it off', () => {
    expect(testConfig().gateway.stream_idle_timeout_seconds).toBe(60);
    expect(
      testConfig({ gateway: { stream_idle_timeout_seconds: 0 } }).gateway
        .stream_idle_timeout_seconds,
    ).toBe(0);
  });
});
