import { AudioHookErrorCode, parseAudioHookHeaders } from '../src';

const headers = {
  'Audiohook-Organization-Id': 'D7934305-0972-4844-938E-9060EEF73D05',
  'audiohook-session-id': '01890a5d-ac96-774b-bcce-b302099a8057',
  'Audiohook-Correlation-Id': 'e160e428-53e2-487c-977d-96989bf5c99d',
  'X-API-KEY': 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh',
};

describe('parseAudioHookHeaders', () => {
  it('reads the headers in any case and accepts any UUID version (v7 here)', () => {
    expect(parseAudioHookHeaders(headers)).toEqual({
      organizationId: 'd7934305-0972-4844-938e-9060eef73d05',
      sessionId: '01890a5d-ac96-774b-bcce-b302099a8057',
      correlationId: 'e160e428-53e2-487c-977d-96989bf5c99d',
      apiKey: 'SGVsbG8sIEkgYW0gdGhlIEFQSSBrZXkh',
    });
  });

  it('rejects a v7 session id in strict mode, like the reference', () => {
    expect(() => parseAudioHookHeaders(headers, { strictUuids: true })).toThrow(
      expect.objectContaining({
        code: AudioHookErrorCode.InvalidHeaders,
        path: ['audiohook-session-id'],
      }),
    );
  });

  it.each([
    ['audiohook-session-id', { ...headers, 'audiohook-session-id': undefined }, {}],
    ['audiohook-organization-id', { ...headers, 'Audiohook-Organization-Id': 'nope' }, {}],
    [
      'audiohook-correlation-id',
      { ...headers, 'Audiohook-Correlation-Id': undefined },
      { requireCorrelationId: true },
    ],
    ['x-api-key', { ...headers, 'X-API-KEY': '' }, {}],
  ])('reports a bad %s', (name, given, options) => {
    expect(() => parseAudioHookHeaders(given, options)).toThrow(
      expect.objectContaining({ path: [name] }),
    );
  });

  it('allows a missing correlation id and API key when not required', () => {
    const result = parseAudioHookHeaders(
      { ...headers, 'Audiohook-Correlation-Id': undefined, 'X-API-KEY': undefined },
      { requireApiKey: false },
    );
    expect(result.correlationId).toBeUndefined();
    expect(result.apiKey).toBeUndefined();
  });
});
