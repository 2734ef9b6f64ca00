// The interactions WxCC runs, as functions: event, DTMF entry, and a streamed voice turn that
// sends 20 ms u-law frames (in real time or unpaced) and stops at END_OF_INPUT, as WxCC does.

import { stringToDtmfEvents, type VoiceVARequest, type VoiceVAResponse__Output } from '@org/byova';
import type { FrameClock } from './clock';
import { frames, silence } from './audio';
import type { InteractionClient, InteractionResult } from './client';

/** The envelope of every request of a call. */
export interface CallIdentity {
  readonly conversationId: string;
  readonly customerOrgId: string;
  readonly virtualAgentId: string;
}

function envelope(id: CallIdentity): VoiceVARequest {
  return {
    conversation_id: id.conversationId,
    customer_org_id: id.customerOrgId,
    virtual_agent_id: id.virtualAgentId,
  };
}

export type EventName =
  'SESSION_START' | 'SESSION_END' | 'NO_INPUT' | 'START_OF_DTMF' | 'CUSTOM_EVENT';

export function sendEvent(
  client: InteractionClient,
  id: CallIdentity,
  type: EventName,
  name = '',
): Promise<InteractionResult> {
  return client.exchange([
    { ...envelope(id), event_input: { event_type: type, name, parameters: { fields: {} } } },
  ]);
}

/** START_OF_DTMF then the entry, as two streams (WxCC's order). */
export async function sendDtmf(
  client: InteractionClient,
  id: CallIdentity,
  keys: string,
): Promise<InteractionResult[]> {
  const events = stringToDtmfEvents(keys);
  const start = await sendEvent(client, id, 'START_OF_DTMF');
  const entry = await client.exchange([{ ...envelope(id), dtmf_input: { dtmf_events: events } }]);
  return [start, entry];
}

export interface VoiceTurnOptions {
  /** Pace frames every 20 ms (true) or send them as fast as possible. */
  readonly realtime: boolean;
  readonly clock: FrameClock;
  /** Silence before the utterance. @default 300 */
  readonly leadMs?: number;
  /** Silence streamed after the utterance while waiting for END_OF_INPUT. @default 4000 */
  readonly maxTrailingMs?: number;
}

export interface VoiceTurnResult extends InteractionResult {
  /** ms from the first frame to START_OF_INPUT. */
  readonly startOfInputMs: number | undefined;
  /** ms from the last utterance frame sent to END_OF_INPUT. */
  readonly endOfInputMs: number | undefined;
  /** ms from the last utterance frame sent to the first response after END_OF_INPUT. */
  readonly replyMs: number | undefined;
}

function hasEvent(response: VoiceVAResponse__Output, type: string): boolean {
  return response.output_events.some((e) => e.event_type === type);
}

/** Streams an utterance, then silence until END_OF_INPUT; half-closes and waits for the end. */
export async function voiceTurn(
  client: InteractionClient,
  id: CallIdentity,
  utterance: Uint8Array,
  options: VoiceTurnOptions,
): Promise<VoiceTurnResult> {
  const lead = frames(silence(options.leadMs ?? 300));
  const speech = frames(utterance);
  const trailing = Math.ceil((options.maxTrailingMs ?? 4000) / 20);
  const total = lead.length + speech.length + trailing;
  const lastSpeechIndex = lead.length + speech.length - 1;
  const silentFrame = frames(silence(20))[0] as Uint8Array;
  let firstFrameAt = 0;
  let lastSpeechAt: number | undefined;
  let startOfInputAt: number | undefined;
  let endOfInputAt: number | undefined;
  let replyAt: number | undefined;
  let index = 0;
  let stop = false;

  const interaction = client.open((response, self) => {
    const now = performance.now();
    if (hasEvent(response, 'START_OF_INPUT')) startOfInputAt ??= now;
    if (hasEvent(response, 'END_OF_INPUT')) {
      endOfInputAt ??= now;
      // WxCC stops streaming at END_OF_INPUT.
      stop = true;
      self.halfClose();
      return;
    }
    if (endOfInputAt !== undefined) replyAt ??= now;
  });
  // The first message of a WxCC turn carries the format and (almost) no audio.
  interaction.write({
    ...envelope(id),
    audio_input: {
      caller_audio: Buffer.alloc(3, 0xff),
      encoding: 'MULAW_FORMAT',
      sample_rate_hertz: 8000,
      language_code: 'en-US',
    },
  });
  const sendNext = (): boolean => {
    if (stop || interaction.done) return false;
    if (index >= total) {
      interaction.halfClose();
      return false;
    }
    const frame =
      index < lead.length
        ? lead[index]
        : index <= lastSpeechIndex
          ? speech[index - lead.length]
          : silentFrame;
    if (index === 0) firstFrameAt = performance.now();
    interaction.write({
      ...envelope(id),
      audio_input: {
        caller_audio: Buffer.from(frame as Uint8Array),
        encoding: 'UNSPECIFIED_FORMAT',
        sample_rate_hertz: 0,
        language_code: 'en-US',
        audio_timestamp: { seconds: String(Math.floor(Date.now() / 1000)), nanos: 0 },
      },
    });
    if (index === lastSpeechIndex) lastSpeechAt = performance.now();
    index += 1;
    return true;
  };
  if (options.realtime) {
    options.clock.subscribe(sendNext);
  } else {
    while (sendNext()) {
      // Let responses in between writes so END_OF_INPUT can stop the stream.
      if (index % 25 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
  }
  const result = await interaction.finished;
  stop = true;
  return {
    ...result,
    startOfInputMs: startOfInputAt !== undefined ? startOfInputAt - firstFrameAt : undefined,
    endOfInputMs:
      endOfInputAt !== undefined && lastSpeechAt !== undefined
        ? endOfInputAt - lastSpeechAt
        : undefined,
    replyMs:
      replyAt !== undefined && lastSpeechAt !== undefined ? replyAt - lastSpeechAt : undefined,
  };
}
