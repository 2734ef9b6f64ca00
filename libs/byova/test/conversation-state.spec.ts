import {
  ByovaError,
  newConversationState,
  parseConversationState,
  type ConversationState,
} from '../src';
import { INPUT, ScriptedSession, dtmf, event, harness, send } from './helpers/turn-harness';

describe('conversation state', () => {
  it('round-trips through JSON and validates what it reads back', async () => {
    const h = harness();
    h.connector.snapshotValue = { dialog: 'd-1', errors: 0 };
    await send(h.session, h.open().stream, [event('SESSION_START'), event('START_OF_DTMF')]);
    const state = h.session.state;
    expect(state).toMatchObject({
      conversationId: 'conv-1',
      welcomed: true,
      dtmfMode: true,
      turns: 2,
      connector: { dialog: 'd-1', errors: 0 },
    });
    expect(parseConversationState(JSON.parse(JSON.stringify(state)))).toEqual(state);
  });

  it('rejects a state of the wrong shape with BYOVA_ERR_INVALID_STATE naming every problem', () => {
    const good = newConversationState({
      conversationId: 'c',
      agentId: 'a',
      customerOrgId: '',
      connectorKey: 'k',
      input: INPUT,
      now: 0,
    });
    const bad = {
      ...good,
      turns: -1,
      input: { ...good.input, inputMode: 'LOUD' },
      connector: [],
    } as unknown;
    expect(() => parseConversationState(bad)).toThrow(ByovaError);
    try {
      parseConversationState(bad);
    } catch (error) {
      expect((error as ByovaError).code).toBe('BYOVA_ERR_INVALID_STATE');
      expect((error as Error).message).toMatch(/turns.*input\.inputMode.*connector/);
    }
    expect(() =>
      parseConversationState({
        ...good,
        input: { ...good.input, inputHandlingConfig: { dtmf_config: { termchar: 99 } } },
      }),
    ).toThrow(/termchar: not a DTMF digit/);
  });

  it('lets a session continue from a stored state exactly where another left off', async () => {
    const first = harness();
    await send(first.session, first.open().stream, [
      event('SESSION_START'),
      event('START_OF_DTMF'),
    ]);
    const stored = parseConversationState(JSON.parse(JSON.stringify(first.session.state)));
    const connector = new ScriptedSession();
    const second = harness({ state: stored, connector });
    const dup = second.open();
    await second.session.receive(dup.stream, event('SESSION_START'));
    expect(dup.responses).toEqual([]);
    await send(second.session, second.open().stream, [dtmf('5#')]);
    expect(connector.calls).toEqual(['dtmf:5']);
    expect(second.session.state).toMatchObject({ welcomed: true, dtmfMode: false, turns: 3 });
  });

  it('stamps the start and each activity with the injected clock', async () => {
    const h = harness();
    const started = h.session.state.startedAt;
    h.clock.advance(5000);
    await send(h.session, h.open().stream, [event('NO_INPUT')]);
    const state: ConversationState = h.session.state;
    expect(state.startedAt).toBe(started);
    expect(state.lastActivityAt).toBe(started + 5000);
  });
});
