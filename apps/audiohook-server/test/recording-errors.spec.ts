import { errorText } from '../src/lib/recording/session-recording';

describe('the error text of recording log lines', () => {
  it('says why: the message followed by its causes', () => {
    const io = Object.assign(new Error('ENOSPC: no space left on device, write'), {
      code: 'ENOSPC',
    });
    const wav = new Error('writing to the WAV sink failed', { cause: io });
    const finish = new Error('finishing the recording failed', { cause: wav });
    expect(errorText(finish)).toBe(
      'finishing the recording failed: writing to the WAV sink failed: ENOSPC: no space left on device, write',
    );
  });

  it('stops after four levels and takes values that are not errors as text', () => {
    let error: unknown = 'root';
    for (let i = 1; i <= 6; i++) error = new Error(`level ${i}`, { cause: error });
    expect(errorText(error)).toBe('level 6: level 5: level 4: level 3');
    expect(errorText(42)).toBe('42');
  });
});
