// Drives a CallerTurnSession without gRPC: a hand-moved clock, a scripted connector (a plain
// implementation of the connector contract that records what it is asked), and WxCC-like audio
// frames.

import { ToneGenerator, encodeUlaw } from '@org/audio';
import {
  CallerTurnSession,
  newConversationState,
  type ByovaInput,
  type ByovaLogger,
  type Clock,
  type ConnectorEvent,
  type ConnectorSession,
  type ConversationState,
  type InputPreferences,
  type JsonObject,
  type SpeechStart,
  type TurnGate,
  type TurnObserver,
  type TurnReply,
  type TurnSettings,
  type TurnStream,
  type Utterance,
  type VoiceVAResponse,
} from '../../src';

export class FakeClock implements Clock {
  constructor(public time = 1_700_000_000_000) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

export const INPUT: InputPreferences = {
  inputMode: 'INPUT_VOICE_DTMF',
  inputHandlingConfig: {
    dtmf_config: {
      dtmf_input_length: 4,
      inter_digit_timeout_msec: 3000,
      termchar: 'DTMF_DIGIT_POUND',
    },
    speech_timers: { complete_timeout_msec: 5000 },
  },
};

type Answer<A> = (arg: A) => TurnReply | null | Promise<TurnReply | null>;

/** A connector session whose answers the test sets, recording every call. */
export class ScriptedSession implements ConnectorSession {
  readonly calls: string[] = [];
  readonly utterances: Utterance[] = [];
  readonly events: ConnectorEvent[] = [];
  readonly speechStarts: SpeechStart[] = [];
  onStart: Answer<{ name: string; parameters: JsonObject }> = () => ({
    prompts: [{ text: 'Welcome', audio: new Uint8Array(800).fill(0x55) }],
  });
  onUtterance: Answer<Utterance> = () => ({
    prompts: [{ text: 'Reply', audio: new Uint8Array(400).fill(0x44), bargeIn: true }],
  });
  onDtmf: Answer<string> = () => null;
  onEvent: Answer<ConnectorEvent> = () => null;
  snapshotValue: JsonObject | undefined;

