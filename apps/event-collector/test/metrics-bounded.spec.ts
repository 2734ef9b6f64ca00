import { randomUUID } from 'node:crypto';
import { audioHookBody, FakeGenesys } from './fakes/fake-genesys';
import { startCollector, type TestCollector, topicOf, waitFor } from './helpers';

/**
 * The collector's own series (sample lines) of a Prometheus text exposition. The process metrics
 * the service kit adds (`process_*`, `nodejs_*`) take no input from Genesys, but some of theirs
 * come and go with the runtime (GC kinds, handle types).
 */
const series = (text: string): string[] =>
  text.split('\n').filter((l) => l.startsWith('event_collector_'));
/** Every metric family named in the text. */
const families = (text: string): string[] =>
  [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? '').sort();
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
    const beforeText = (await c.http('/metrics')).text;
    const before = series(beforeText);

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
    const afterText = (await c.http('/metrics')).text;
    const after = series(afterText);
    expect(after.length).toBe(before.length);
    expect(names(after)).toEqual(names(before));
    expect(families(afterText)).toEqual(families(beforeText));
    for (const f of families(afterText)) expect(f).toMatch(/^(event_collector_|process_|nodejs_)/);
    expect(afterText).not.toMatch(/UNKNOWN-|X-[0-9a-f]{8}|type-|presence/);
    expect((await c.http('/health')).status).toBe(200);
  });
});
