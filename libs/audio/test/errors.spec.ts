import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AudioError, AudioErrorCode } from '../src';

describe('AudioError', () => {
  it('documents every code in the README, and only those', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const start = readme.indexOf('## Errors');
    const end = readme.indexOf('\n## ', start + 1);
    const section = readme.slice(start, end === -1 ? undefined : end);
    const documented = [...section.matchAll(/^\| `(AUDIO_ERR_[A-Z_]+)`/gm)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(Object.values(AudioErrorCode)));
    expect(documented).toHaveLength(new Set(documented).size);
  });

  it('has unique codes that all start with AUDIO_ERR_', () => {
    const codes = Object.values(AudioErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^AUDIO_ERR_[A-Z_]+$/);
  });

  it('carries its code and cause', () => {
    const cause = new Error('disk full');
    const error = new AudioError(AudioErrorCode.WavWriteFailed, 'write failed', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'AUDIO_ERR_WAV_WRITE_FAILED', cause });
  });
});
