import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  AudioHookError,
  AudioHookErrorCode,
  CLIENT_MESSAGE_TYPES,
  MAX_FREE_JSON_DEPTH,
  MAX_TEXT_MESSAGE_LENGTH,
  SERVER_MESSAGE_TYPES,
  formatDuration,
  isKnownMessageType,
  matchLanguage,
  parseClientMessage,
  parseJsonFrame,
  parseServerMessage,
  serializeMessage,
  validateClientMessage,
  validateServerMessage,
  type AudioHookMessage,
} from '../src';
import { fixture } from './helpers';

const MESSAGES = join(__dirname, 'fixtures/messages');

function catalogue(direction: 'client' | 'server'): [string, Record<string, unknown>][] {
  return readdirSync(join(MESSAGES, direction))
    .sort()
    .map((file) => [
      file.replace(/\.json$/, ''),
      fixture<Record<string, unknown>>(`messages/${direction}/${file}`),
    ]);
}

interface InvalidCase {
  name: string;
  direction: 'client' | 'server';
  message: unknown;
  code: string;
  path: (string | number)[];
  strict: boolean;
}

function parse(direction: 'client' | 'server', text: string, strict = false): AudioHookMessage {
  return direction === 'client'
    ? parseClientMessage(text, { strict })
    : parseServerMessage(text, { strict });
}

function thrown(action: () => unknown): AudioHookError {
  try {
    action();
  } catch (error) {
    if (error instanceof AudioHookError) return error;
    throw error;
  }
  throw new Error('expected an AudioHookError');
}

