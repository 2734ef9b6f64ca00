// The turn gate of a conversation shared by several gateway instances: no connector call before
// the gate lets the turn run, the turn runs on the state adopted meanwhile, and a conversation
// that ended elsewhere drops the input.

import type { TurnGate, TurnReply, TurnStream } from '../src';
import {
  ScriptedSession,
  dtmf,
  event,
  eventTypes,
  frames,
  harness,
  send,
  utterance,
} from './helpers/turn-harness';

/** A gate the test opens by hand; `entered` resolves when a turn asks to pass. */
function manualGate(): TurnGate & {
  entered: Promise<TurnStream>;
  open(exists: boolean): void;
} {
  let entered: (stream: TurnStream) => void = () => undefined;
  let open: (exists: boolean) => void = () => undefined;
  const gate = new Promise<boolean>((resolve) => (open = resolve));
  return {
    entered: new Promise<TurnStream>((resolve) => (entered = resolve)),
    open: (exists) => open(exists),
    enter: (stream) => {
      entered(stream);
      return gate;
    },
  };
}

describe('turn gate', () => {
  it('calls the connector only once the gate lets the turn run', async () => {
    const gate = manualGate();
    const h = harness({ gate });
    const { stream, responses } = h.open();
    const handled = h.session.receive(stream, event('SESSION_START'));
    await gate.entered;
    expect(h.connector.calls).toEqual([]);
    expect(h.session.state.welcomed).toBe(false);
    gate.open(true);
    await handled;
    expect(h.connector.calls).toEqual(['start:']);
    expect(responses[0]?.prompts?.[0]?.text).toBe('Welcome');
  });

  it('runs the turn on the state and connector session adopted while it waited', async () => {
    const gate = manualGate();
    const h = harness({ gate });
    const { stream, responses } = h.open();
    const handled = h.session.receive(stream, event('SESSION_START'));
    await gate.entered;
    // Another instance welcomed the caller meanwhile: this SESSION_START is a duplicate.
    const newer = new ScriptedSession();
    h.session.adopt({ ...h.session.state, welcomed: true, turns: 1 }, newer);
    gate.open(true);
    await handled;
    expect(responses).toEqual([]);
    // The replaced session is only ended; nothing of the turn reaches it.
    expect(h.connector.calls).toEqual(['end:superseded']);
    expect(newer.calls).toEqual([]);
    await h.session.receive(h.open().stream, dtmf('5'));
    expect(newer.calls).toEqual(['dtmf:5']);
    expect(h.session.state.turns).toBe(2);
  });

  it('drops the input and completes the stream when the conversation ended elsewhere', async () => {
    const gate = manualGate();
    const h = harness({ gate });
    const opened = h.open();
    const handled = h.session.receive(opened.stream, dtmf('5'));
    gate.open(false);
    await handled;
    expect(opened.responses).toEqual([]);
    expect(opened.completed).toBe(true);
    expect(h.connector.calls).toEqual([]);
  });

  it('answers a hang-up for a conversation that ended elsewhere with session_ended_by_client', async () => {
    const gate = manualGate();
    const h = harness({ gate });
    const opened = h.open();
    const handled = h.session.receive(opened.stream, event('SESSION_END'));
    gate.open(false);
    await handled;
    expect(opened.responses).toEqual([
      { output_events: [{ event_type: 'SESSION_END', name: 'session_ended_by_client' }] },
    ]);
    expect(opened.completed).toBe(true);
    expect(h.connector.calls).toEqual([]);
  });

  it('drops an utterance when DTMF mode began on another instance while the gate waited', async () => {
    const gate = manualGate();
    const h = harness({ gate });
    const { stream, responses } = h.open();
    const sent = send(h.session, stream, frames(utterance(600, 500)));
    await gate.entered;
    h.session.adopt({ ...h.session.state, dtmfMode: true }, h.connector);
    gate.open(true);
    await sent;
    expect(eventTypes(responses)).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
    expect(h.connector.calls).not.toContain('utterance');
  });

  it('ends the connector session it replaces when it adopts a newer state', async () => {
    const h = harness();
    const newer = new ScriptedSession();
    h.session.adopt({ ...h.session.state, welcomed: true, turns: 1 }, newer);
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.connector.calls).toEqual(['end:superseded']);
    expect(newer.calls).toEqual([]);
    // The conversation goes on: its end reaches the new session only.
    await h.session.end('client_session_end');
    expect(h.connector.calls).toEqual(['end:superseded']);
    expect(newer.calls).toEqual(['end:client_session_end']);
  });

  it('logs, and does not throw, when the replaced connector session fails to end', async () => {
    const old = new ScriptedSession();
    old.end = () => Promise.reject(new Error('vendor down'));
    const h = harness({ connector: old });
    h.session.adopt({ ...h.session.state, turns: 1 }, new ScriptedSession());
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.seen.logs).toContainEqual(['warn', 'superseded connector session end failed']);
  });

  it('refuses the state of another conversation', () => {
    const h = harness();
    expect(() =>
      h.session.adopt({ ...h.session.state, conversationId: 'other' }, h.connector),
    ).toThrow('not a state of conversation conv-1');
  });
});

