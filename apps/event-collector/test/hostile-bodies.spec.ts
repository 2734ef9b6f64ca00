import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { startCollector, type TestCollector, topicOf, waitFor } from './helpers';

/** An AudioHook notification whose eventBody carries `depth` nested objects under `extra`. */
function deeplyNested(depth: number): string {
  const body = JSON.stringify(audioHookBody(1));
  const nested = `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `{"topicName":"${topicOf()}","version":"2","eventBody":${body.slice(0, -1)},"extra":${nested}}}`;
}

describe('event bodies the collector cannot write as JSON', () => {
  let genesys: FakeGenesys;
  let c: TestCollector | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
    await genesys.stop();
  });

  it('counts a 5,000-level eventBody as malformed, keeps running and writes the events around it', async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    c = await startCollector(genesys);
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.sendRaw(deeplyNested(5000));
    genesys.publish(topicOf(), audioHookBody(2));
    await waitFor('the next event written', () => c?.records().length === 1);
    expect(c.records()[0]?.['conversation_id']).toBe(audioHookBody(2)['conversationId']);
    expect(c.collector.metrics.get('malformed_messages')).toBe(1);
    expect(c.collector.metrics.get('events_written')).toBe(1);
    expect(c.logs.has('event body nested too deeply to write as JSON; skipped')).toBe(true);
    expect((await c.http('/health')).status).toBe(200);
  });
});
