import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { asSpeechError, SpeechError, SpeechErrorCode } from '../src';

/** The codes in the first column of the README's "Error codes" table, in order. */
function documentedCodes(): string[] {
  const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
  const section = readme.split('## Error codes')[1]?.split('\n## ')[0] ?? '';
  return [...section.matchAll(/^\| `(SPEECH_ERR_[A-Z_]+)`/gm)].map((m) => m[1] as string);
}

describe('SpeechError', () => {
  it('documents every code in the README, and only those', () => {
    expect(new Set(documentedCodes())).toEqual(new Set(Object.values(SpeechErrorCode)));
    expect(documentedCodes()).toHaveLength(Object.values(SpeechErrorCode).length);
  });

  it('has unique codes that all start with SPEECH_ERR_', () => {
    const codes = Object.values(SpeechErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^SPEECH_ERR_[A-Z_]+$/);
  });

  it('is retryable only for throttling and an unavailable engine', () => {
    const retryable = Object.values(SpeechErrorCode).filter(
      (code) => new SpeechError(code, 'x').retryable,
    );
    expect(retryable.sort()).toEqual(['SPEECH_ERR_ENGINE_UNAVAILABLE', 'SPEECH_ERR_THROTTLED']);
  });

  it('carries the engine code, the status and the cause, and logs as JSON', () => {
    const cause = new Error('root');
    const error = new SpeechError(SpeechErrorCode.Throttled, 'slow down', {
      engineCode: 'LimitExceededException',
      status: 429,
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'SpeechError', cause, status: 429 });
    expect(error.toJSON()).toEqual({
      name: 'SpeechError',
      code: 'SPEECH_ERR_THROTTLED',
      message: 'slow down',
      engineCode: 'LimitExceededException',
      status: 429,
    });
  });

  it('treats anything else thrown by an engine as a transient failure', () => {
    const own = new SpeechError(SpeechErrorCode.EngineRejected, 'no');
    expect(asSpeechError(own)).toBe(own);
    const converted = asSpeechError(new TypeError('socket hang up'));
    expect(converted.code).toBe(SpeechErrorCode.EngineUnavailable);
    expect(converted.message).toBe('socket hang up');
    expect(asSpeechError('text').message).toBe('text');
  });
});
