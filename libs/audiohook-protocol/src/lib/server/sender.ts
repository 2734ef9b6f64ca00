// Outgoing text messages of a server session: numbering (`seq`), serialization and the send,
// so that a message that cannot be serialized or sent never uses up a sequence number.

import { serializeMessage } from '../codec';
import { toError } from '../errors';
import {
  NIL_UUID,
  PROTOCOL_VERSION,
  type ServerMessage,
  type ServerMessageType,
  type ServerParameters,
} from '../schemas';
import type { ServerCore } from './core';

/** Numbers, serializes and sends the messages of one server session. @internal */
export class ServerMessageSender {
  /** `seq` of the last message sent. */
  seq = 0;
  readonly #core: ServerCore;

  constructor(core: ServerCore) {
    this.#core = core;
  }

  /** Sends one message; the message, or `undefined` when it could not be sent (logged). */
  send<T extends ServerMessageType>(
    type: T,
    parameters: ServerParameters<T>,
    clientseq: number,
  ): ServerMessage | undefined {
    const core = this.#core;
    const message = {
      version: PROTOCOL_VERSION,
      id: core.decoder.id ?? NIL_UUID,
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
      core.log('error', 'message not sent: it cannot be serialized', {
        type,
        err: toError(error).message,
      });
      return undefined;
    }
    this.seq++;
    try {
      core.transport.sendText(text);
    } catch (error) {
      core.log('error', 'transport failed to send', { type, err: toError(error).message });
      return undefined;
    }
    return message;
  }
}
