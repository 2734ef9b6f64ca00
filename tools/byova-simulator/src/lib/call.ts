// A scripted call: runs steps (start, say, dtmf, no-input, event, hangup, wait) the way WxCC
// would, prints the conversation, and collects the bot's audio.

import { status } from '@grpc/grpc-js';
import { dtmfDigitToKey, fromStruct, type VoiceVAResponse__Output } from '@org/byova';
import { loadCallerWav, promptAudio, testUtterance } from './audio';
import type { InteractionClient, InteractionResult } from './client';
import { FrameClock } from './clock';
import { sendDtmf, sendEvent, voiceTurn, type CallIdentity } from './turn';

/** One step of a call script. */
export type Step =
  | { readonly kind: 'start' }
  | { readonly kind: 'say'; readonly source: string }
  | { readonly kind: 'dtmf'; readonly keys: string }
  | { readonly kind: 'no-input' }
  | { readonly kind: 'event'; readonly name: string }
  | { readonly kind: 'hangup' }
  | { readonly kind: 'wait'; readonly ms: number };

/** Parses `start`, `say:<file.wav|tone[:ms]>`, `dtmf:<keys>`, `no-input`, `event:<name>`, `hangup`, `wait:<ms>`. */
export function parseStep(text: string): Step {
  const [kind = '', ...rest] = text.split(':');
  const arg = rest.join(':');
  switch (kind) {
    case 'start':
      return { kind: 'start' };
    case 'say':
      if (arg === '') throw new Error('say needs a WAV file or "tone[:ms]": say:caller.wav');
      return { kind: 'say', source: arg };
    case 'dtmf':
      if (!/^[0-9A-Da-d*#]*$/.test(arg))
        throw new Error(`dtmf keys must be 0-9, A-D, * or #: ${arg}`);
      return { kind: 'dtmf', keys: arg.toUpperCase() };
    case 'no-input':
      return { kind: 'no-input' };
    case 'event':
      return { kind: 'event', name: arg };
    case 'hangup':
      return { kind: 'hangup' };
    case 'wait': {
      const ms = Number(arg);
      if (!Number.isFinite(ms) || ms < 0) throw new Error(`wait needs milliseconds: ${text}`);
      return { kind: 'wait', ms };
    }
    default:
      throw new Error(
        `unknown step "${text}" (start, say:<file>, dtmf:<keys>, no-input, event:<name>, hangup, wait:<ms>)`,
      );
  }
}

export interface CallOptions extends CallIdentity {
  readonly realtime: boolean;
  readonly print: (line: string) => void;
}

export interface CallResult {
  /** u-law 8 kHz audio of every prompt received, in order. */
  readonly botAudio: Uint8Array;
  /** The terminal event, if the gateway ended the call. */
  readonly outcome: string | undefined;
  /** Streams that did not end with OK. */
  readonly failures: number;
}

function describeResponse(response: VoiceVAResponse__Output, audioParts: Uint8Array[]): string {
  const parts: string[] = [response.response_type];
  for (const prompt of response.prompts) {
    const audio = prompt.audio_content.length > 0 ? promptAudio(prompt.audio_content) : undefined;
    if (audio !== undefined) audioParts.push(audio.ulaw);
    const seconds =
      audio !== undefined
        ? `${(audio.ulaw.length / 8000).toFixed(2)} s ${audio.wav ? 'WAV' : 'raw'}`
        : 'text only';
    parts.push(
      `prompt "${prompt.text}" (${seconds}${prompt.is_barge_in_enabled ? ', barge-in' : ''})`,
    );
  }
  for (const event of response.output_events) {
    const metadata = fromStruct(event.metadata);
    parts.push(
      `event ${event.event_type}${event.name ? ` ${event.name}` : ''}${Object.keys(metadata).length ? ` ${JSON.stringify(metadata)}` : ''}`,
    );
  }
  if (response.input_mode !== 'INPUT_VOICE_MODE_UNSPECIFIED')
    parts.push(`next ${response.input_mode}`);
  const dtmf = response.input_handling_config?.dtmf_config;
  if (dtmf != null && dtmf.dtmf_input_length > 0) {
    const term =
      dtmf.termchar === 'DTMF_EVENT_UNSPECIFIED' ? '' : `, end ${dtmfDigitToKey(dtmf.termchar)}`;
    parts.push(`dtmf{max ${dtmf.dtmf_input_length}, ${dtmf.inter_digit_timeout_msec} ms${term}}`);
  }
  if (response.session_transcript?.text)
    parts.push(`transcript ${JSON.stringify(response.session_transcript.text)}`);
  return parts.join('  ');
}

/** Runs a scripted call and prints what happens. */
export async function runCall(
  client: InteractionClient,
  steps: readonly Step[],
  options: CallOptions,
): Promise<CallResult> {
  const clock = new FrameClock();
  const audioParts: Uint8Array[] = [];
  let outcome: string | undefined;
  let failures = 0;
  const report = (result: InteractionResult): void => {
    for (const response of result.responses) {
      options.print(`  <- ${describeResponse(response, audioParts)}`);
      for (const event of response.output_events) {
        if (event.event_type === 'SESSION_END' || event.event_type === 'TRANSFER_TO_AGENT')
          outcome = event.event_type;
      }
    }
    if (result.code !== status.OK) {
      failures += 1;
      options.print(`  <- status ${status[result.code]}: ${result.details}`);
    } else if (result.responses.length === 0) {
      options.print('  <- (no response) OK');
    }
  };
  for (const step of steps) {
    if (outcome !== undefined && step.kind !== 'wait') {
      options.print(`(call already ended with ${outcome}; "${step.kind}" skipped)`);
      continue;
    }
    switch (step.kind) {
      case 'start':
        options.print('-> SESSION_START');
        report(await sendEvent(client, options, 'SESSION_START', 'call_start'));
        break;
      case 'say': {
        const [source, ms] = step.source.split(':');
        const audio =
          source === 'tone'
            ? testUtterance(ms !== undefined ? Number(ms) : 1000)
            : loadCallerWav(step.source);
        options.print(
          `-> audio ${step.source} (${(audio.length / 8000).toFixed(2)} s, ${options.realtime ? 'real time' : 'unpaced'})`,
        );
        const turn = await voiceTurn(client, options, audio, { realtime: options.realtime, clock });
        report(turn);
        const timing = [
          turn.startOfInputMs !== undefined
            ? `START_OF_INPUT after ${turn.startOfInputMs.toFixed(0)} ms`
            : 'no START_OF_INPUT',
          turn.endOfInputMs !== undefined
            ? `END_OF_INPUT ${turn.endOfInputMs.toFixed(0)} ms after the speech`
            : 'no END_OF_INPUT',
          turn.replyMs !== undefined
            ? `reply ${turn.replyMs.toFixed(0)} ms after the speech`
            : 'no reply',
        ];
        options.print(`  (${timing.join(', ')})`);
        break;
      }
      case 'dtmf': {
        options.print(`-> START_OF_DTMF, then DTMF "${step.keys}"`);
        for (const result of await sendDtmf(client, options, step.keys)) report(result);
        break;
      }
      case 'no-input':
        options.print('-> NO_INPUT');
        report(await sendEvent(client, options, 'NO_INPUT'));
        break;
      case 'event':
        options.print(`-> CUSTOM_EVENT ${step.name}`);
        report(await sendEvent(client, options, 'CUSTOM_EVENT', step.name));
        break;
      case 'hangup':
        options.print('-> SESSION_END (caller hangs up)');
        report(await sendEvent(client, options, 'SESSION_END', 'call_end'));
        outcome ??= 'CALLER_HANGUP';
        break;
      case 'wait':
        await new Promise((resolve) => setTimeout(resolve, step.ms));
        break;
    }
  }
  const total = audioParts.reduce((n, p) => n + p.length, 0);
  const botAudio = new Uint8Array(total);
  let offset = 0;
  for (const part of audioParts) {
    botAudio.set(part, offset);
    offset += part.length;
  }
  return { botAudio, outcome, failures };
}
