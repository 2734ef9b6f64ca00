// The experimental agent-assist demo (spec §14): when `customConfig.agentassist` is truthy the
// session requires stereo, sends an utterance 3 s after open and then, every 12.345 s, an article
// suggestion, an FAQ suggestion with an utterance, or another utterance, in turn. With
// `cannedUtterances: false` the timer sends only the suggestions: the utterances are the real
// transcripts of the call (see `agent-assist-transcripts.ts`).

import { randomUUID } from 'node:crypto';
import { formatDuration, type ServerSession } from '@org/audiohook-protocol';

export interface AgentAssistOptions {
  /** Delay of the first utterance. @default 3000 */
  readonly firstDelayMs?: number;
  /** Interval of the following events. @default 12345 */
  readonly intervalMs?: number;
  /** Send the demo's fixed utterances (`false`: transcripts supply them). @default true */
  readonly cannedUtterances?: boolean;
}

/** True when an open's `customConfig.agentassist` asks for the demo. */
export function wantsAgentAssist(customConfig: unknown): boolean {
  if (customConfig === null || typeof customConfig !== 'object') return false;
  const flag = (customConfig as Record<string, unknown>)['agentassist'];
  return flag !== undefined && flag !== null && flag !== false && flag !== 0 && flag !== '';
}

const UTTERANCES: readonly { channel: 'external' | 'internal'; text: string }[] = [
  { channel: 'external', text: 'Hi, I would like to change the address on my account.' },
  { channel: 'internal', text: 'Sure, I can help with that. Can you confirm your account number?' },
  { channel: 'external', text: 'Also, how long does a refund usually take?' },
  { channel: 'internal', text: 'Let me check that for you.' },
];

function position(session: ServerSession, backMs: number): string {
  return formatDuration(Math.max(0, session.position - backMs * 1_000_000));
}

/**
 * Starts the demo on `session` (call from an open handler once media is known). Returns a stop
 * function; the timers also stop by themselves when the session ends.
 */
export function startAgentAssist(
  session: ServerSession,
  options: AgentAssistOptions = {},
): () => void {
  let step = 0;
  let utterance = 0;
  let timer: NodeJS.Timeout | undefined;
  const canned = options.cannedUtterances ?? true;
  const nextUtterance = (backMs: number) => {
    const u = UTTERANCES[utterance++ % UTTERANCES.length] as (typeof UTTERANCES)[number];
    return {
      id: randomUUID(),
      position: position(session, backMs),
      duration: 'PT1.4S',
      text: u.text,
      language: 'en-US',
      confidence: 0.92,
      channel: u.channel,
      isFinal: true,
    };
  };
  const send = (data: Record<string, unknown>) => {
    session.sendEvent([{ type: 'agentassist', data: { id: randomUUID(), ...data } }]);
  };
  const tick = () => {
    if (!['ACTIVE', 'PAUSED'].includes(session.state)) return;
    switch (step++ % 3) {
      case 0:
        send({
          suggestions: [
            {
              type: 'article',
              id: randomUUID(),
              confidence: 0.81,
              position: position(session, 1500),
              title: 'Updating a customer address',
              excerpts: ['Addresses can be changed after verifying the account holder.'],
              documentUri: 'https://kb.example.com/articles/update-address',
              metadata: { source: 'demo' },
            },
          ],
        });
        break;
      case 1:
        send({
          ...(canned ? { utterances: [nextUtterance(3200)] } : {}),
          suggestions: [
            {
              type: 'faq',
              id: randomUUID(),
              confidence: 0.77,
              position: position(session, 1500),
              question: 'How long does a refund take?',
              answer: '<p>Refunds are processed within <b>5 business days</b>.</p>',
            },
          ],
        });
        break;
      default:
        if (canned) send({ utterances: [nextUtterance(1500)] });
    }
    timer = setTimeout(tick, options.intervalMs ?? 12_345);
  };
  const first = () => {
    // Started from an open handler: `opened` may not be out yet when a short delay is over
    // (other open handlers, e.g. the recording's file, may take longer). Wait for it.
    if (session.state === 'OPENING') {
      timer = setTimeout(first, 50);
      return;
    }
    if (!['ACTIVE', 'PAUSED'].includes(session.state)) return;
    if (canned) send({ utterances: [nextUtterance(1500)] });
    timer = setTimeout(tick, options.intervalMs ?? 12_345);
  };
  timer = setTimeout(first, options.firstDelayMs ?? 3000);
  const stop = () => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  session.on('end', stop);
  return stop;
}
