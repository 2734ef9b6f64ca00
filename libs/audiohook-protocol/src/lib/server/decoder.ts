// Incoming text frames of a server session: parse, check the envelope against the session
// (seq, serverseq, id), validate the parameters, and word the `disconnect` info of a failure
// the way the reference server does.

import { isKnownMessageType, parseJsonFrame, validateEnvelope, validateParameters } from '../codec';
import { parseDuration } from '../duration';
import { AudioHookError, AudioHookErrorCode } from '../errors';
import type { ClientMessage, ValidationOptions } from '../schemas';

const STRICT: ValidationOptions = { strict: true };
const LENIENT: ValidationOptions = { strict: false };

/**
 * Decodes the client's text frames in order and keeps what the checks need: the session id
 * (adopted from the first message when not given), the last client `seq` and `position`.
 * @internal
 */
export class ClientFrameDecoder {
  /** The session id, lower-case (from the option or the first message). */
  id: string | undefined;
  /** `seq` of the last client message accepted. */
  clientSeq = 0;
  /** The last `position` the client reported, in ns. */
  clientPosition = 0;
  readonly #validation: ValidationOptions;
  readonly #onIgnored: { ignoredType(type: string): void } | undefined;

  /** `onIgnored`: ignore unknown message types (and say which) instead of rejecting them. */
  constructor(
    id: string | undefined,
    strict: boolean,
    onIgnored?: { ignoredType(type: string): void },
  ) {
    this.id = id?.toLowerCase();
    this.#validation = strict ? STRICT : LENIENT;
    this.#onIgnored = onIgnored;
  }

  /**
   * The validated message, or `undefined` for an unknown type that is ignored by option (its
   * `seq` and `position` still count).
   *
   * @throws AudioHookError for every problem; {@link disconnectInfo} words it for the client.
   */
  decode(text: string, serverSeq: number): ClientMessage | undefined {
    const envelope = validateEnvelope(parseJsonFrame(text), 'client', this.#validation);
    if (envelope.seq !== this.clientSeq + 1) {
      throw new AudioHookError(
        AudioHookErrorCode.ProtocolViolation,
        'Invalid seq value (not monotonically increasing)',
        { path: ['seq'], messageType: envelope.type },
      );
    }
    if (envelope.serverseq > serverSeq) {
      throw new AudioHookError(AudioHookErrorCode.ProtocolViolation, 'Invalid serverseq value', {
        path: ['serverseq'],
        messageType: envelope.type,
      });
    }
    const id = envelope.id.toLowerCase();
    if (this.id === undefined) this.id = id;
    else if (id !== this.id) {
      throw new AudioHookError(
        AudioHookErrorCode.ProtocolViolation,
        'Session identifier mismatch',
        {
          path: ['id'],
          messageType: envelope.type,
        },
      );
    }
    this.clientSeq = envelope.seq;
    this.clientPosition = parseDuration(envelope.position);
    if (this.#onIgnored !== undefined && !isKnownMessageType(envelope.type, 'client')) {
      this.#onIgnored.ignoredType(envelope.type);
      return undefined;
    }
    const parameters = validateParameters(
      envelope.type,
      envelope.parameters,
      'client',
      this.#validation,
    );
    return { ...envelope, parameters } as ClientMessage;
  }
}

/**
 * The `info` of the `disconnect` that answers a client error (after `Client Error: `), worded
 * like the reference server's.
 * @internal
 */
export function disconnectInfo(error: AudioHookError): string {
  switch (error.code) {
    case AudioHookErrorCode.MessageTooLarge:
      return `Text message too large (>64K). Length: ${error.message.replace(/^.*Length: /, '')}`;
    case AudioHookErrorCode.InvalidJson:
      return 'Text message not valid JSON';
    case AudioHookErrorCode.InvalidEnvelope:
      return 'Message not a well-formed client message';
    case AudioHookErrorCode.UnknownMessageType:
      // A hostile type string must not blow the reply past the frame limit.
      return `Invalid Message: '${(error.messageType ?? '').slice(0, 64)}' is not a supported client message`;
    case AudioHookErrorCode.InvalidParameters:
    case AudioHookErrorCode.InvalidDuration:
    case AudioHookErrorCode.DurationOutOfRange:
      return 'Invalid Message: Invalid/missing parameters';
    default:
      return error.message;
  }
}
