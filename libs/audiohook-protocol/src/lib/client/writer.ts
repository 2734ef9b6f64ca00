// The client session's outgoing text messages (spec §6.1, §6.2): each is checked against the
// client-message schema and serialized before it takes a `seq`, so a message that cannot be sent
// (too large, invalid) throws to the caller and leaves no gap in the numbering.

import { serializeMessage } from '../codec';
import { formatDuration } from '../duration';
import { toError } from '../errors';
import type { AudioHookLogger } from '../logger';
import {
  PROTOCOL_VERSION,
  type ClientMessage,
  type ClientMessageType,
  type ClientParameters,
} from '../schemas';
import type { AudioHookTransport } from '../transport';
import { checkOutgoing } from './arguments';

/** What the writer needs from its session. @internal */
export interface MessageWriterHost {
  readonly id: string;
  readonly transport: AudioHookTransport;
  /** `seq` of the last server message received (the `serverseq` field). */
  serverSeq(): number;
  /** The stream position in ns (the `position` field). */
  position(): number;
  /** A message went out (the `clientMessage` event). */
  sent(message: ClientMessage): void;
  log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void;
}

/** Numbers, validates, serializes and sends the client's text messages. @internal */
export class MessageWriter {
  readonly #host: MessageWriterHost;
  #seq = 0;

  constructor(host: MessageWriterHost) {
    this.#host = host;
  }

  /** `seq` of the last message sent. */
  get seq(): number {
    return this.#seq;
  }

  /**
   * Sends one message and returns its `seq`, which is used up only when the message goes out.
   *
   * @throws AudioHookError `AUDIOHOOK_ERR_INVALID_ARGUMENT` for parameters the schema rejects,
   *   `AUDIOHOOK_ERR_MESSAGE_TOO_LARGE` for a message over 65,535 characters.
   */
  send<T extends ClientMessageType>(type: T, parameters: ClientParameters<T>): number {
    const host = this.#host;
    checkOutgoing(type, parameters);
    const message = {
      version: PROTOCOL_VERSION,
      id: host.id,
      type,
      seq: this.#seq + 1,
      serverseq: host.serverSeq(),
      position: formatDuration(host.position()),
      parameters,
    } as ClientMessage;
    const text = serializeMessage(message);
    this.#seq = message.seq;
    try {
      host.transport.sendText(text);
    } catch (error) {
      host.log('error', 'transport failed to send', { type, err: toError(error).message });
    }
    host.sent(message);
    return message.seq;
  }
}
