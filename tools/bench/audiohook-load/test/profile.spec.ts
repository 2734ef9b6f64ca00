import { join } from 'node:path';
import { summarizeProfileFile } from '../src/lib/profile';

describe('summarizeProfileFile', () => {
  it('sums self time by function, largest first, leaving out idle time', async () => {
    const entries = await summarizeProfileFile(join(__dirname, 'fixtures/tiny.cpuprofile'));
    // A sample's time is the delta to the next sample.
    expect(entries).toEqual([
      { name: 'writeBuffer node:fs:10', selfMs: 3, percent: 60 },
      { name: '(garbage collector)', selfMs: 1, percent: 20 },
      { name: '(anonymous) main.js:42', selfMs: 1, percent: 20 },
    ]);
  });

  it('counts only samples inside the given windows of the monotonic clock', async () => {
    const entries = await summarizeProfileFile(join(__dirname, 'fixtures/tiny.cpuprofile'), 25, [
      { startUs: 2500, endUs: 5500 },
    ]);
    expect(entries).toEqual([
      { name: 'writeBuffer node:fs:10', selfMs: 2, percent: 66.7 },
      { name: '(garbage collector)', selfMs: 1, percent: 33.3 },
    ]);
  });
});
