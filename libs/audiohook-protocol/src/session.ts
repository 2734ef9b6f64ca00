// `@org/audiohook-protocol/session`: the server and client session state machines, the transport
// they run over (`fromWebSocket` adapts any `ws`-shaped socket), clocks, loggers, rate limiting
// and the media sources that need no file system. Pure: no I/O of its own.
// Every export is listed by name.

export { ServerSession } from './lib/server/session';
export {
  type Authenticator,
  type AuthenticatorResult,
  type CloseContext,
  type CloseHandler,
  type FiniHandler,
  type MediaSelector,
  type OpenContext,
  type OpenHandler,
  type ServerEventOptions,
  type ServerSessionEvents,
  type ServerSessionOptions,
  type ServerSessionState,
  type ServerSessionStats,
  type UpdateHandler,
} from './lib/server/types';
export { ClientSession } from './lib/client/session';
export {
  type ClientSessionEvents,
  type ClientSessionOptions,
  type ClientSessionResult,
  type ClientSessionState,
} from './lib/client/types';
export {
  DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS,
  DEFAULT_MAX_BACKLOG_BYTES,
  fromWebSocket,
  type AudioHookTransport,
  type TransportHandlers,
  type WebSocketLike,
  type WebSocketTransportOptions,
} from './lib/transport';
export { systemClock, type Clock, type TimerHandle } from './lib/clock';
export { silentLogger, type AudioHookLogger, type LogMethod } from './lib/logger';
export { TypedEmitter, type EventMap, type Listener } from './lib/emitter';
export { TokenBucket, type TokenBucketOptions } from './lib/rate-limit';
export {
  iterableMediaSource,
  toneMediaSource,
  wavMediaSource,
  type IterableSourceOptions,
  type MediaSource,
  type PacingOptions,
  type ToneSourceOptions,
  type WavSourceOptions,
} from './lib/media-source';
