// The TypeScript types of the AudioHook messages, derived from the zod schemas of schemas.ts
// (which re-exports them).

import type { z } from 'zod';
import type { schemas } from './schemas';

/**
 * One audio format offered in `open` or selected in `opened`.
 *
 * @example
 * ```ts
 * const stereo: MediaParameter = {
 *   type: 'audio', format: 'PCMU', rate: 8000, channels: ['external', 'internal'],
 * };
 * ```
 */
export type MediaParameter = z.output<typeof schemas.mediaParameter>;
/**
 * The participant of `open`.
 *
 * @example
 * ```ts
 * const participant: Participant = { id: participantId, ani: '+15555551234', aniName: 'Jane', dnis: '+18005556789' };
 * ```
 */
export type Participant = z.output<typeof schemas.participant>;
/**
 * One entry of `open.continuedSessions`.
 *
 * @example
 * ```ts
 * const previous: ContinuedSession = { id: oldSessionId, serverseq: 12, clientseq: 40 };
 * ```
 */
export type ContinuedSession = z.output<typeof schemas.continuedSession>;
/**
 * One entity of an `event` message: a `type` and free-form JSON `data`.
 *
 * @example
 * ```ts
 * const entity: EventEntity = { type: 'barge_in', data: {} };
 * session.sendEvent([entity]);
 * ```
 */
export type EventEntity = z.output<typeof schemas.entity>;

/**
 * Every client (Genesys → server) message type, including tolerated older-draft types.
 *
 * @example
 * ```ts
 * const type: ClientMessageType = 'ping';
 * ```
 */
export type ClientMessageType = keyof (typeof schemas)['clientParameters'];
/**
 * Every server (server → Genesys) message type.
 *
 * @example
 * ```ts
 * const type: ServerMessageType = 'pong';
 * ```
 */
export type ServerMessageType = keyof (typeof schemas)['serverParameters'];

/**
 * Parameters of a client message type.
 *
 * @example
 * ```ts
 * const close: ClientParameters<'close'> = { reason: 'end' };
 * ```
 */
export type ClientParameters<T extends ClientMessageType> = z.output<
  (typeof schemas)['clientParameters'][T]
>;
/**
 * Parameters of a server message type.
 *
 * @example
 * ```ts
 * const disconnect: ServerParameters<'disconnect'> = { reason: 'completed' };
 * ```
 */
export type ServerParameters<T extends ServerMessageType> = z.output<
  (typeof schemas)['serverParameters'][T]
>;

/**
 * Parameters of `open`.
 *
 * @example
 * ```ts
 * session.addAuthenticator((session, open: OpenParameters) => allowed.has(open.organizationId));
 * ```
 */
export type OpenParameters = ClientParameters<'open'>;
/**
 * Parameters of `close`.
 *
 * @example
 * ```ts
 * const parameters: CloseParameters = { reason: 'end' };
 * ```
 */
export type CloseParameters = ClientParameters<'close'>;
/**
 * Parameters of `ping`.
 *
 * @example
 * ```ts
 * const ping: PingParameters = { rtt: 'PT0.012S' };
 * ```
 */
export type PingParameters = ClientParameters<'ping'>;
/**
 * Parameters of `resumed`.
 *
 * @example
 * ```ts
 * session.on('resumed', ({ start, discarded }: ResumedParameters) => log.info({ start, discarded }));
 * ```
 */
export type ResumedParameters = ClientParameters<'resumed'>;
/**
 * Parameters of `discarded`.
 *
 * @example
 * ```ts
 * session.on('discarded', ({ start, discarded }: DiscardedParameters) => log.info({ start, discarded }));
 * ```
 */
export type DiscardedParameters = ClientParameters<'discarded'>;
/**
 * Parameters of `update`.
 *
 * @example
 * ```ts
 * session.on('update', ({ language }: UpdateParameters) => transcriber.setLanguage(language));
 * ```
 */
export type UpdateParameters = ClientParameters<'update'>;
/**
 * Parameters of a client `error`.
 *
 * @example
 * ```ts
 * session.on('clientError', ({ code, message }: ErrorParameters) => log.warn({ code, message }));
 * ```
 */
export type ErrorParameters = ClientParameters<'error'>;
/**
 * Parameters of `dtmf`.
 *
 * @example
 * ```ts
 * session.on('dtmf', ({ digit }: DtmfParameters) => bot.press(digit));
 * ```
 */
