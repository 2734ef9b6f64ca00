// Issue 14: with CONVERSATION_TABLE, consecutive turns of one conversation served by different
// instances behave exactly as on one instance. Two gateways share one dynalite table and one
// recording folder; the same scripted call runs on a single gateway without a table and with its
// turns alternating between the two.

import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { status } from '@grpc/grpc-js';
import type { VoiceVARequest, VoiceVAResponse__Output } from '@org/byova';
import { type GatewayConfig } from '../src/config';
import { startLocalDynamo, type LocalDynamo } from './helpers/dynamo';
import { FakeLex } from './helpers/fake-lex';
import {
  audioRequests,
  dtmf,
  event,
  startGateway,
  testConfig,
  utterance,
  type RunningGateway,
} from './helpers/gateway';

const TABLE = 'byova-conversations';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo();
  await dynamo.createTable(TABLE);
});
afterAll(async () => {
  await dynamo.close();
});

function withTable(config: GatewayConfig): GatewayConfig {
  return {
    ...config,
    conversationTable: { table: TABLE, endpoint: dynamo.endpoint, region: 'us-east-1' },
  };
}

async function startShared(recordings: string): Promise<RunningGateway> {
  const config = withTable(
    testConfig({ audio_recording: { enabled: true, output_dir: recordings } }),
  );
  return startGateway(config, { dynamoClient: dynamo.client() });
}

/** A call with every kind of turn; each entry is one stream. */
function script(id: string): VoiceVARequest[][] {
  return [
    [event(id, 'SESSION_START', {}, 'call_start')],
    audioRequests(id, utterance(600, 500)),
    [event(id, 'SESSION_START')], // a duplicate: ignored on any instance
    [event(id, 'CUSTOM_EVENT', {}, 'survey')],
    [event(id, 'START_OF_DTMF')],
    audioRequests(id, utterance(600, 500)), // DTMF mode: not analysed
    [dtmf(id, ['DTMF_DIGIT_SEVEN', 'DTMF_DIGIT_POUND'])],
    audioRequests(id, utterance(400, 500)),
    [event(id, 'NO_INPUT')],
    [dtmf(id, ['DTMF_DIGIT_FIVE'])], // transfer: the conversation ends
    [event(id, 'SESSION_START')], // a new conversation with the same id: a fresh welcome
    [event(id, 'SESSION_END', {}, 'call_end')],
  ];
}

/** Runs the script, stream i on gateway i % n; returns every stream's responses and status. */
async function run(
  gateways: readonly RunningGateway[],
  id: string,
): Promise<{ responses: VoiceVAResponse__Output[]; code: number }[]> {
  const out = [];
  for (const [i, requests] of script(id).entries()) {
    const gw = gateways[i % gateways.length] as RunningGateway;
    const { responses, error } = await gw.client.rpc(requests);
    out.push({ responses, code: error?.code ?? status.OK });
  }
  return out;
}

/** The table's item of a conversation. */
async function stored(id: string): Promise<Record<string, AttributeValue> | undefined> {
  return (await dynamo.items(TABLE)).find((item) => item['pk']?.S === `conversation#${id}`);
}

/** The recordings in a folder, oldest conversation first, as bytes (names hold start times). */
function recordings(dir: string): Buffer[] {
  return readdirSync(dir)
    .sort()
    .map((name) => readFileSync(join(dir, name)));
}

