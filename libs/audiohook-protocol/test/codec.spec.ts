import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import {
  AudioHookError,
  AudioHookErrorCode,
  CLIENT_MESSAGE_TYPES,
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
