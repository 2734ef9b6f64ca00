// Public API of @org/speech. Every export is listed by name.

export { asSpeechError, SpeechError, SpeechErrorCode, type SpeechErrorOptions } from './lib/errors';
export {
  checkResult,
  type RedactionMode,
  type SpeechAlternative,
  type SpeechEngine,
  type SpeechResult,
  type SpeechStream,
  type SpeechStreamListener,
  type SpeechStreamOptions,
  type SpeechWord,
} from './lib/engine';
export {
  SpeechEmitter,
  silentLogger,
  systemClock,
  type Clock,
  type SpeechEventMap,
  type SpeechLogMethod,
  type SpeechLogger,
  type TimerHandle,
} from './lib/runtime';
export { FeedTimeline, TIMELINE_MAX_ANCHORS, type FeedTimelineOptions } from './lib/timeline';
export { PendingAudio, type DropReport, type FeedChunk } from './lib/audio-buffer';
export { RetryBudget, type RetryOptions } from './lib/retry';
export {
  placeResult,
  type TimedAlternative,
  type TimedTranscript,
  type TimedWord,
} from './lib/transcript';
export {
  TRANSCRIBE_STREAMING_LANGUAGES,
  findLanguage,
  fromTranscribeLanguage,
  toTranscribeLanguage,
} from './lib/languages';
export {
  StreamingTranscriber,
  type TranscriberEvents,
  type TranscriberOptions,
  type TranscriberState,
} from './lib/transcriber';
