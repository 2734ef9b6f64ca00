// One OpenTelemetry span per BYOVA turn, and the trace ids on the log lines written during it;
// level words, ISO time, `service` and `sessionId` on every line of a conversation.

import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { createLogger } from '@org/service-kit';
import { captureLogs } from '@org/service-kit/testing';
import { audioRequests, dtmf, event, startGateway, testConfig, utterance } from './helpers/gateway';

const exporter = new InMemorySpanExporter();
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });

beforeAll(() => {
  provider.register();
});
afterAll(async () => {
  await provider.shutdown();
  trace.disable();
  context.disable();
});

describe('tracing and logs', () => {
  it('makes one span per turn and puts its trace id on the lines logged during it', async () => {
    const logs = captureLogs();
    const logger = createLogger({
      service: 'byova-gateway',
      level: 'debug',
      destination: logs.destination,
    });
    const gw = await startGateway(testConfig({ logging: { level: 'debug' } }), {
      logger,
      tracer: provider.getTracer('byova-gateway'),
    });
    try {
      await gw.client.rpc([event('trace-1', 'SESSION_START')]);
      await gw.client.rpc(audioRequests('trace-1', utterance(500, 500)));
      // An entry the local connector has no action for: it logs (at debug) inside the turn.
      await gw.client.rpc([dtmf('trace-1', ['DTMF_DIGIT_SEVEN'])]);
      await gw.client.rpc(audioRequests('trace-1', new Uint8Array(4000).fill(0xff))); // no turn
      const spans = exporter.getFinishedSpans();
      expect(spans.map((s) => [s.name, s.attributes['byova.turn.kind']])).toEqual([
        ['byova.turn', 'event'],
        ['byova.turn', 'speech'],
        ['byova.turn', 'dtmf'],
      ]);
      expect(spans[0]?.attributes).toMatchObject({
        'byova.conversation_id': 'trace-1',
        'byova.agent_id': 'Local Audio: Local Playback',
        'byova.connector': 'local_audio_connector',
        'byova.turn.event': 'SESSION_START',
      });
      expect(spans[1]?.attributes).toMatchObject({ 'byova.turn.end': 'silence' });
      const dtmfSpan = spans[2];
      const inTurn = logs.find('DTMF entry without an action');
      expect(inTurn).toHaveLength(1);
      expect(inTurn[0]).toMatchObject({
        trace_id: dtmfSpan?.spanContext().traceId,
        span_id: dtmfSpan?.spanContext().spanId,
      });
      // Every line of the conversation: level word, ISO time, service, sessionId.
      const lines = logs.lines.filter((l) => l['sessionId'] === 'trace-1');
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const line of lines) {
        expect(line.level).toMatch(/^(debug|info|warn|error)$/);
        expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(line['service']).toBe('byova-gateway');
      }
    } finally {
      await gw.stop();
    }
  });
});
