// A stream that never half-closes and sends nothing more holds a slot of
// `gateway.max_caller_streams` and pins its conversation (the idle reaper skips conversations with
// an open stream): it is ended after `gateway.stream_idle_timeout_seconds` without a request, unless
// something of it is under way.

import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import {
  event,
  metricValue,
  startGateway,
  testConfig,
  until,
  type WxccClient,
} from './helpers/gateway';
import { HELD_AGENT, HeldConnector } from './helpers/held-connector';

/** Opens a stream; resolves with its error (undefined: it ended OK) and collects prompt texts. */
function openStream(client: WxccClient) {
  const call = client.va.ProcessCallerInput(new Metadata());
  const prompts: string[] = [];
  let settled = false;
  const ended = new Promise<ServiceError | undefined>((resolve) => {
    call.on('data', (r: { prompts: { text: string }[] }) =>
      prompts.push(...r.prompts.map((p) => p.text)),
    );
    call.on('error', (error: ServiceError) => resolve(error));
    call.on('end', () => resolve(undefined));
  }).finally(() => (settled = true));
  return { call, prompts, ended, isSettled: () => settled };
}

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

  it('does not end a stream whose turn outlasts the timeout, while an idle one is ended', async () => {
    const connector = new HeldConnector();
    const gw = await startGateway(testConfig({ gateway: { stream_idle_timeout_seconds: 0.05 } }), {
      connectors: [connector],
    });
    const held = openStream(gw.client);
    try {
      held.call.write({
        conversation_id: 'held-1',
        virtual_agent_id: HELD_AGENT,
        dtmf_input: { dtmf_events: ['DTMF_DIGIT_SEVEN'] },
      });
      await until(() => connector.dtmfBegun, 'the DTMF turn to begin');
      // A stream opened after the turn began and sending nothing: once the sweep ends it, the
      // held stream (no request since before it) has been idle longer than the timeout as well.
      const idle = openStream(gw.client);
      expect((await idle.ended)?.code).toBe(status.DEADLINE_EXCEEDED);
      // The turn is still under way: its stream is open, and gets its reply.
      expect(held.isSettled()).toBe(false);
      expect(await metricValue(gw.gateway, 'byova_streams_active')).toBe(1);
      connector.release();
      held.call.end();
      expect(await held.ended).toBeUndefined();
      expect(held.prompts).toEqual(['keys 7']);
    } finally {
      connector.release();
      held.call.cancel();
      await gw.stop();
    }
  });

  it("defaults to 600 s (the idle reaper's time); 0 turns it off", () => {
    expect(testConfig().gateway.stream_idle_timeout_seconds).toBe(600);
    expect(
      testConfig({ gateway: { stream_idle_timeout_seconds: 0 } }).gateway
        .stream_idle_timeout_seconds,
    ).toBe(0);
  });
});
