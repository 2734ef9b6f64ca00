// A bound on what a VoiceVARequest may carry besides caller audio, checked on the encoded bytes
// before protobuf decodes them. Decoding multiplies small fields: a packed DTMF digit is one byte
// on the wire and a 40-byte array slot plus a string after decoding, so a 10 MB `dtmf_input`
// became about 400 MB of heap and 1.5 s of blocked event loop, and one 50 MB message (the default
// message limit) could exhaust a gateway's memory. Audio (`audio_input`, field 6) is a byte buffer
// and decodes 1:1; everything else (ids, DTMF keys, event parameters, `vendor_specific_config`,
// `additional_info`) is small in any real call.

/** Bytes a VoiceVARequest may carry outside `audio_input`. */
export const MAX_REQUEST_NON_AUDIO_BYTES = 64 * 1024;

/** Field number of `audio_input` in VoiceVARequest. */
const AUDIO_INPUT_FIELD = 6;

/**
 * Marks a request the server refused to decode because of its size outside caller audio; its
 * value is that size in bytes. {@link parseVoiceVARequest} turns it into a `BYOVA_ERR_INVALID_REQUEST`.
 */
export const OVERSIZED_REQUEST: unique symbol = Symbol('byova.oversizedRequest');

/** Reads a varint at `offset`: [value, next offset], or undefined when the bytes end first. */
function varint(bytes: Uint8Array, offset: number): [number, number] | undefined {
  let value = 0;
  let factor = 1;
  for (let i = offset; i < bytes.length && i < offset + 10; i += 1) {
    const byte = bytes[i] as number;
    value += (byte & 0x7f) * factor;
    if ((byte & 0x80) === 0) return [value, i + 1];
    factor *= 128;
  }
  return undefined;
}

/**
 * The bytes of an encoded VoiceVARequest outside its `audio_input` records, or undefined when
 * the top-level framing cannot be followed (the decoder then reports the message as malformed).
 */
export function nonAudioBytes(bytes: Uint8Array): number | undefined {
  let audio = 0;
  let offset = 0;
  while (offset < bytes.length) {
    const start = offset;
    const tag = varint(bytes, offset);
    if (tag === undefined) return undefined;
    offset = tag[1];
    const wireType = tag[0] % 8;
    if (wireType === 0) {
      const skipped = varint(bytes, offset);
      if (skipped === undefined) return undefined;
      offset = skipped[1];
    } else if (wireType === 1) offset += 8;
    else if (wireType === 5) offset += 4;
    else if (wireType === 2) {
      const length = varint(bytes, offset);
      if (length === undefined) return undefined;
      offset = length[1] + length[0];
    } else return undefined; // Groups (3, 4) are not in the contract; 6 and 7 are invalid.
    if (offset > bytes.length) return undefined;
    if (Math.floor(tag[0] / 8) === AUDIO_INPUT_FIELD) audio += offset - start;
  }
  return bytes.length - audio;
}

/**
 * Wraps a ProcessCallerInput request deserializer: a request carrying more than
 * {@link MAX_REQUEST_NON_AUDIO_BYTES} outside caller audio is not decoded; an empty request
 * marked {@link OVERSIZED_REQUEST} takes its place, so the handler answers it with a clear status.
 */
export function limitRequestSize<T extends object>(
  deserialize: (bytes: Buffer) => T,
): (bytes: Buffer) => T {
  return (bytes) => {
    const size = nonAudioBytes(bytes);
    if (size === undefined || size <= MAX_REQUEST_NON_AUDIO_BYTES) return deserialize(bytes);
    return Object.assign(deserialize(Buffer.alloc(0)), { [OVERSIZED_REQUEST]: size });
  };
}