  async start(event: { name: string; parameters: JsonObject }): Promise<TurnReply | null> {
    this.calls.push(`start:${event.name}`);
    return this.onStart(event);
  }
  speechStarted(start: SpeechStart): void {
    this.calls.push('speechStarted');
    this.speechStarts.push(start);
  }
  async utterance(utterance: Utterance): Promise<TurnReply | null> {
    this.calls.push('utterance');
    this.utterances.push(utterance);
    return this.onUtterance(utterance);
  }
  async dtmf(keys: string): Promise<TurnReply | null> {
    this.calls.push(`dtmf:${keys}`);
    return this.onDtmf(keys);
  }
  async event(event: ConnectorEvent): Promise<TurnReply | null> {
    this.calls.push(`event:${event.type}`);
    this.events.push(event);
    return this.onEvent(event);
  }
  async end(reason: string): Promise<void> {
    this.calls.push(`end:${reason}`);
  }
  snapshot(): JsonObject {
    return this.snapshotValue ?? {};
  }
}

/** What the observer and the logger saw. */
export interface Seen {
  readonly turns: [string, Readonly<Record<string, unknown>>][];
  readonly terminals: [string, string][];
  readonly latencies: number[];
  readonly connectorErrors: unknown[];
  readonly badAudio: unknown[];
  readonly callerSamples: number[];
  readonly utteranceSamples: number[];
  readonly botBytes: number[];
  readonly ended: string[];
  readonly logs: [string, string][];
  /** Conversation ends and stream completions, in order. */
  readonly order: string[];
}

export interface Harness {
  readonly session: CallerTurnSession;
  readonly connector: ScriptedSession;
  readonly clock: FakeClock;
  readonly seen: Seen;
  /** A stream whose responses land in `responses`; `completed` turns true on complete(). */
  open(): { stream: TurnStream; responses: VoiceVAResponse[]; readonly completed: boolean };
}

export function harness(
  options: {
    settings?: TurnSettings;
    replyMode?: 'wav' | 'chunk';
    state?: ConversationState;
    connector?: ScriptedSession;
    aroundTurn?: TurnObserver['aroundTurn'];
    gate?: TurnGate;
  } = {},
): Harness {
  const clock = new FakeClock();
  const connector = options.connector ?? new ScriptedSession();
  const seen: Seen = {
    turns: [],
    terminals: [],
    latencies: [],
    connectorErrors: [],
    badAudio: [],
    callerSamples: [],
    utteranceSamples: [],
    botBytes: [],
    ended: [],
    logs: [],
    order: [],
  };
  const log =
    (level: string) =>
    (_fields: Record<string, unknown>, message: string): void =>
      void seen.logs.push([level, message]);
  const logger: ByovaLogger = {
    debug: log('debug'),
    info: log('info'),
    warn: log('warn'),
    error: log('error'),
    child: () => logger,
  };
  const observer: TurnObserver = {
    turn: (kind, details) => void seen.turns.push([kind, details]),
    terminal: (outcome, name) => void seen.terminals.push([outcome, name]),
    replyLatency: (ms) => void seen.latencies.push(ms),
    connectorError: (error) => void seen.connectorErrors.push(error),
    badAudio: (error) => void seen.badAudio.push(error),
    callerAudio: (samples) => void seen.callerSamples.push(samples.length),
    utterance: (samples) => void seen.utteranceSamples.push(samples.length),
    botAudio: (ulaw) => void seen.botBytes.push(ulaw.length),
    ...(options.aroundTurn !== undefined ? { aroundTurn: options.aroundTurn } : {}),
    ended: (reason) => {
      seen.ended.push(reason);
      seen.order.push(`ended:${reason}`);
    },
  };
  const state =
    options.state ??
    newConversationState({
      conversationId: 'conv-1',
      agentId: 'Agent',
      customerOrgId: 'org',
      connectorKey: 'scripted',
      input: INPUT,
      now: clock.now(),
    });
  const session = new CallerTurnSession({
    state,
    connector: {
      replyMode: options.replyMode ?? 'wav',
      input: INPUT,
      errorReply: () => ({
        prompts: [{ text: 'Sorry' }],
        event: { type: 'CUSTOM_EVENT', name: 'error_occurred' },
      }),
    },
    session: connector,
    settings: { endSilenceMs: 300, ...options.settings },
    clock,
    logger,
    observer,
    ...(options.gate !== undefined ? { gate: options.gate } : {}),
  });
  return {
    session,
    connector,
    clock,
    seen,
    open() {
      const responses: VoiceVAResponse[] = [];
      let completed = false;
      const stream = session.openStream({
        write: (r) => void responses.push(r),
        complete: () => {
          completed = true;
          seen.order.push('complete');
        },
      });
      return {
        stream,
        responses,
        get completed() {
          return completed;
        },
      };
    },
  };
}

export const event = (
  type:
    | 'SESSION_START'
    | 'SESSION_END'
    | 'NO_INPUT'
    | 'START_OF_DTMF'
    | 'CUSTOM_EVENT'
    | 'UNSPECIFIED_INPUT',
  name = '',
  parameters: JsonObject = {},
): ByovaInput => ({ kind: 'event', type, name, parameters });

export const dtmf = (keys: string): ByovaInput => ({
  kind: 'dtmf',
  events: [],
  keys: [...keys] as never,
});

/** `toneMs` of a 440 Hz tone at amplitude 9000 between `leadMs` and `silenceMs` of silence, u-law. */
export function utterance(toneMs: number, silenceMs: number, leadMs = 300): Uint8Array {
  const tone = encodeUlaw(
    new ToneGenerator({ frequency: 440, sampleRate: 8000, amplitude: 9000 }).next(toneMs * 8),
  );
  const out = new Uint8Array((leadMs + toneMs + silenceMs) * 8).fill(0xff);
  out.set(tone, leadMs * 8);
  return out;
}

/** WxCC's frames: a format-only first frame, then 160-byte frames. */
export function frames(
  ulaw: Uint8Array,
  format: { encoding?: 'MULAW_FORMAT' | 'ALAW_FORMAT' | 'UNSPECIFIED_FORMAT'; rate?: number } = {},
): ByovaInput[] {
  const audio = (bytes: Uint8Array, encoding: string, rate: number): ByovaInput => ({
    kind: 'audio',
    audio: {
      caller_audio: Buffer.from(bytes),
      encoding: encoding as never,
      sample_rate_hertz: rate,
      audio_timestamp: null,
      language_code: 'en-US',
      is_single_utterance: false,
    },
  });
  const out = [audio(new Uint8Array(3).fill(0xff), 'MULAW_FORMAT', 8000)];
  for (let offset = 0; offset < ulaw.length; offset += 160) {
    out.push(
      audio(
        ulaw.subarray(offset, offset + 160),
        format.encoding ?? 'UNSPECIFIED_FORMAT',
        format.rate ?? 0,
      ),
    );
  }
  return out;
}

/** Feeds inputs in order, like a stream's requests. */
export async function send(
  session: CallerTurnSession,
  stream: TurnStream,
  inputs: readonly ByovaInput[],
): Promise<void> {
  for (const input of inputs) await session.receive(stream, input);
}

export const eventTypes = (responses: readonly VoiceVAResponse[]): string[] =>
  responses.flatMap((r) => (r.output_events ?? []).map((e) => String(e.event_type)));
