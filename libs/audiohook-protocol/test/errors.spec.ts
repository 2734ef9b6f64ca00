import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AudioHookError, AudioHookErrorCode } from '../src';

describe('AudioHookError', () => {
  it('documents every code in the README, and only those', () => {
    const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Error codes'), readme.indexOf('## Building'));
    const documented = [...section.matchAll(/`(AUDIOHOOK_ERR_[A-Z_]+)`/g)].map((m) => m[1]);
    expect(new Set(documented)).toEqual(new Set(Object.values(AudioHookErrorCode)));
  });

  it('has unique codes that all start with AUDIOHOOK_ERR_', () => {
    const codes = Object.values(AudioHookErrorCode);
    expect(new Set(codes).size).toBe(codes.length);
    for (const code of codes) expect(code).toMatch(/^AUDIOHOOK_ERR_[A-Z_]+$/);
  });

  it('carries code, path, issues, message type and cause', () => {
    const cause = new Error('root');
    const error = new AudioHookError(AudioHookErrorCode.InvalidParameters, 'bad', {
      issues: [{ path: ['parameters', 'x'], message: 'nope' }],
      messageType: 'open',
      cause,
    });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({
      name: 'AudioHookError',
      code: 'AUDIOHOOK_ERR_INVALID_PARAMETERS',
      path: ['parameters', 'x'],
      messageType: 'open',
      cause,
    });
    expect(new AudioHookError(AudioHookErrorCode.Timeout, 't').path).toEqual([]);
  });
});
