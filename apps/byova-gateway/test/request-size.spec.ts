// A request is decoded only when what it carries besides caller audio is small: a 50 MB DTMF
// entry (the default message limit) decodes to about 2 GB of heap, enough to end the process.

import { status, type ServiceError } from '@grpc/grpc-js';
import { MAX_REQUEST_NON_AUDIO_BYTES } from '@org/byova';
import { AGENT, dtmf, event, startGateway, type RunningGateway } from './helpers/gateway';

let gw: RunningGateway;
beforeAll(async () => {
  gw = await startGateway();
});
afterAll(async () => {
  await gw.stop();
});

describe('a health Check naming a megabyte-long service', () => {
  it('is answered NOT_FOUND with the name cut short', async () => {
    const service = 'x'.repeat(1_000_000);
    const error = await new Promise<ServiceError | null>((resolve) =>
      gw.client.health.Check({ service }, { deadline: Date.now() + 10_000 }, (err) => resolve(err)),
    );
    expect(error?.code).toBe(status.NOT_FOUND);
    expect(error?.details).toBe(`unknown service: ${'x'.repeat(200)}… (1000000 characters)`);
  });
});

describe('requests large outside caller audio', () => {
  it('refuses a DTMF entry of a million keys with INVALID_ARGUMENT, without decoding it', async () => {
    await gw.client.rpc([event('keys-1', 'SESSION_START')]);
    const keys = new Array<string>(1_000_000).fill('DTMF_DIGIT_FIVE');
    const result = await gw.client.rpc([dtmf('keys-1', keys)]);
    expect(result.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(result.error?.details).toMatch(
      new RegExp(`besides caller audio; the limit is ${MAX_REQUEST_NON_AUDIO_BYTES}$`),
    );
    // The call goes on: the next entry is answered (5 transfers).
    const next = await gw.client.rpc([dtmf('keys-1', ['DTMF_DIGIT_FIVE'])]);
    expect(next.error).toBeUndefined();
    expect(next.responses.at(-1)?.output_events[0]?.event_type).toBe('TRANSFER_TO_AGENT');
  });

  it('refuses event parameters beyond the limit, and still takes large caller audio', async () => {
    const big = 'x'.repeat(MAX_REQUEST_NON_AUDIO_BYTES);
    const refused = await gw.client.rpc([
      event('params-1', 'SESSION_START', {
        event_input: {
          event_type: 'SESSION_START',
          parameters: { fields: { note: { stringValue: big } } },
        },
      }),
    ]);
    expect(refused.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(gw.gateway.registry.get('params-1')).toBeUndefined();
    const audio = await gw.client.rpc([
      {
        conversation_id: 'params-2',
        virtual_agent_id: AGENT,
        audio_input: { caller_audio: Buffer.alloc(1_000_000, 0xff), encoding: 'MULAW_FORMAT' },
      },
    ]);
    expect(audio.error).toBeUndefined();
  });
});
