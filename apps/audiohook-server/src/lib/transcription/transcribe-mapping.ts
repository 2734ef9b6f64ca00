// Amazon Transcribe streaming's results and errors in the terms of the @org/speech contract:
// a `Result` (seconds, `ch_0`/`ch_1`, pronunciation and punctuation items) becomes a SpeechResult
// (nanoseconds, channel index, words with their punctuation attached); SDK and service errors
// become coded SpeechErrors that say whether a new stream may succeed.

import type { Item, Result } from '@aws-sdk/client-transcribe-streaming';
import {
  SpeechError,
  SpeechErrorCode,
  type SpeechAlternative,
  type SpeechResult,
  type SpeechWord,
} from '@org/speech';

/** Whole nanoseconds of a Transcribe time in seconds, or undefined when it is not a time. */
function nanos(seconds: unknown): number | undefined {
  if (typeof seconds !== 'number' || !Number.isFinite(seconds) || seconds < 0) return undefined;
  return Math.round(seconds * 1e9);
}

function confidenceOf(value: unknown): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  return Math.min(1, Math.max(0, value));
}

/** `ch_0` → 0, `ch_1` → 1; no channel (mono, no channel identification) → 0. */
function channelOf(id: unknown): number | undefined {
  if (id === undefined) return 0;
  if (typeof id !== 'string') return undefined;
  const match = /^ch_(\d)$/.exec(id);
  return match === null ? undefined : Number(match[1]);
}

/** Pronunciations become words; a punctuation mark joins the word before it. */
function wordsOf(items: readonly Item[]): SpeechWord[] {
  const words: SpeechWord[] = [];
  for (const item of items) {
    const text = typeof item.Content === 'string' ? item.Content : '';
    if (item.Type === 'punctuation') {
      const previous = words.pop();
      if (previous !== undefined) words.push({ ...previous, text: previous.text + text });
      continue;
    }
    const startNs = nanos(item.StartTime);
    const endNs = nanos(item.EndTime);
    if (startNs === undefined || endNs === undefined || text === '') continue;
    const confidence = confidenceOf(item.Confidence);
    words.push({
      text,
      startNs,
      endNs: Math.max(startNs, endNs),
      ...(confidence === undefined ? {} : { confidence }),
    });
  }
  return words;
}

/**
 * The contract's form of one Transcribe `Result`, or `undefined` for a result without usable
 * times, channel or alternatives (the event is external input; such a result is skipped).
 *
 * @example
 * ```ts
 * for (const r of event.TranscriptEvent.Transcript?.Results ?? []) {
 *   const result = fromTranscribeResult(r);
 *   if (result) listener.result(result);
 * }
 * ```
 */
export function fromTranscribeResult(result: Result): SpeechResult | undefined {
  const startNs = nanos(result.StartTime);
  const endNs = nanos(result.EndTime);
  const channel = channelOf(result.ChannelId);
  if (startNs === undefined || endNs === undefined || channel === undefined) return undefined;
  const alternatives: SpeechAlternative[] = (result.Alternatives ?? []).map((alternative) => ({
    transcript: typeof alternative.Transcript === 'string' ? alternative.Transcript : '',
    words: wordsOf(alternative.Items ?? []),
  }));
  if (alternatives.length === 0) return undefined;
  return {
    id:
      typeof result.ResultId === 'string' && result.ResultId !== ''
        ? result.ResultId
        : `${channel}@${startNs}`,
    channel,
    isFinal: result.IsPartial !== true,
    startNs,
    endNs: Math.max(startNs, endNs),
    ...(typeof result.LanguageCode === 'string' ? { language: result.LanguageCode } : {}),
    alternatives,
  };
}

/** Service exceptions by name (from the event stream or an HTTP error response). */
const CODE_OF: Readonly<Record<string, SpeechErrorCode>> = {
  LimitExceededException: SpeechErrorCode.Throttled,
  ThrottlingException: SpeechErrorCode.Throttled,
  TooManyRequestsException: SpeechErrorCode.Throttled,
  InternalFailureException: SpeechErrorCode.EngineUnavailable,
  ServiceUnavailableException: SpeechErrorCode.EngineUnavailable,
  TimeoutError: SpeechErrorCode.EngineUnavailable,
  RequestTimeout: SpeechErrorCode.EngineUnavailable,
  BadRequestException: SpeechErrorCode.EngineRejected,
  ConflictException: SpeechErrorCode.EngineRejected,
  ResourceNotFoundException: SpeechErrorCode.EngineRejected,
  AccessDeniedException: SpeechErrorCode.EngineRejected,
  UnrecognizedClientException: SpeechErrorCode.EngineRejected,
  InvalidSignatureException: SpeechErrorCode.EngineRejected,
  CredentialsProviderError: SpeechErrorCode.EngineRejected,
};

/** Network failures of the HTTP/2 connection (Node error codes): transient. */
const NETWORK = /^(?:ECONN|EPIPE|ETIMEDOUT|EAI_AGAIN|ENOTFOUND|EHOSTUNREACH|ERR_HTTP2_)/;

/**
 * A coded SpeechError for whatever the SDK threw: throttling (`LimitExceededException`, HTTP 429)
 * and server or network failures are retryable; bad requests, permissions and missing
 * credentials are not.
 *
 * @example
 * ```ts
 * listener.closed(toSpeechError(error));
 * ```
 */
export function toSpeechError(error: unknown): SpeechError {
  if (error instanceof SpeechError) return error;
  const value = (error ?? {}) as {
    name?: unknown;
    message?: unknown;
    code?: unknown;
    $metadata?: { httpStatusCode?: unknown };
  };
  const name = typeof value.name === 'string' ? value.name : 'Error';
  const message = typeof value.message === 'string' ? value.message : String(error);
  const status =
    typeof value.$metadata?.httpStatusCode === 'number'
      ? value.$metadata.httpStatusCode
      : undefined;
  const nodeCode = typeof value.code === 'string' ? value.code : '';
  let code = CODE_OF[name];
  if (code === undefined) {
    if (status === 429) code = SpeechErrorCode.Throttled;
    else if (status !== undefined && status >= 500) code = SpeechErrorCode.EngineUnavailable;
    else if (status !== undefined && status >= 400) code = SpeechErrorCode.EngineRejected;
    else code = NETWORK.test(nodeCode) ? SpeechErrorCode.EngineUnavailable : undefined;
  }
  return new SpeechError(code ?? SpeechErrorCode.EngineUnavailable, `${name}: ${message}`, {
    engineCode: name,
    ...(status === undefined ? {} : { status }),
    cause: error,
  });
}
