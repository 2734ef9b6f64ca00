import {
  BYOVA_PACKAGE,
  LIST_VIRTUAL_AGENTS_PATH,
  PROCESS_CALLER_INPUT_PATH,
  loadByovaGrpcObject,
  loadByovaPackageDefinition,
} from '../src';
import vectors from './fixtures/wire-vectors.json';
import type { MethodDefinition } from '@grpc/proto-loader';

type AnyMethod = MethodDefinition<object, object, object, object>;

const definition = loadByovaPackageDefinition();
const service = definition[`${BYOVA_PACKAGE}.VoiceVirtualAgent`] as unknown as Record<
  string,
  AnyMethod
>;
const processCallerInput = service['ProcessCallerInput'] as AnyMethod;

function prepare(message: unknown): unknown {
  // Fixture audio is hex text; everything else is as proto-loader takes it.
  return JSON.parse(JSON.stringify(message), (key, value: unknown) =>
    (key === 'caller_audio' || key === 'audio_content') && typeof value === 'string'
      ? Buffer.from(value, 'hex')
      : value,
  );
}

describe('loadByovaPackageDefinition', () => {
  it('exposes both RPCs under the exact gRPC method paths of the contract', () => {
    expect(processCallerInput.path).toBe(PROCESS_CALLER_INPUT_PATH);
    expect(processCallerInput.path).toBe(
      '/com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent/ProcessCallerInput',
    );
    expect(processCallerInput.requestStream).toBe(true);
    expect(processCallerInput.responseStream).toBe(true);
    const list = service['ListVirtualAgents'] as AnyMethod;
    expect(list.path).toBe(LIST_VIRTUAL_AGENTS_PATH);
    expect(list.requestStream).toBe(false);
    expect(list.responseStream).toBe(false);
  });

  it('includes the standard gRPC health service with Check, List and Watch', () => {
    const health = definition['grpc.health.v1.Health'] as unknown as Record<string, AnyMethod>;
    expect(Object.keys(health).sort()).toEqual(['Check', 'List', 'Watch']);
    expect(health['Watch']?.responseStream).toBe(true);
  });

  it('returns the same cached definition on every call', () => {
    expect(loadByovaPackageDefinition()).toBe(definition);
  });

  it('gives a typed gRPC object with service constructors', () => {
    const grpcObject = loadByovaGrpcObject();
    const ctor = grpcObject.com.cisco.wcc.ccai.media.v1.VoiceVirtualAgent;
    expect(typeof ctor).toBe('function');
    expect(Object.keys(ctor.service)).toEqual(['ProcessCallerInput', 'ListVirtualAgents']);
    expect(typeof grpcObject.grpc.health.v1.Health).toBe('function');
  });
});

describe('wire compatibility with the published contract', () => {
  it.each(vectors.requests)('encodes the request "$name" byte for byte', ({ message, hex }) => {
    const bytes = processCallerInput.requestSerialize(prepare(message) as object);
    expect(bytes.toString('hex')).toBe(hex.replace(/ /g, ''));
  });

  it.each(vectors.responses)('encodes the response "$name" byte for byte', ({ message, hex }) => {
    const bytes = processCallerInput.responseSerialize(prepare(message) as object);
    expect(bytes.toString('hex')).toBe(hex.replace(/ /g, ''));
  });

  it('decodes absent fields with their defaults and names the oneof member that is set', () => {
    const decoded = processCallerInput.requestDeserialize(Buffer.from('0a01633a040a020a10', 'hex'));
    expect(decoded).toMatchObject({
      conversation_id: 'c',
      customer_org_id: '',
      voice_va_input_type: 'dtmf_input',
      dtmf_input: { dtmf_events: ['DTMF_DIGIT_ZERO', 'DTMF_DIGIT_POUND'] },
    });
    const response = processCallerInput.responseDeserialize(Buffer.from('12020804', 'hex'));
    expect(response).toMatchObject({
      response_type: 'FINAL',
      input_mode: 'INPUT_VOICE_MODE_UNSPECIFIED',
    });
  });
});
