import { HARNESS_USAGE } from '../src/lib/harness';

describe('harness entry point', () => {
  it('runs the harness with the process arguments and sets the exit code', async () => {
    const argv = process.argv;
    const exitCode = process.exitCode;
    const writes: string[] = [];
    const stdout = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      writes.push(String(chunk));
      return true;
    });
    const sigterm = process.listenerCount('SIGTERM');
    process.argv = [argv[0] as string, 'main.js', '--help'];
    try {
      jest.isolateModules(() => {
        require('../src/main');
      });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(writes.join('')).toBe(`${HARNESS_USAGE}\n`);
      expect(process.exitCode).toBe(0);
      expect(process.listenerCount('SIGTERM')).toBe(sigterm);
    } finally {
      stdout.mockRestore();
      process.argv = argv;
      process.exitCode = exitCode;
    }
  });
});
