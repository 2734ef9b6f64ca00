// A request is decoded only when what it carries besides caller audio is small: a 50 MB DTMF
// entry (the default message limit) decodes to about 2 GB of heap, enough to end the process.

import { Client, Metadata, credentials, status, type ServiceError } from '@grpc/grpc-js';
import {
  MAX_AUDIO_INPUT_RECORDS,
  MAX_REQUEST_NON_AUDIO_BYTES,
  PROCESS_CALLER_INPUT_PATH,
} from '@org/byova';
import {
  AGENT,
  dtmf,
  event,
  startGateway,
  testConfig,
  type RunningGateway,
} from './helpers/gateway';

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

/** Sends `bytes` as one encoded ProcessCallerInput request, half-closes; resolves with the status. */
function sendRaw(address: string, bytes: Buffer): Promise<ServiceError | undefined> {
  const client = new Client(address, credentials.createInsecure());
  const call = client.makeBidiStreamRequest(
    PROCESS_CALLER_INPUT_PATH,
    (b: Buffer) => b,
    (b: Buffer) => b,
    new Metadata(),
  );
  return new Promise<ServiceError | undefined>((resolve) => {
    call.on('data', () => undefined);
    call.on('error', (error: ServiceError) => resolve(error));
    call.on('end', () => resolve(undefined));
    call.write(bytes);
    call.end();
  }).finally(() => client.close());
}

/** A protobuf length-delimited field, encoded by hand. */
function field(tag: number, value: Buffer): Buffer {
  const length: number[] = [];
  for (let v = value.length; ; v = Math.floor(v / 0x80)) {
    length.push(v >= 0x80 ? (v % 0x80) | 0x80 : v);
    if (v < 0x80) break;
  }
  return Buffer.concat([Buffer.from([tag]), Buffer.from(length), value]);
}

describe('gateway.max_request_non_audio_bytes', () => {
  let small: RunningGateway;
  beforeAll(async () => {
    small = await startGateway(testConfig({ gateway: { max_request_non_audio_bytes: 2048 } }));
  });
  afterAll(async () => {
    await small.stop();
  });

  it('defaults to 65536 and reaches the server: a smaller limit refuses a smaller request', async () => {
    expect(testConfig().gateway.max_request_non_audio_bytes).toBe(MAX_REQUEST_NON_AUDIO_BYTES);
    await small.client.rpc([event('small-1', 'SESSION_START')]);
    const keys = new Array<string>(3000).fill('DTMF_DIGIT_FIVE');
    const refused = await small.client.rpc([dtmf('small-1', keys)]);
    expect(refused.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(refused.error?.details).toMatch(/besides caller audio; the limit is 2048$/);
    // The default limit takes the same entry.
    await gw.client.rpc([event('small-2', 'SESSION_START')]);
    expect((await gw.client.rpc([dtmf('small-2', keys)])).error).toBeUndefined();
  });

  it('counts the language_code of audio_input against it, but not its caller audio', async () => {
    const request = {
      conversation_id: 'small-3',
      virtual_agent_id: AGENT,
      audio_input: {
        caller_audio: Buffer.alloc(100_000, 0xff),
        encoding: 'MULAW_FORMAT' as const,
        language_code: 'x'.repeat(4096),
      },
    };
    const refused = await small.client.rpc([request]);
    expect(refused.error?.code).toBe(status.INVALID_ARGUMENT);
    expect(refused.error?.details).toMatch(/besides caller audio; the limit is 2048$/);
    const audio = await small.client.rpc([
      { ...request, audio_input: { ...request.audio_input, language_code: 'en-US' } },
    ]);
    expect(audio.error).toBeUndefined();
  });

  it(`refuses more than ${MAX_AUDIO_INPUT_RECORDS} audio_input records in one request`, async () => {
    const id = field(0x0a, Buffer.from('small-4'));
    const record = field(0x32, field(0x0a, Buffer.alloc(20, 0xff))); // caller_audio: 20 bytes
    const records = (n: number): Buffer =>
      Buffer.concat([id, ...new Array<Buffer>(n).fill(record)]);
    expect(await sendRaw(small.address, records(MAX_AUDIO_INPUT_RECORDS))).toBeUndefined();
    const error = await sendRaw(small.address, records(MAX_AUDIO_INPUT_RECORDS + 1));
    expect(error?.code).toBe(status.INVALID_ARGUMENT);
    expect(error?.details).toBe(
      `request carries ${MAX_AUDIO_INPUT_RECORDS + 1} audio_input records; the limit is ${MAX_AUDIO_INPUT_RECORDS}`,
    );
  });
});
