import { randomUUID } from 'node:crypto';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { startCollector, type TestCollector, topicOf, waitFor } from './helpers';

/** The series (sample lines) of a Prometheus text exposition. */
const series = (text: string): string[] =>
  text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
const names = (lines: string[]): string[] => lines.map((l) => l.split(' ')[0] ?? '').sort();

describe('/metrics stays bounded whatever Genesys sends', () => {
  let genesys: FakeGenesys;
  let c: TestCollector | undefined;
  afterEach(async () => {
    await c?.stop();
    c = undefined;
    await genesys.stop();
  });

  it('keeps the same series after 300 frames with unknown topics, event types, system messages and results', async () => {
    genesys = await new FakeGenesys({ heartbeatIntervalMs: 200 }).start();
    c = await startCollector(genesys, { env: { WRITE_ALL_EVENTS: 'true' } });
    await waitFor('connected', () => genesys.connectedChannels().length === 1);
    genesys.publish(topicOf(), audioHookBody(0));
    await waitFor('first event', () => c?.records().length === 1);
    const before = series((await c.http('/metrics')).text);

    for (let i = 0; i < 50; i += 1) {
      const id = randomUUID();
      const frames: unknown[] = [
        { topicName: `v2.operations.events.UNKNOWN-${id}`, eventBody: audioHookBody(i + 1) },
        {
          topicName: topicOf(),
          eventBody: audioHookBody(i + 100, {
            eventEntity: { id: `X-${id}`, name: id, description: id },
            entityType: `type-${id}`,
          }),
        },
        { topicName: `v2.users.${id}.presence`, eventBody: { presence: id } },
        { topicName: `v2.system.${id}`, eventBody: { systemTopicType: id, reason: id } },
        { result: id, status: id },
        { topicName: 'channel.metadata', eventBody: { message: id } },
      ];
      for (const f of frames) genesys.sendRaw(JSON.stringify(f));
    }
    await waitFor('all frames counted', () => (c?.collector.metrics.get('messages') ?? 0) >= 301);
    const after = series((await c.http('/metrics')).text);
    expect(names(after)).toEqual(names(before));
    expect(after.join('\n')).not.toMatch(/UNKNOWN-|X-[0-9a-f]{8}|type-|presence/);
    expect((await c.http('/health')).status).toBe(200);
  });
});
