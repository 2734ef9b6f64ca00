// The speech engine of the process, picked by `TRANSCRIPTION_ENGINE`: the simulator (the local
// default, no cloud account) or Amazon Transcribe streaming (region from `AWS_REGION`, the task
// role's credentials, `TRANSCRIBE_ENDPOINT` for a local fake), and the transcriber settings every
// session uses.

import { TranscribeStreamingClient } from '@aws-sdk/client-transcribe-streaming';
import { awsSdkLogger, type Logger } from '@org/service-kit';
import type { SpeechEngine } from '@org/speech';
import type { TranscriptionConfig } from '../../config';
import type { TranscriberSettings } from '../endpoints/voice-transcription';
import { SimulatorEngine } from './simulator-engine';
import { TranscribeEngine } from './transcribe-engine';

/**
 * The configured engine. `client` replaces the Transcribe client built from the configuration
 * (tests pass one with static credentials); `logger` takes the SDK's warnings of the one built
 * here (otherwise written to the console as plain text).
 *
 * @example
 * ```ts
 * const engine = createSpeechEngine(config.transcription, undefined, logger);
 * await engine.close(); // at shutdown
 * ```
 */
export function createSpeechEngine(
  config: TranscriptionConfig,
  client?: TranscribeStreamingClient,
  logger?: Logger,
): SpeechEngine {
  if (config.engine === 'simulator') return new SimulatorEngine();
  const { transcribe } = config;
  return new TranscribeEngine({
    client:
      client ??
      new TranscribeStreamingClient({
        region: transcribe.region,
        // Retries are the transcriber's (budget, back-off, audio replay), not the SDK's.
        maxAttempts: 1,
        ...(logger === undefined ? {} : { logger: awsSdkLogger(logger, 'Transcribe') }),
        ...(transcribe.endpoint === undefined ? {} : { endpoint: transcribe.endpoint }),
      }),
    channelIdentification: transcribe.channelIdentification,
    piiEntityTypes: transcribe.piiEntityTypes,
    startTimeoutMs: transcribe.startTimeoutMs,
  });
}

/** The per-session transcriber settings of the configuration. */
export function transcriberSettings(config: TranscriptionConfig): TranscriberSettings {
  return {
    partialResults: config.partialResults,
    partialIntervalMs: config.partialIntervalMs,
    bufferMs: config.bufferMs,
    retry: config.retry,
    vocabularies: config.vocabularies,
    redaction: config.redaction,
  };
}