describe('codec', () => {
  describe('message catalogue', () => {
    it('has a fixture for every client and server message type of the current protocol', () => {
      const drafts = ['reconnecting', 'reconnected'];
      expect(catalogue('client').map(([t]) => t)).toEqual(
        CLIENT_MESSAGE_TYPES.filter((t) => !drafts.includes(t)).sort(),
      );
      expect(catalogue('server').map(([t]) => t)).toEqual([...SERVER_MESSAGE_TYPES].sort());
    });

    it.each(catalogue('client'))(
      'parses and round-trips the client %s message',
      (_type, message) => {
        const parsed = parseClientMessage(JSON.stringify(message), { strict: true });
        expect(parsed).toEqual(message);
        expect(parseClientMessage(serializeMessage(parsed))).toEqual(parsed);
      },
    );

    it.each(catalogue('server'))(
      'parses and round-trips the server %s message',
      (_type, message) => {
        const parsed = parseServerMessage(JSON.stringify(message), { strict: true });
        expect(parsed).toEqual(message);
        expect(parseServerMessage(serializeMessage(parsed))).toEqual(parsed);
      },
    );
  });

  describe('invalid messages', () => {
    const cases = fixture<InvalidCase[]>('messages/invalid.json');
    it.each(cases.map((c) => [c.name, c] as const))(
      'rejects %s with its code and path',
      (_n, c) => {
        const error = thrown(() => parse(c.direction, JSON.stringify(c.message), c.strict));
        expect({ code: error.code, path: error.path }).toEqual({ code: c.code, path: c.path });
        expect(error.issues.length).toBeGreaterThan(0);
      },
    );

    it('names the type of a message with bad parameters', () => {
      const error = thrown(() =>
        parseClientMessage(
          JSON.stringify({
            version: '2',
            id: '6e1c4f3a-2b5d-4c8e-9f01-23456789abcd',
            type: 'close',
            seq: 1,
            serverseq: 0,
            position: 'PT0S',
            parameters: {},
          }),
        ),
      );
      expect(error.messageType).toBe('close');
      expect(error.message).toMatch(/parameters\.reason/);
    });
  });

  describe('lenient receiving', () => {
    const cases = Object.entries(
      fixture<Record<string, { direction: 'client' | 'server'; message: unknown }>>(
        'messages/lenient.json',
      ),
    );
    it.each(cases)('accepts %s', (_name, { direction, message }) => {
      expect(() => parse(direction, JSON.stringify(message))).not.toThrow();
    });

    it('turns the older singular event entity into entities', () => {
      const [, c] = cases.find(([n]) => n === 'server-event-singular-entity') ?? [];
      const parsed = parseServerMessage(JSON.stringify(c?.message));
      expect(parsed.type === 'event' && parsed.parameters.entities).toEqual([
        { type: 'transcript', data: {} },
      ]);
    });

    it('drops unknown extra fields and unusable media offers', () => {
      const byName = Object.fromEntries(cases);
      const extra = parseClientMessage(JSON.stringify(byName['client-extra-fields']?.message));
      expect(extra).not.toHaveProperty('futureTopLevel');
      expect(extra.parameters).toEqual({ reason: 'end' });
      const open = parseClientMessage(
        JSON.stringify(byName['client-open-unknown-media-dropped']?.message),
      );
      expect(open.type === 'open' && open.parameters.media).toEqual([
        { type: 'audio', format: 'PCMU', rate: 8000, channels: ['external'] },
      ]);
    });
  });

  describe('framing', () => {
    it('enforces the 65,535 character limit before parsing JSON', () => {
      const tooLong = '{'.repeat(MAX_TEXT_MESSAGE_LENGTH + 1);
      expect(thrown(() => parseClientMessage(tooLong)).code).toBe(
        AudioHookErrorCode.MessageTooLarge,
      );
      expect(thrown(() => parseJsonFrame('x'.repeat(70_000))).message).toMatch(/Length: 70000/);
      expect(thrown(() => parseClientMessage('{'.repeat(MAX_TEXT_MESSAGE_LENGTH))).code).toBe(
        AudioHookErrorCode.InvalidJson,
      );
    });

    it('rejects text that is not JSON or not a string', () => {
      expect(thrown(() => parseServerMessage('not json')).code).toBe(
        AudioHookErrorCode.InvalidJson,
      );
      expect(thrown(() => parseJsonFrame(7 as unknown as string)).code).toBe(
        AudioHookErrorCode.InvalidJson,
      );
    });

    it('refuses to serialize a message over the limit or one that is not JSON', () => {
      const big = fixture<AudioHookMessage>('messages/server/event.json');
      const huge = {
        ...big,
        parameters: { entities: [{ type: 'x', data: 'y'.repeat(70_000) }] },
      } as AudioHookMessage;
      expect(thrown(() => serializeMessage(huge)).code).toBe(AudioHookErrorCode.MessageTooLarge);
      const cyclic: Record<string, unknown> = { type: 'pong' };
      cyclic['self'] = cyclic;
      expect(thrown(() => serializeMessage(cyclic as unknown as AudioHookMessage)).code).toBe(
        AudioHookErrorCode.InvalidMessage,
      );
      expect(thrown(() => serializeMessage(undefined as unknown as AudioHookMessage)).code).toBe(
        AudioHookErrorCode.InvalidMessage,
      );
    });

    it('matches languages case-insensitively', () => {
      expect(matchLanguage('EN-us', ['en-US', 'fr-FR'])).toBe('en-US');
      expect(matchLanguage('de-DE', ['en-US'])).toBeUndefined();
      expect(matchLanguage(undefined, ['en-US'])).toBeUndefined();
    });

    it('knows which types belong to which direction', () => {
      expect(isKnownMessageType('open', 'client')).toBe(true);
      expect(isKnownMessageType('open', 'server')).toBe(false);
      expect(isKnownMessageType('toString', 'client')).toBe(false);
    });
  });

  describe('properties', () => {
    const uuid = fc.uuid();
    const duration = fc.integer({ min: 0, max: 10 ** 13 }).map(formatDuration);
    const media = fc.record({
      type: fc.constant('audio' as const),
      format: fc.constantFrom('PCMU' as const, 'L16' as const),
      rate: fc.constant(8000 as const),
      channels: fc.constantFrom(
        ['external'] as ('external' | 'internal')[],
        ['internal'] as ('external' | 'internal')[],
        ['external', 'internal'] as ('external' | 'internal')[],
        ['internal', 'external'] as ('external' | 'internal')[],
      ),
    });
    const clientEnvelope = {
      version: fc.constant('2' as const),
      id: uuid,
      seq: fc.nat(),
      serverseq: fc.nat(),
      position: duration,
    };
    const clientMessage = fc.oneof(
      fc.record({
        ...clientEnvelope,
        type: fc.constant('open'),
        parameters: fc.record(
          {
            organizationId: uuid,
            conversationId: uuid,
            participant: fc.record({
              id: uuid,
              ani: fc.string(),
              aniName: fc.string(),
              dnis: fc.string(),
            }),
            media: fc.array(media, { maxLength: 4 }),
            language: fc.constantFrom('en-US', 'fr-CA', 'es', 'zh-Hans-CN'),
            supportedLanguages: fc.boolean(),
            customConfig: fc.dictionary(fc.string(), fc.jsonValue()),
            inputVariables: fc.dictionary(fc.string(), fc.string()),
          },
          { requiredKeys: ['organizationId', 'conversationId', 'participant', 'media'] },
        ),
      }),
      fc.record({
        ...clientEnvelope,
        type: fc.constant('close'),
        parameters: fc.record({
          reason: fc.constantFrom('end', 'error', 'disconnect', 'reconnect'),
        }),
      }),
      fc.record({
        ...clientEnvelope,
        type: fc.constant('ping'),
        parameters: fc.record({ rtt: duration }, { requiredKeys: [] }),
      }),
      fc.record({
        ...clientEnvelope,
        type: fc.constantFrom('resumed', 'discarded'),
        parameters: fc.record({ start: duration, discarded: duration }),
      }),
      fc.record({
        ...clientEnvelope,
        type: fc.constant('error'),
        parameters: fc.record(
          { code: fc.integer({ min: 400, max: 9999 }), message: fc.string(), retryAfter: duration },
          { requiredKeys: ['code', 'message'] },
        ),
      }),
      fc.record({
        ...clientEnvelope,
        type: fc.constantFrom('paused', 'playback_started', 'playback_completed'),
        parameters: fc.constant({}),
      }),
    );
    const serverEnvelope = {
      version: fc.constant('2' as const),
      id: uuid,
      seq: fc.nat(),
      clientseq: fc.nat(),
    };
    const serverMessage = fc.oneof(
      fc.record({
        ...serverEnvelope,
        type: fc.constant('opened'),
        parameters: fc.record(
          {
            media: fc.array(media, { maxLength: 1 }),
            startPaused: fc.boolean(),
            discardTo: duration,
            supportedLanguages: fc.array(fc.string()),
          },
          { requiredKeys: ['media'] },
        ),
      }),
      fc.record({
        ...serverEnvelope,
        type: fc.constant('event'),
        parameters: fc.record({
          entities: fc.array(
            fc.record({ type: fc.string({ minLength: 1 }), data: fc.jsonValue() }),
            { minLength: 1, maxLength: 3 },
          ),
        }),
      }),
      fc.record({
        ...serverEnvelope,
        type: fc.constant('disconnect'),
        parameters: fc.record(
          { reason: fc.constantFrom('completed', 'unauthorized', 'error'), info: fc.string() },
          { requiredKeys: ['reason'] },
        ),
      }),
      fc.record({
        ...serverEnvelope,
        type: fc.constantFrom('pong', 'pause', 'resume', 'updated', 'closed'),
        parameters: fc.constant({}),
      }),
    );

    // Validation drops "__proto__" keys from free-form objects (customConfig, entity data, ...),
    // which keeps hostile input from touching prototypes; fc.jsonValue() generates such keys.
    const withoutProtoKeys = (text: string): unknown =>
      JSON.parse(text, (key, value: unknown) => (key === '__proto__' ? undefined : value));

    it('drops "__proto__" keys from free-form objects', () => {
      const text = serializeMessage(
        JSON.parse(
          '{"version":"2","id":"00000000-0000-1000-8000-000000000000","seq":1,"serverseq":0,"position":"PT0S","type":"open","parameters":{"organizationId":"00000000-0000-1000-8000-000000000000","conversationId":"00000000-0000-1000-8000-000000000000","participant":{"id":"00000000-0000-1000-8000-000000000000","ani":"","aniName":"","dnis":""},"media":[],"customConfig":{"__proto__":{"polluted":true},"kept":1}}}',
        ) as AudioHookMessage,
      );
      const parsed = parseClientMessage(text) as unknown as {
        parameters: { customConfig: object };
      };
      expect(parsed.parameters.customConfig).toEqual({ kept: 1 });
      expect(Object.getPrototypeOf(parsed.parameters.customConfig)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    const eventWithData = (data: unknown): string =>
      JSON.stringify({
        version: '2',
        id: '00000000-0000-1000-8000-000000000000',
        seq: 1,
        clientseq: 0,
        type: 'event',
        parameters: { entities: [{ type: 'custom', data }] },
      }).replace(/"proto"/g, '"__proto__"');

    it('drops "__proto__" keys at any depth of entity data and customConfig values', () => {
      const text = eventWithData({ proto: { polluted: true }, list: [{ proto: 1, kept: 2 }] });
      const parsed = parseServerMessage(text) as unknown as {
        parameters: { entities: { data: Record<string, unknown> }[] };
      };
      const data = parsed.parameters.entities[0]?.data;
      expect(data).toEqual({ list: [{ kept: 2 }] });
      expect(Object.keys(data ?? {})).toEqual(['list']);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

    it("leaves the caller's object untouched when it validates one", () => {
      const value = JSON.parse(eventWithData({ proto: 1, kept: 2 })) as {
        parameters: { entities: { data: object }[] };
      };
      const validated = validateServerMessage(value) as unknown as typeof value;
      expect(Object.keys(value.parameters.entities[0]?.data ?? {})).toEqual(['__proto__', 'kept']);
      expect(validated.parameters.entities[0]?.data).toEqual({ kept: 2 });
    });

    it(`refuses free-form JSON nested deeper than ${MAX_FREE_JSON_DEPTH} levels with a typed error`, () => {
      const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
      expect(() => parseServerMessage(eventWithData(nested(MAX_FREE_JSON_DEPTH)))).not.toThrow();
      const error = thrown(() =>
        parseServerMessage(eventWithData(nested(MAX_FREE_JSON_DEPTH + 1))),
      );
      expect(error.code).toBe('AUDIOHOOK_ERR_INVALID_PARAMETERS');
      expect(error.path).toEqual(['parameters', 'entities', 0, 'data']);
      // Far deeper input (the 65,535-character limit allows about 32,000 levels) fails the same
      // way instead of exhausting the stack.
      const deep = `${'['.repeat(30000)}${']'.repeat(30000)}`;
      const text = eventWithData(0).replace('"data":0', `"data":${deep}`);
      expect(thrown(() => parseServerMessage(text)).code).toBe('AUDIOHOOK_ERR_INVALID_PARAMETERS');
    });

    it('round-trips random valid client messages', () => {
      fc.assert(
        fc.property(clientMessage, (message) => {
          const text = serializeMessage(message as unknown as AudioHookMessage);
          expect(parseClientMessage(text)).toEqual(withoutProtoKeys(text));
        }),
      );
    });

    it('round-trips random valid server messages', () => {
      fc.assert(
        fc.property(serverMessage, (message) => {
          const text = serializeMessage(message as unknown as AudioHookMessage);
          expect(parseServerMessage(text)).toEqual(withoutProtoKeys(text));
        }),
      );
    });

    function onlyTypedErrors(action: () => unknown): void {
      try {
        action();
      } catch (error) {
        expect(error).toBeInstanceOf(AudioHookError);
      }
    }

    it('throws nothing but AudioHookError for random bytes', () => {
      const decoder = new TextDecoder();
      fc.assert(
        fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
          const text = decoder.decode(bytes);
          onlyTypedErrors(() => parseClientMessage(text));
          onlyTypedErrors(() => parseServerMessage(text));
        }),
      );
    });

    it('throws nothing but AudioHookError for random JSON and random values', () => {
      fc.assert(
        fc.property(fc.json(), fc.anything(), (json, value) => {
          onlyTypedErrors(() => parseClientMessage(json));
          onlyTypedErrors(() => parseServerMessage(json));
          onlyTypedErrors(() => validateClientMessage(value));
          onlyTypedErrors(() => validateServerMessage(value));
        }),
      );
    });

    it('throws nothing but AudioHookError for valid messages with a random field replaced', () => {
      fc.assert(
        fc.property(
          clientMessage,
          fc.constantFrom('id', 'seq', 'position', 'type', 'parameters', 'version'),
          fc.jsonValue(),
          (message, key, value) => {
            const mutated = { ...message, [key]: value };
            onlyTypedErrors(() => parseClientMessage(JSON.stringify(mutated)));
          },
        ),
      );
    });
  });
});
