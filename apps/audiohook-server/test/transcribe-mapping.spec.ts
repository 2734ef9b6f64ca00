import { fromTranscribeResult, toSpeechError } from '../src/lib/transcription/transcribe-mapping';

describe('Transcribe errors as speech errors', () => {
  it.each([
    [{ name: 'LimitExceededException', message: 'too many' }, 'SPEECH_ERR_THROTTLED', true],
    [{ name: 'Weird', $metadata: { httpStatusCode: 429 } }, 'SPEECH_ERR_THROTTLED', true],
    [{ name: 'InternalFailureException' }, 'SPEECH_ERR_ENGINE_UNAVAILABLE', true],
    [{ name: 'Weird', $metadata: { httpStatusCode: 503 } }, 'SPEECH_ERR_ENGINE_UNAVAILABLE', true],
    [{ name: 'Error', code: 'ECONNREFUSED' }, 'SPEECH_ERR_ENGINE_UNAVAILABLE', true],
    [{ name: 'Error', code: 'ERR_HTTP2_STREAM_ERROR' }, 'SPEECH_ERR_ENGINE_UNAVAILABLE', true],
    [{ name: 'BadRequestException' }, 'SPEECH_ERR_ENGINE_REJECTED', false],
    [{ name: 'AccessDeniedException' }, 'SPEECH_ERR_ENGINE_REJECTED', false],
    [{ name: 'CredentialsProviderError' }, 'SPEECH_ERR_ENGINE_REJECTED', false],
    [{ name: 'Weird', $metadata: { httpStatusCode: 403 } }, 'SPEECH_ERR_ENGINE_REJECTED', false],
    ['a string', 'SPEECH_ERR_ENGINE_UNAVAILABLE', true],
  ])('maps %j to %s (retryable: %s)', (thrown, code, retryable) => {
    const error = toSpeechError(thrown);
    expect([error.code, error.retryable]).toEqual([code, retryable]);
  });

  it('keeps the service name and status for the logs', () => {
    const error = toSpeechError({
      name: 'LimitExceededException',
      message: 'slow down',
      $metadata: { httpStatusCode: 429 },
    });
    expect(error.toJSON()).toEqual({
      name: 'SpeechError',
      code: 'SPEECH_ERR_THROTTLED',
      message: 'LimitExceededException: slow down',
      engineCode: 'LimitExceededException',
      status: 429,
    });
  });
});

describe('Transcribe results as speech results', () => {
  it('joins punctuation to the word before it and maps channels', () => {
    const result = fromTranscribeResult({
      ResultId: 'r',
      StartTime: 1.5,
      EndTime: 2.25,
      IsPartial: false,
      ChannelId: 'ch_1',
      LanguageCode: 'en-US',
      Alternatives: [
        {
          Transcript: 'Yes, please.',
          Items: [
            {
              Content: 'Yes',
              StartTime: 1.5,
              EndTime: 1.8,
              Type: 'pronunciation',
              Confidence: 0.98,
            },
            { Content: ',', StartTime: 1.8, EndTime: 1.8, Type: 'punctuation' },
            { Content: 'please', StartTime: 1.9, EndTime: 2.25, Type: 'pronunciation' },
            { Content: '.', StartTime: 2.25, EndTime: 2.25, Type: 'punctuation' },
          ],
        },
      ],
    });
    expect(result).toEqual({
      id: 'r',
      channel: 1,
      isFinal: true,
      startNs: 1_500_000_000,
      endNs: 2_250_000_000,
      language: 'en-US',
      alternatives: [
        {
          transcript: 'Yes, please.',
          words: [
            { text: 'Yes,', startNs: 1_500_000_000, endNs: 1_800_000_000, confidence: 0.98 },
            { text: 'please.', startNs: 1_900_000_000, endNs: 2_250_000_000 },
          ],
        },
      ],
    });
  });

  it.each([
    ['no times', { ResultId: 'r', Alternatives: [{ Transcript: 'x' }] }],
    ['a negative time', { StartTime: -1, EndTime: 1, Alternatives: [{ Transcript: 'x' }] }],
    ['an unknown channel', { StartTime: 0, EndTime: 1, ChannelId: 'left', Alternatives: [] }],
    ['no alternatives', { StartTime: 0, EndTime: 1, Alternatives: [] }],
  ])('skips a result with %s', (_, raw) => {
    expect(fromTranscribeResult(raw)).toBeUndefined();
  });

  it('names a result without an id by its channel and start', () => {
    expect(
      fromTranscribeResult({ StartTime: 0.5, EndTime: 0.4, Alternatives: [{ Transcript: '' }] }),
    ).toMatchObject({ id: '0@500000000', endNs: 500_000_000 });
  });
});
