// Outgoing text messages of a server session: numbering (`seq`), serialization and the send,
// so that a message that cannot be serialized or sent never uses up a sequence number.

import { serializeMessage } from '../codec';
import { toError } from '../errors';
import type { AudioHookLogger } from '../logger';
import {
  NIL_UUID,
  PROTOCOL_VERSION,
  type ServerMessage,
  type ServerMessageType,
  type ServerParameters,
} from '../schemas';
import type { AudioHookTransport } from '../transport';

/** Numbers, serializes and sends the messages of one server session. @internal */
export class ServerMessageSender {
  /** `seq` of the last message sent. */
  seq = 0;
  readonly #transport: AudioHookTransport;
  readonly #sessionId: () => string | undefined;
  readonly #log: (
    level: keyof AudioHookLogger,
    message: string,
    fields: Record<string, unknown>,
  ) => void;

  constructor(
    transport: AudioHookTransport,
    sessionId: () => string | undefined,
    log: (level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>) => void,
  ) {
    this.#transport = transport;
    this.#sessionId = sessionId;
    this.#log = log;
  }

  /** Sends one message; the message, or `undefined` when it could not be sent (logged). */
  send<T extends ServerMessageType>(
    type: T,
    parameters: ServerParameters<T>,
    clientseq: number,
  ): ServerMessage | undefined {
    const message = {
      version: PROTOCOL_VERSION,
      id: this.#sessionId() ?? NIL_UUID,
      type,
      seq: this.seq + 1,
      clientseq,
      parameters,
    } as ServerMessage;
    let text: string;
    try {
      text = serializeMessage(message);
    } catch (error) {
      // Nothing is sent and no seq is used, so the peer's sequence check stays intact.
      this.#log('error', 'message not sent: it cannot be serialized', {
        type,
        err: toError(error).message,
      });
      return undefined;
    }
    this.seq++;
    try {
      this.#transport.sendText(text);
    } catch (error) {
      this.#log('error', 'transport failed to send', { type, err: toError(error).message });
      return undefined;
    }
    return message;
  }
}
