// Malformed AudioHook frames: every way a broken or hostile client can get a frame wrong.

/** A frame to deliver to a server session. */
export type Frame =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly data: Uint8Array };

/** Deterministic PRNG (mulberry32), so a run can be repeated with its seed. */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const SESSION_ID = '6e1c4f3a-2b5d-4c8e-9f01-23456789abcd';
const UUID = 'd7934305-0972-4844-938e-9060eef73d05';

/** A valid `open` with `seq` 1, for bringing a session to ACTIVE. */
export function validOpen(): string {
  return JSON.stringify({
    version: '2',
    id: SESSION_ID,
    type: 'open',
    seq: 1,
    serverseq: 0,
    position: 'PT0S',
    parameters: {
      organizationId: UUID,
      conversationId: UUID,
      participant: { id: UUID, ani: '', aniName: '', dnis: '' },
      media: [{ type: 'audio', format: 'PCMU', rate: 8000, channels: ['external', 'internal'] }],
    },
  });
}

const TYPES = [
  'open',
  'close',
  'ping',
  'paused',
  'resumed',
  'discarded',
  'update',
  'error',
  'dtmf',
  'playback_started',
  'playback_completed',
  'opened',
  'event',
  'shout',
  '',
  '__proto__',
  'constructor',
];

const WEIRD_VALUES: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2 ** 53,
  -(2 ** 60),
  Number.MAX_VALUE,
  '',
  'x',
  'PT1M',
  'PT-1S',
  'PT1e9S',
  `PT${'9'.repeat(30)}S`,
  '00000000-0000-0000-0000-000000000000',
  UUID.toUpperCase(),
  [],
  [1, 2],
  {},
  { __proto__: { polluted: true } },
  { constructor: { prototype: { x: 1 } } },
  '\u0000',
  '\ud800',
  'é'.repeat(100),
];

type Generator = (random: () => number, seq: number) => Frame;

const pick = <T>(random: () => number, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)] as T;

function envelope(seq: number, type: string, parameters: unknown): Record<string, unknown> {
  return { version: '2', id: SESSION_ID, type, seq, serverseq: 0, position: 'PT1S', parameters };
}

const text = (value: string): Frame => ({ kind: 'text', text: value });

/** Generators of malformed frames, by category name. */
export const GENERATORS: Record<string, Generator> = {
  randomBytesAsText: (random) => {
    const length = Math.floor(random() * 64);
    let s = '';
    for (let i = 0; i < length; i++) s += String.fromCharCode(Math.floor(random() * 0x3000));
    return text(s);
  },
  truncatedJson: (random, seq) => {
    const full = JSON.stringify(envelope(seq, 'ping', { rtt: 'PT0.01S' }));
    return text(full.slice(0, Math.floor(random() * full.length)));
  },
  jsonNotAnObject: (random) => text(JSON.stringify(pick(random, WEIRD_VALUES))),
  fieldReplaced: (random, seq) => {
    const message = envelope(seq, pick(random, TYPES), {});
    message[pick(random, ['version', 'id', 'type', 'seq', 'serverseq', 'position', 'parameters'])] =
      pick(random, WEIRD_VALUES);
    return text(JSON.stringify(message));
  },
  fieldMissing: (random, seq) => {
    const message = envelope(seq, 'ping', {});
    delete message[
      pick(random, ['version', 'id', 'type', 'seq', 'serverseq', 'position', 'parameters'])
    ];
    return text(JSON.stringify(message));
  },
  badParameters: (random, seq) => {
    const parameters: Record<string, unknown> = {};
    const keys = [
      'reason',
      'rtt',
      'start',
      'discarded',
      'language',
      'code',
      'message',
      'retryAfter',
      'digit',
      'media',
      'participant',
      'organizationId',
      'entities',
    ];
    for (let i = 0; i < 3; i++) parameters[pick(random, keys)] = pick(random, WEIRD_VALUES);
    return text(JSON.stringify(envelope(seq, pick(random, TYPES), parameters)));
  },
  wrongSequence: (random, seq) =>
    text(
      JSON.stringify({
        ...envelope(seq + 1 + Math.floor(random() * 5), 'ping', {}),
        serverseq: Math.floor(random() * 3),
      }),
    ),
  wrongSession: (_random, seq) =>
    text(
      JSON.stringify({ ...envelope(seq, 'ping', {}), id: '11111111-1111-4111-8111-111111111111' }),
    ),
  oversizedText: (random, seq) =>
    text(
      JSON.stringify(
        envelope(seq, 'ping', { pad: 'x'.repeat(65_536 + Math.floor(random() * 1000)) }),
      ),
    ),
  deepNesting: (random) => {
    const depth = 100 + Math.floor(random() * 5000);
    return text('['.repeat(depth) + ']'.repeat(depth));
  },
  unknownType: (random, seq) =>
    text(JSON.stringify(envelope(seq, `x-${Math.floor(random() * 1e6)}`, {}))),
  partialAudio: (random) => ({
    kind: 'binary',
    data: new Uint8Array(1 + 2 * Math.floor(random() * 800)),
  }),
  randomAudio: (random) => {
    const data = new Uint8Array(Math.floor(random() * 4000));
    for (let i = 0; i < data.length; i += 97) data[i] = Math.floor(random() * 256);
    return { kind: 'binary', data };
  },
  duplicateOpen: (_random, seq) => text(validOpen().replace('"seq":1', `"seq":${seq}`)),
};

/** The category names, in a stable order. */
export const CATEGORIES = Object.keys(GENERATORS);
