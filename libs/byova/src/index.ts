// Public API of @org/byova. Every export is listed by name.

export { ByovaError, ByovaErrorCode } from './lib/errors';
export {
  BYOVA_LOADER_OPTIONS,
  BYOVA_PACKAGE,
  HEALTH_SERVICE,
  LIST_VIRTUAL_AGENTS_PATH,
  PROCESS_CALLER_INPUT_PATH,
  VOICE_VIRTUAL_AGENT_SERVICE,
  loadByovaGrpcObject,
  loadByovaPackageDefinition,
  type ByovaGrpcObject,
  type ByovaLoadOptions,
} from './lib/load';
export {
  dtmfDigitNumber,
  dtmfDigitToKey,
  dtmfEventsToString,
  keyToDtmfDigit,
  stringToDtmfEvents,
  type DtmfDigitName,
  type DtmfEventsToStringOptions,
  type DtmfKey,
} from './lib/dtmf';
export { fromStruct, toStruct, type JsonObject, type JsonValue } from './lib/struct';
export {
  CALLER_AUDIO_ENCODINGS,
  MAX_CALLER_SAMPLE_RATE,
  MIN_CALLER_SAMPLE_RATE,
  callerAudioFormat,
  decodeCallerAudio,
  type CallerAudioDefaults,
  type CallerAudioEncoding,
  type DecodedCallerAudio,
} from './lib/caller-audio';
export {
  MAX_AUDIO_INPUT_RECORDS,
  MAX_REQUEST_NON_AUDIO_BYTES,
  OVERSIZED_REQUEST,
  limitRequestSize,
  measureRequest,
  nonAudioBytes,
  type RequestMeasure,
} from './lib/request-size';
export {
  MAX_CONVERSATION_ID_LENGTH,
  parseVoiceVARequest,
  type ByovaEventType,
  type ByovaInput,
  type ByovaRequest,
} from './lib/requests';
export {
  CHUNK_MAX_BYTES,
  CHUNK_MIN_BYTES,
  WXCC_AUDIO_FORMAT,
  buildChunkReply,
  buildWavReply,
  eventResponse,
  isTerminalEvent,
  ulawToWav,
  type ByovaOutputEventType,
  type ChunkReplyOptions,
  type ReplyEvent,
  type ReplyPrompt,
  type TurnReply,
} from './lib/responses';
export { systemClock, type Clock } from './lib/clock';
export { silentLogger, type ByovaLogMethod, type ByovaLogger } from './lib/logger';
export type {
  AgentDescriptor,
  Connector,
  ConnectorClass,
  ConnectorEvent,
  ConnectorInit,
  ConnectorRecording,
  ConnectorSession,
  InputPreferences,
  SessionContext,
  SpeechStart,
  Utterance,
} from './lib/connector';
export {
  newConversationState,
  parseConversationState,
  type ConversationState,
} from './lib/conversation-state';
export { plainFinal, replyResponses, shapeReply, type ReplyShape } from './lib/reply-shaping';
export {
  CallerTurnSession,
  type CallerTurnSessionOptions,
  type TurnDetails,
  type TurnGate,
  type TurnKind,
  type TurnObserver,
  type TurnPort,
  type TurnSettings,
  type TurnStream,
} from './lib/turn-session';
// Generated message types (proto-loader-gen-types; `X` = what you may send, `X__Output` = what
// you receive with BYOVA_LOADER_OPTIONS).
export type {
  VoiceVARequest,
  VoiceVARequest__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/VoiceVARequest';
export type {
  VoiceVAResponse,
  VoiceVAResponse__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/VoiceVAResponse';
export type {
  VoiceInput,
  VoiceInput__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/VoiceInput';
export type { Prompt, Prompt__Output } from './generated/com/cisco/wcc/ccai/media/v1/Prompt';
export type {
  OutputEvent,
  OutputEvent__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/OutputEvent';
export type {
  EventInput,
  EventInput__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/EventInput';
export type {
  DTMFDigits,
  DTMFDigits__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/DTMFDigits';
export type {
  DTMFInputs,
  DTMFInputs__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/DTMFInputs';
export type {
  DTMFInputConfig,
  DTMFInputConfig__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/DTMFInputConfig';
export type {
  InputHandlingConfig,
  InputHandlingConfig__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/InputHandlingConfig';
export type {
  InputSpeechTimers,
  InputSpeechTimers__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/InputSpeechTimers';
export type {
  VoiceVAInputMode,
  VoiceVAInputMode__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/VoiceVAInputMode';
export type {
  ListVARequest,
  ListVARequest__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/ListVARequest';
export type {
  ListVAResponse,
  ListVAResponse__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/ListVAResponse';
export type {
  VirtualAgentInfo,
  VirtualAgentInfo__Output,
} from './generated/com/cisco/wcc/ccai/media/v1/VirtualAgentInfo';
export type {
  VoiceVirtualAgentClient,
  VoiceVirtualAgentHandlers,
} from './generated/com/cisco/wcc/ccai/media/v1/VoiceVirtualAgent';
export type { HealthClient, HealthHandlers } from './generated/grpc/health/v1/Health';
export type {
  HealthCheckRequest,
  HealthCheckRequest__Output,
} from './generated/grpc/health/v1/HealthCheckRequest';
export type {
  HealthCheckResponse,
  HealthCheckResponse__Output,
} from './generated/grpc/health/v1/HealthCheckResponse';
export type {
  HealthListResponse,
  HealthListResponse__Output,
} from './generated/grpc/health/v1/HealthListResponse';
export type { Struct, Struct__Output } from './generated/google/protobuf/Struct';
