// OpenTelemetry (one span per session, its trace id on the session's log lines) and the EMF
// autoscaling metric (ActiveSessions) of the deployment contract.

import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { RawClient } from './helpers/raw-client';
import { startTestServer, UNSIGNED_KEY, type TestServer } from './helpers/server';
import { until } from './helpers/wait';

let server: TestServer;
afterEach(async () => {
  await server.stop();
});

async function oneSession(): Promise<RawClient> {
  const client = new RawClient({ url: server.url(), apiKey: UNSIGNED_KEY });
  await client.opened;
  client.open();
  await client.waitFor('opened');
  client.sendRaw(new Uint8Array(1600));
  return client;
}

describe('tracing', () => {
  it('makes one span per session and puts its trace id on every line of the session', async () => {
    const exporter = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    server = await startTestServer({}, { tracer: provider.getTracer('test') });
    const client = await oneSession();
    await client.finish();
    await until(() => exporter.getFinishedSpans().length === 1, 'the session span');
    const [span] = exporter.getFinishedSpans();
    expect(span?.name).toBe('audiohook.session');
    expect(span?.attributes).toMatchObject({
      'audiohook.session_id': client.sessionId,
      'audiohook.endpoint': 'audiohook',
      'audiohook.outcome': 'closed',
      'audiohook.audio_bytes': 1600,
    });
    const lines = server.log.lines().filter((l) => l['sessionId'] === client.sessionId);
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line['trace_id']).toBe(span?.spanContext().traceId);
    await provider.shutdown();
  });
});

describe('EMF', () => {
  it('writes ActiveSessions every EMF_INTERVAL_SECONDS with the Service dimension', async () => {
    server = await startTestServer({ EMF_NAMESPACE: 'AudioHook', EMF_INTERVAL_SECONDS: '1' });
    const client = await oneSession();
    const document = await until(
      () => server.log.lines().find((l) => l['_aws'] !== undefined && l['ActiveSessions'] === 1),
      'an EMF line with one active session',
      20_000,
    );
    expect(document).toEqual({
      _aws: {
        Timestamp: expect.any(Number),
        CloudWatchMetrics: [
          {
            Namespace: 'AudioHook',
            Dimensions: [['Service']],
            Metrics: [{ Name: 'ActiveSessions', Unit: 'Count' }],
          },
        ],
      },
      Service: 'audiohook-server',
      ActiveSessions: 1,
    });
    await client.finish();
  });

  it('writes no EMF line without EMF_NAMESPACE', async () => {
    server = await startTestServer({ EMF_INTERVAL_SECONDS: '1' });
    const client = await oneSession();
    await client.finish();
    expect(server.log.lines().some((l) => l['_aws'] !== undefined)).toBe(false);
  });
});