export type DtmfParameters = ClientParameters<'dtmf'>;
/**
 * Parameters of `opened`.
 *
 * @example
 * ```ts
 * client.on('opened', ({ media, startPaused }: OpenedParameters) => log.info({ media, startPaused }));
 * ```
 */
export type OpenedParameters = ServerParameters<'opened'>;
/**
 * Parameters of `closed`.
 *
 * @example
 * ```ts
 * const parameters: ClosedParameters = {};
 * ```
 */
export type ClosedParameters = ServerParameters<'closed'>;
/**
 * Parameters of `event`.
 *
 * @example
 * ```ts
 * const parameters: EventParameters = { entities: [{ type: 'barge_in', data: {} }] };
 * ```
 */
export type EventParameters = ServerParameters<'event'>;
/**
 * Parameters of `disconnect`.
 *
 * @example
 * ```ts
 * const parameters: DisconnectParameters = { reason: 'completed', info: 'bot finished' };
 * ```
 */
export type DisconnectParameters = ServerParameters<'disconnect'>;
/**
 * Parameters of `reconnect`.
 *
 * @example
 * ```ts
 * client.on('reconnect', ({ info }: ReconnectParameters) => log.info({ info }));
 * ```
 */
export type ReconnectParameters = ServerParameters<'reconnect'>;

/**
 * A client → server message of type `T`.
 *
 * @example
 * ```ts
 * function onOpen(message: ClientMessageOf<'open'>): void {
 *   logger.info(message.parameters.conversationId);
 * }
 * ```
 */
export interface ClientMessageOf<T extends ClientMessageType> {
  readonly version: '2';
  readonly id: string;
  readonly type: T;
  readonly seq: number;
  readonly serverseq: number;
  readonly position: string;
  readonly parameters: ClientParameters<T>;
}

/**
 * A server → client message of type `T`.
 *
 * @example
 * ```ts
 * function onOpened(message: ServerMessageOf<'opened'>): void {
 *   logger.info(message.parameters.media);
 * }
 * ```
 */
export interface ServerMessageOf<T extends ServerMessageType> {
  readonly version: '2';
  readonly id: string;
  readonly type: T;
  readonly seq: number;
  readonly clientseq: number;
  readonly parameters: ServerParameters<T>;
}

/**
 * Any client → server message. Narrow on `type`.
 *
 * @example
 * ```ts
 * const message: ClientMessage = parseClientMessage(text);
 * if (message.type === 'close') logger.info(message.parameters.reason);
 * ```
 */
export type ClientMessage = { [T in ClientMessageType]: ClientMessageOf<T> }[ClientMessageType];
/**
 * Any server → client message. Narrow on `type`.
 *
 * @example
 * ```ts
 * const message: ServerMessage = parseServerMessage(text);
 * if (message.type === 'disconnect') logger.info(message.parameters.reason);
 * ```
 */
export type ServerMessage = { [T in ServerMessageType]: ServerMessageOf<T> }[ServerMessageType];
/**
 * Any AudioHook message.
 *
 * @example
 * ```ts
 * function log(message: AudioHookMessage): void {
 *   logger.info(message.type, message.seq);
 * }
 * ```
 */
export type AudioHookMessage = ClientMessage | ServerMessage;

/**
 * The `open` message.
 *
 * @example
 * ```ts
 * if (message.type === 'open') logger.info((message satisfies OpenMessage).parameters.media);
 * ```
 */
export type OpenMessage = ClientMessageOf<'open'>;
/**
 * The `opened` message.
 *
 * @example
 * ```ts
 * const { opened } = await client.finished; // OpenedMessage | undefined
 * logger.info(opened?.parameters.media);
 * ```
 */
export type OpenedMessage = ServerMessageOf<'opened'>;
/**
 * The `close` message.
 *
 * @example
 * ```ts
 * if (message.type === 'close') handleClose(message satisfies CloseMessage);
 * ```
 */
export type CloseMessage = ClientMessageOf<'close'>;
/**
 * The `closed` message.
 *
 * @example
 * ```ts
 * client.on('serverMessage', (m) => m.type === 'closed' && log.info(m satisfies ClosedMessage));
 * ```
 */
export type ClosedMessage = ServerMessageOf<'closed'>;
