import type { CreateMediaInsightsPipelineCommandInput } from '@aws-sdk/client-chime-sdk-media-pipelines';
import type { CallItem } from './call-store';
import {
  buildDestination,
  clientRequestToken,
  type Destination,
  type InvalidCharsPolicy,
  type KeyTemplate,
} from './destination';
import type { RecordingPlan } from './finalize';

/** The settings {@link buildPipelineRequest} reads. */
export interface RequestSettings {
  pipelineConfigurationArn: string;
  partition: string;
  bucket: string;
  prefix: string;
  keyTemplate: KeyTemplate;
  invalidChars: InvalidCharsPolicy;
  fragmentSelectorType: 'ProducerTimestamp' | 'ServerTimestamp';
  recordingFileFormat: 'Wav' | 'Opus';
  clientRequestToken: 'transactionId' | 'none';
}

/** A request and the facts the call item records about it. */
export interface PipelineRequest {
  input: CreateMediaInsightsPipelineCommandInput;
  destination: Destination;
  /** Absent with `CLIENT_REQUEST_TOKEN=none` (the SDK then sends a random one). */
  token?: string;
}

/**
 * Builds the CreateMediaInsightsPipeline request of a call: streams in plan order, a
 * `TimestampRange` of `Date` objects (the SDK sends epoch seconds with milliseconds; a number
 * would be sent unchanged and read as seconds), the S3 destination, an idempotency token derived
 * from the transaction id, and runtime metadata that `Media Insights State Change` events echo.
 *
 * @example
 * ```ts
 * const { input } = buildPipelineRequest(call, planRecording(snapshot, now, s), settings);
 * await client.send(new CreateMediaInsightsPipelineCommand(input));
 * ```
 * @throws RecorderError `CHIME_REC_ERR_DESTINATION_INVALID` (see {@link buildDestination}).
 */
export function buildPipelineRequest(
  call: Pick<CallItem, 'transactionId' | 'callId' | 'voiceConnectorId'>,
  plan: RecordingPlan,
  s: RequestSettings,
): PipelineRequest {
  const destination = buildDestination(
    {
      transactionId: call.transactionId,
      callId: call.callId,
      voiceConnectorId: call.voiceConnectorId,
      startMs: plan.startMs,
    },
    {
      bucket: s.bucket,
      prefix: s.prefix,
      template: s.keyTemplate,
      extension: s.recordingFileFormat === 'Wav' ? 'wav' : 'ogg',
      invalidChars: s.invalidChars,
      partition: s.partition,
    },
  );
  const token =
    s.clientRequestToken === 'transactionId' ? clientRequestToken(call.transactionId) : undefined;
  const input: CreateMediaInsightsPipelineCommandInput = {
    MediaInsightsPipelineConfigurationArn: s.pipelineConfigurationArn,
    KinesisVideoStreamRecordingSourceRuntimeConfiguration: {
      Streams: plan.legs.map((l) => ({ StreamArn: l.streamArn })),
      FragmentSelector: {
        FragmentSelectorType: s.fragmentSelectorType,
        TimestampRange: {
          StartTimestamp: new Date(plan.startMs),
          EndTimestamp: new Date(plan.endMs),
        },
      },
    },
    S3RecordingSinkRuntimeConfiguration: {
      Destination: destination.arn,
      RecordingFileFormat: s.recordingFileFormat,
    },
    MediaInsightsRuntimeMetadata: {
      transactionId: call.transactionId,
      callId: call.callId,
      voiceConnectorId: call.voiceConnectorId,
      // Which channel is which: the question users of recordings ask most.
      streams: plan.legs.map((l) => l.role).join(','),
    },
    ...(token === undefined ? {} : { ClientRequestToken: token }),
  };
  return token === undefined ? { input, destination } : { input, destination, token };
}