describe('conversation state shared through DynamoDB', () => {
  it('gives the same replies, events and recordings with turns alternating between two instances as on one', async () => {
    const singleDir = mkdtempSync(join(tmpdir(), 'byova-single-'));
    const sharedDir = mkdtempSync(join(tmpdir(), 'byova-shared-'));
    const single = await startGateway(
      testConfig({ audio_recording: { enabled: true, output_dir: singleDir } }),
    );
    const a = await startShared(sharedDir);
    const b = await startShared(sharedDir);
    try {
      const expected = await run([single], 'call-1');
      const actual = await run([a, b], 'call-1');
      expect(actual).toEqual(expected);
      // The script did what it says (so the comparison is not of two empty runs).
      const events = actual.map((s) =>
        s.responses.flatMap((r) => r.output_events.map((e) => e.event_type)),
      );
      expect(events[1]).toEqual(['START_OF_INPUT', 'END_OF_INPUT']);
      expect(actual[2]?.responses).toEqual([]);
      expect(events[5]).toEqual([]);
      expect(events[9]).toEqual(['TRANSFER_TO_AGENT']);
      expect(actual[10]?.responses[0]?.prompts[0]?.text).toMatch(/^Hello/);
      expect(events[11]).toEqual(['SESSION_END']);
      expect(actual.every((s) => s.code === status.OK)).toBe(true);
      // Both instances served turns (the voice turns fell on B, the two DTMF entries one each).
      expect(await a.gateway.metrics.turns.get({ kind: 'dtmf' })).toBe(1);
      expect(await b.gateway.metrics.turns.get({ kind: 'dtmf' })).toBe(1);
      expect(await b.gateway.metrics.turns.get({ kind: 'speech' })).toBe(2);
      // Recordings: the same files, byte for byte (the first conversation's caller and bot audio,
      // the second one's welcome).
      const ours = recordings(sharedDir);
      expect(ours).toHaveLength(3);
      expect(ours).toEqual(recordings(singleDir));
      // Both conversations ended: nothing is left in the table.
      expect(await stored('call-1')).toBeUndefined();
    } finally {
      await Promise.all([single.stop(), a.stop(), b.stop()]);
      rmSync(singleDir, { recursive: true, force: true });
      rmSync(sharedDir, { recursive: true, force: true });
    }
  });

  it('keeps each conversation as one versioned item with a TTL while it lasts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'byova-items-'));
    const a = await startShared(dir);
    const b = await startShared(dir);
    try {
      await a.client.rpc([event('item-1', 'SESSION_START')]);
      await b.client.rpc([event('item-1', 'START_OF_DTMF')]);
      const item = await stored('item-1');
      expect(item?.['pk']?.S).toBe('conversation#item-1');
      // +1 per write: 1 when created (claimed by the welcome), 2 after the welcome, 3 when
      // START_OF_DTMF claims it, 4 after START_OF_DTMF; no claim is left.
      expect(Number(item?.['version']?.N)).toBe(4);
      expect(item?.['turnBy']).toBeUndefined();
      const state = JSON.parse(item?.['state']?.S ?? '{}') as Record<string, unknown>;
      expect(state).toMatchObject({ welcomed: true, dtmfMode: true, turns: 2, connector: {} });
      const expiresAt = Number(item?.['expiresAt']?.N);
      expect(expiresAt).toBeGreaterThan(Date.now() / 1000 + 600);
      // The instance that did not serve the last turn continues from the table's state.
      expect(a.gateway.registry.get('item-1')?.dtmfMode).toBe(false);
      await a.client.rpc([dtmf('item-1', ['DTMF_DIGIT_SIX'])]);
      expect(await stored('item-1')).toBeUndefined();
      expect(b.gateway.registry.get('item-1')).toBeDefined(); // a stale copy, dropped on its next use
      const again = await b.client.rpc([event('item-1', 'SESSION_START')]);
      expect(again.responses[0]?.prompts[0]?.text).toMatch(/^Hello/);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('does not end shared conversations when one instance shuts down', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'byova-stop-'));
    const a = await startShared(dir);
    const b = await startShared(dir);
    try {
      await a.client.rpc([event('stop-1', 'SESSION_START')]);
      await a.stop();
      expect(await a.gateway.metrics.conversationEnds.get({ reason: 'shutdown' })).toBe(0);
      const { responses } = await b.client.rpc([event('stop-1', 'SESSION_START')]);
      expect(responses).toEqual([]); // already welcomed
      expect(b.gateway.registry.get('stop-1')?.turns).toBe(1);
    } finally {
      await b.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fails the stream with UNAVAILABLE, a log line and a metric when the table cannot be reached', async () => {
    const gw = await startGateway({
      ...testConfig({ gateway: { store_timeout_ms: 500 } }),
      conversationTable: { table: TABLE, endpoint: 'http://127.0.0.1:9', region: 'us-east-1' },
    });
    try {
      const { error } = await gw.client.rpc([event('down-1', 'SESSION_START')]);
      expect(error?.code).toBe(status.UNAVAILABLE);
      expect(error?.details).toMatch(/conversation table byova-conversations could not be read/);
      expect(
        await gw.gateway.metrics.storeOperations.get({ operation: 'load', outcome: 'error' }),
      ).toBe(1);
    } finally {
      await gw.stop();
    }
  });

  it('lets the idle reaper end a conversation only when no instance served it recently', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'byova-reap-'));
    const clock = { time: Date.now(), now: () => clock.time };
    const config = withTable(testConfig({ audio_recording: { enabled: true, output_dir: dir } }));
    const a = await startGateway(config, { dynamoClient: dynamo.client(), clock });
    const b = await startGateway(config, { dynamoClient: dynamo.client(), clock });
    try {
      await a.client.rpc([event('reap-1', 'SESSION_START')]);
      clock.time += 300_000;
      await b.client.rpc([event('reap-1', 'CUSTOM_EVENT', {}, 'x')]);
      // A's copy has been idle for the timeout, but B served a turn 5 minutes ago: A drops its copy.
      clock.time += 300_000;
      expect(await a.gateway.registry.reap()).toBe(0);
      expect(a.gateway.registry.get('reap-1')).toBeUndefined();
      expect(await stored('reap-1')).toBeDefined();
      // Later, B's copy and the stored state are both idle: the conversation ends.
      clock.time += 300_000;
      expect(await b.gateway.registry.reap()).toBe(1);
      expect(await stored('reap-1')).toBeUndefined();
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('carries the Lex session (attributes, error count) from one instance to the next', async () => {
    process.env['AWS_ACCESS_KEY_ID'] = 'AKIDLOCALTEST';
    process.env['AWS_SECRET_ACCESS_KEY'] = 'local-test-secret';
    const lex = new FakeLex();
    const endpoints = await lex.listen();
    const config = withTable(
      testConfig({
        connectors: {
          lex: {
            type: 'aws_lex_connector',
            config: {
              region_name: 'us-east-1',
              bot_id: 'BOT1',
              bot_alias_id: 'LIVE',
              bot_name: 'BookingBot',
              endpoint: endpoints.runtime,
              models_endpoint: endpoints.models,
              max_retries: 0,
            },
          },
        },
      }),
    );
    const a = await startGateway(config, { dynamoClient: dynamo.client() });
    const b = await startGateway(config, { dynamoClient: dynamo.client() });
    const agent = { virtual_agent_id: 'aws_lex_connector: BookingBot' };
    try {
      lex.turns = [
        { messages: [{ content: 'Hi' }], sessionState: { sessionAttributes: { booking: 'B-17' } } },
      ];
      await a.client.rpc([event('lex-1', 'SESSION_START', agent)]);
      await b.client.rpc([{ ...dtmf('lex-1', ['DTMF_DIGIT_TWO']), ...agent }]);
      expect(lex.calls.map((c) => c.sessionId)).toEqual(['session_lex-1', 'session_lex-1']);
      expect(lex.calls.at(-1)?.sessionState).toMatchObject({
        sessionAttributes: { booking: 'B-17', wxcc_conversation_id: 'lex-1' },
      });
      // Two failures in a row escalate, even when each lands on another instance.
      const failure = { error: { status: 400, type: 'ValidationException', message: 'bad input' } };
      lex.turns = [failure, failure];
      const first = await a.client.rpc([{ ...dtmf('lex-1', ['DTMF_DIGIT_ONE']), ...agent }]);
      expect(first.responses[0]?.output_events[0]?.event_type).toBe('CUSTOM_EVENT');
      const second = await b.client.rpc([{ ...dtmf('lex-1', ['DTMF_DIGIT_ONE']), ...agent }]);
      expect(second.responses[0]?.output_events[0]?.event_type).toBe('TRANSFER_TO_AGENT');
    } finally {
      await Promise.all([a.stop(), b.stop()]);
      await lex.close();
    }
  });
});
