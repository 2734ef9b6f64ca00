// Incoming text frames of a client session: parse, check the envelope against the session (id,
// seq, clientseq) and validate the parameters, the way the reference client checks them; every
// problem carries the `error` code the client answers it with.

import { isKnownMessageType, parseJsonFrame, validateEnvelope, validateParameters } from '../codec';
import { type TranscriptData, validateEntity } from '../entities';
import { AudioHookError, AudioHookErrorCode, toError } from '../errors';
import type { EventEntity, ServerMessage, ValidationOptions } from '../schemas';

/** Decodes the server's text frames in order and keeps the last server `seq`. @internal */
export class ServerFrameDecoder {
  /** `seq` of the last server message accepted. */
  serverSeq = 0;
  readonly #id: string;
  readonly #validation: ValidationOptions;

  constructor(id: string, strict: boolean) {
    this.#id = id;
    this.#validation = { strict };
  }

  /**
   * The validated message. `clientSeq` is the `seq` of the last message this client sent.
   *
   * @throws AudioHookError for every problem; {@link statusFor} gives its `error` code.
   */
  decode(text: string, clientSeq: number): ServerMessage {
    const envelope = validateEnvelope(parseJsonFrame(text), 'server', this.#validation);
    if (envelope.id.toLowerCase() !== this.#id) {
      throw new StatusError(400, 'Session identifier mismatch');
    }
    if (envelope.seq !== this.serverSeq + 1) {
      throw new StatusError(
        500,
        `Invalid seq value ${envelope.seq} (expected ${this.serverSeq + 1})`,
      );
    }
    if (envelope.clientseq > clientSeq) {
      throw new StatusError(400, `Invalid clientseq value ${envelope.clientseq}`);
    }
    this.serverSeq = envelope.seq;
    if (!isKnownMessageType(envelope.type, 'server')) {
      throw new StatusError(500, `Unsupported server message type '${envelope.type}'`);
    }
    const parameters = validateParameters(
      envelope.type,
      envelope.parameters,
      'server',
      this.#validation,
    );
    return { ...envelope, parameters } as ServerMessage;
  }
}

/** A server-message problem with the `error` code the client answers it with. */
class StatusError extends AudioHookError {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(AudioHookErrorCode.ProtocolViolation, message);
  }
}

/** The `error` code that answers a server-message problem (413 too large, else 400). @internal */
export function statusFor(error: AudioHookError): number {
  if (error instanceof StatusError) return error.status;
  return error.code === AudioHookErrorCode.MessageTooLarge ? 413 : 400;
}

/**
 * The data of a `transcript` entity, or the reason it is invalid (answered with `error` 400).
 * @internal
 */
export function validTranscript(entity: EventEntity): TranscriptData | string {
  try {
    return (validateEntity(entity) as { data: TranscriptData }).data;
  } catch (error) {
    return toError(error).message;
  }
}
