/** A seeded PRNG (mulberry32), so a run's event order can be reproduced. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fisher-Yates with the given random source. */
export function shuffle<T>(items: T[], random: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = items[i] as T;
    items[i] = items[j] as T;
    items[j] = tmp;
  }
  return items;
}

/** The Voice Connector every simulated call uses. */
export const VOICE_CONNECTOR = 'benchvoiceconnector001';

function hex(random: () => number, n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += Math.floor(random() * 16).toString(16);
  return s;
}

function uuid(random: () => number): string {
  return `${hex(random, 8)}-${hex(random, 4)}-4${hex(random, 3)}-a${hex(random, 3)}-${hex(random, 12)}`;
}

/** One simulated two-leg call: STARTED and ENDED for the caller and the callee leg. */
export function callEvents(
  index: number,
  random: () => number,
): { transactionId: string; events: unknown[] } {
  const transactionId = uuid(random);
  const callId = uuid(random);
  const base = Date.UTC(2026, 0, 1) + index * 1000;
  const legs = [true, false].map((isCaller) => {
    const start = base + Math.floor(random() * 2000);
    const end = start + 30_000 + Math.floor(random() * 600_000);
    const streamArn = `arn:aws:kinesisvideo:us-east-1:111122223333:stream/ChimeVoiceConnector-${VOICE_CONNECTOR}-${uuid(random)}/${start}`;
    return { isCaller, start, end, streamArn };
  });
  const events = legs.flatMap((leg) =>
    (['STARTED', 'ENDED'] as const).map((status) => ({
      version: '0',
      id: uuid(random),
      'detail-type': 'Chime VoiceConnector Streaming Status',
      source: 'aws.chime',
      account: '111122223333',
      time: new Date(status === 'STARTED' ? leg.start : leg.end)
        .toISOString()
        .replace(/\.\d+Z$/, 'Z'),
      region: 'us-east-1',
      resources: [],
      detail: {
        streamingStatus: status,
        version: '0',
        transactionId,
        callId,
        voiceConnectorId: VOICE_CONNECTOR,
        direction: 'Inbound',
        isCaller: leg.isCaller,
        fromNumber: '+15555550100',
        toNumber: '+15555550199',
        mediaType: 'audio/L16',
        streamArn: leg.streamArn,
        startFragmentNumber: '91343852333181437344442219794598596340754947404',
        startTime: new Date(leg.start).toISOString(),
        ...(status === 'ENDED' ? { endTime: new Date(leg.end).toISOString() } : {}),
      },
    })),
  );
  return { transactionId, events };
}

/**
 * The replay workload: `calls` calls of four events each, `duplicateRatio` of all events
 * delivered a second time, everything shuffled together.
 */
export function workload(
  calls: number,
  duplicateRatio: number,
  seed: number,
): { transactionIds: string[]; events: unknown[] } {
  const random = prng(seed);
  const transactionIds: string[] = [];
  const events: unknown[] = [];
  for (let i = 0; i < calls; i++) {
    const c = callEvents(i, random);
    transactionIds.push(c.transactionId);
    events.push(...c.events);
  }
  const duplicates = Math.round(events.length * duplicateRatio);
  const picked = shuffle(
    events.map((_, i) => i),
    random,
  ).slice(0, duplicates);
  for (const i of picked) events.push(events[i]);
  return { transactionIds, events: shuffle(events, random) };
}