describe('abandon (this instance stops, the call goes on elsewhere)', () => {
  it('discards the turn under way and keeps the state from before it', async () => {
    const h = harness();
    let answer: (reply: TurnReply) => void = () => undefined;
    h.connector.onStart = () => new Promise((resolve) => (answer = resolve));
    const opened = h.open();
    const { stream, responses } = opened;
    const handled = h.session.receive(stream, event('SESSION_START'));
    await new Promise((resolve) => setImmediate(resolve));
    expect(h.connector.calls).toEqual(['start:']);
    h.session.abandon();
    h.session.abandon();
    // A terminal reply arriving afterwards is neither written nor ends the conversation.
    answer({ prompts: [], event: { type: 'SESSION_END', name: 'late' } });
    await handled;
    expect(responses).toEqual([]);
    expect(opened.completed).toBe(false);
    expect(h.session.ended).toBe(false);
    expect(h.seen.ended).toEqual([]);
    expect(h.session.state).toMatchObject({ welcomed: false, turns: 0 });
    // Later inputs are dropped.
    await h.session.receive(stream, dtmf('5'));
    expect(h.connector.calls).toEqual(['start:']);
  });

  it('takes a connector call failing once given up for its abort: no error, no error reply', async () => {
    const h = harness();
    let fail: (error: Error) => void = () => undefined;
    h.connector.onStart = () => new Promise((_resolve, reject) => (fail = reject));
    const opened = h.open();
    const handled = h.session.receive(opened.stream, event('SESSION_START'));
    await new Promise((resolve) => setImmediate(resolve));
    h.session.abandon();
    // The vendor call rejects because the connector's signal was aborted.
    fail(Object.assign(new Error('Request aborted'), { name: 'AbortError' }));
    await handled;
    expect(h.seen.connectorErrors).toEqual([]);
    expect(h.seen.logs.filter(([level]) => level === 'error')).toEqual([]);
    expect(opened.responses).toEqual([]);
    expect(h.session.state).toMatchObject({ welcomed: false, turns: 0 });
  });

  it('keeps the current state when no turn is under way', async () => {
    const h = harness();
    const { stream } = h.open();
    await h.session.receive(stream, event('SESSION_START'));
    h.session.abandon();
    expect(h.session.state).toMatchObject({ welcomed: true, turns: 1 });
  });

  it('still reports audio a stream received before it closed, without analysing it', async () => {
    const h = harness();
    let answer: (reply: TurnReply | null) => void = () => undefined;
    h.connector.onDtmf = () => new Promise((resolve) => (answer = resolve));
    const { stream } = h.open();
    const turn = h.session.receive(stream, dtmf('7'));
    // Frames queued behind the turn, then the stream is cancelled before they are handled.
    const queued = frames(new Uint8Array(1600).fill(0xff)).map((f) => h.session.receive(stream, f));
    stream.close();
    answer(null);
    await Promise.all([turn, ...queued]);
    expect(h.seen.callerSamples.reduce((n, c) => n + c, 0)).toBe(3 + 1600);
    expect(h.connector.calls).toEqual(['dtmf:7']);
  });
});
