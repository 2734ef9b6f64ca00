// A bound on what a VoiceVARequest may carry besides caller audio, checked on the encoded bytes
// before protobuf decodes them. Decoding multiplies small fields: a packed DTMF digit is one byte
// on the wire and a 40-byte array slot plus a string after decoding, so a 10 MB `dtmf_input`
// became about 400 MB of heap and 1.5 s of blocked event loop, and one 50 MB message (the default
// message limit) could exhaust a gateway's memory. Only the `caller_audio` bytes inside
// `audio_input` are audio (a byte buffer, decoded 1:1); everything else (ids, DTMF keys, event
// parameters, `vendor_specific_config`, `additional_info`, and the rest of `audio_input`: its
// `language_code`, unknown fields, the framing of each record) counts against the limit. Protobuf
// merges repeated `audio_input` records into one message; WxCC sends one, so a request may carry
// at most MAX_AUDIO_INPUT_RECORDS of them.

import { ByovaError, ByovaErrorCode } from './errors';

/** Bytes a VoiceVARequest may carry outside caller audio unless the server is told otherwise. */
export const MAX_REQUEST_NON_AUDIO_BYTES = 64 * 1024;

/** `audio_input` records one VoiceVARequest may carry (protobuf merges repeated ones). */
export const MAX_AUDIO_INPUT_RECORDS = 16;

/** Field number of `audio_input` in VoiceVARequest (proto/voicevirtualagent.proto). */
const AUDIO_INPUT_FIELD = 6;
/** Field number of `caller_audio` in VoiceInput. */
const CALLER_AUDIO_FIELD = 1;
/** The length-delimited wire type (bytes, strings, messages). */
const LENGTH_DELIMITED = 2;

/**
 * Marks a request the server refused to decode because of its size outside caller audio; its
 * value says why (the size or the record count, and the limit). {@link parseVoiceVARequest} turns
 * it into a `BYOVA_ERR_INVALID_REQUEST`.
 */
export const OVERSIZED_REQUEST: unique symbol = Symbol('byova.oversizedRequest');

/** What an encoded VoiceVARequest carries, as {@link measureRequest} reads it. */
export interface RequestMeasure {
  /** Bytes outside the `caller_audio` values of its `audio_input` records. */
  readonly nonAudioBytes: number;
  /** Its `audio_input` records. */
  readonly audioInputRecords: number;
}

/** Reads a varint at `offset`: [value, next offset], or undefined when `end` comes first. */
function varint(bytes: Uint8Array, offset: number, end: number): [number, number] | undefined {
  let value = 0;
  let factor = 1;
  for (let i = offset; i < end && i < offset + 10; i += 1) {
    const byte = bytes[i] as number;
    value += (byte & 0x7f) * factor;
    if ((byte & 0x80) === 0) return [value, i + 1];
    factor *= 128;
  }
  return undefined;
}

/**
 * Follows the fields of the message encoded in `bytes[start, end)`, calling `visit` with each
 * field's number, wire type and value range; false when the framing cannot be followed (or
 * `visit` says so).
 */
function walk(
  bytes: Uint8Array,
  start: number,
  end: number,
  visit: (field: number, wireType: number, from: number, to: number) => boolean,
): boolean {
  let offset = start;
  while (offset < end) {
    const tag = varint(bytes, offset, end);
    if (tag === undefined) return false;
    const wireType = tag[0] % 8;
    let from = tag[1];
    let to: number;
    if (wireType === 0) {
      const skipped = varint(bytes, from, end);
      if (skipped === undefined) return false;
      to = skipped[1];
    } else if (wireType === 1) to = from + 8;
    else if (wireType === 5) to = from + 4;
    else if (wireType === LENGTH_DELIMITED) {
      const length = varint(bytes, from, end);
      if (length === undefined) return false;
      from = length[1];
      to = from + length[0];
    } else return false; // Groups (3, 4) are not in the contract; 6 and 7 are invalid.
    if (to > end || !visit(Math.floor(tag[0] / 8), wireType, from, to)) return false;
    offset = to;
  }
  return true;
}

/**
 * Measures an encoded VoiceVARequest without decoding it (the `audio_input` records' own fields
 * are followed too), or undefined when its framing cannot be followed (a server refuses such a
 * request undecoded, see {@link limitRequestSize}).
 */
export function measureRequest(bytes: Uint8Array): RequestMeasure | undefined {
  let audio = 0;
  let records = 0;
  const followed = walk(bytes, 0, bytes.length, (field, wireType, from, to) => {
    if (field !== AUDIO_INPUT_FIELD || wireType !== LENGTH_DELIMITED) return true;
    records += 1;
    return walk(bytes, from, to, (inner, innerType, valueFrom, valueTo) => {
      if (inner === CALLER_AUDIO_FIELD && innerType === LENGTH_DELIMITED)
        audio += valueTo - valueFrom;
      return true;
    });
  });
  return followed ? { nonAudioBytes: bytes.length - audio, audioInputRecords: records } : undefined;
}

/** The bytes of an encoded VoiceVARequest outside caller audio (see {@link measureRequest}). */
export function nonAudioBytes(bytes: Uint8Array): number | undefined {
  return measureRequest(bytes)?.nonAudioBytes;
}

/**
 * Wraps a ProcessCallerInput request deserializer: a request carrying more than
 * `maxNonAudioBytes` outside caller audio, or more than {@link MAX_AUDIO_INPUT_RECORDS}
 * `audio_input` records, is not decoded; an empty request marked {@link OVERSIZED_REQUEST} takes
 * its place, so the handler answers it with a clear status.
 *
 * @throws ByovaError `BYOVA_ERR_INVALID_ARGUMENT` when `maxNonAudioBytes` is not a positive integer.
 */
export function limitRequestSize<T extends object>(
  deserialize: (bytes: Buffer) => T,
  maxNonAudioBytes: number = MAX_REQUEST_NON_AUDIO_BYTES,
): (bytes: Buffer) => T {
  if (!Number.isSafeInteger(maxNonAudioBytes) || maxNonAudioBytes < 1)
    throw new ByovaError(
      ByovaErrorCode.InvalidArgument,
      `the request size limit must be a positive integer of bytes, not ${maxNonAudioBytes}`,
    );
  return (bytes) => {
    const measure = measureRequest(bytes);
    let problem: string | undefined;
    // Framing the walk cannot follow is refused, not decoded: protobuf would skip what the walk
    // cannot (an unknown group, a length cut to 32 bits) and decode the rest without a bound.
    if (measure === undefined)
      problem = 'request framing cannot be followed (not a well-formed VoiceVARequest)';
    else if (measure.audioInputRecords > MAX_AUDIO_INPUT_RECORDS)
      problem = `request carries ${measure.audioInputRecords} audio_input records; the limit is ${MAX_AUDIO_INPUT_RECORDS}`;
    else if (measure.nonAudioBytes > maxNonAudioBytes)
      problem = `request carries ${measure.nonAudioBytes} bytes besides caller audio; the limit is ${maxNonAudioBytes}`;
    if (problem === undefined) return deserialize(bytes);
    return Object.assign(deserialize(Buffer.alloc(0)), { [OVERSIZED_REQUEST]: problem });
  };
}
