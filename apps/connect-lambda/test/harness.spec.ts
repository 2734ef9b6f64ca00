import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { HARNESS_USAGE, type HarnessIo, runHarness } from '../src/lib/harness';

const EVENT = join(__dirname, 'fixtures', 'nested-pstn-event.json');

function io(
  env: Record<string, string> = {},
  stdin = '',
): HarnessIo & { out: string; err: string } {
  const state = {
    out: '',
    err: '',
    env,
    stdout(text: string) {
      state.out += text;
    },
    stderr(text: string) {
      state.err += text;
    },
    readFile: (path: string) => readFile(path, 'utf8'),
    readStdin: async () => stdin,
  };
  return state;
}

describe('local harness', () => {
  it('runs both actions against the embedded fake by default', async () => {
    const target = io();
    await expect(runHarness([], target)).resolves.toBe(0);
    expect(target.out).toContain('get_pstn_transfer_data →');
    expect(target.out).toContain('"phoneNumber": "+15550100"');
    expect(target.out).toContain('"handoff_transferTarget": "pstn:PSTN1"');
    expect(target.out).toContain('POST /v1/oauth/regionalToken');
    expect(target.out).toContain(':fetchAIAgentHandoff');
    expect(target.err).toBe('');
  });

  it('invokes the handler with an event file and prints the result as indented JSON', async () => {
    const target = io();
    await expect(runHarness(['--event', EVENT, '--fake'], target)).resolves.toBe(0);
    expect(JSON.parse(target.out)).toEqual({ phoneNumber: '+15550100', dtmfSequence: '1234' });
    expect(target.out).toBe(
      `${JSON.stringify({ phoneNumber: '+15550100', dtmfSequence: '1234' }, null, 2)}\n`,
    );
  });

  it('accepts --event=<file> as nx serve --args passes it', async () => {
    const target = io();
    await expect(runHarness([`--event=${EVENT}`, '--fake'], target)).resolves.toBe(0);
    expect(JSON.parse(target.out)).toHaveProperty('phoneNumber');
  });

  it('reads the event from stdin with --event -', async () => {
    const target = io({}, await readFile(EVENT, 'utf8'));
    await expect(
      runHarness(['--event', '-', '--fake', '--action', 'get_handoff_data'], target),
    ).resolves.toBe(0);
    expect(JSON.parse(target.out)).toMatchObject({
      handoff_conversationCorrelationId: 'harness-contact-1',
    });
  });

  it('prints "Error: <message>" and exits 1 when the handler fails', async () => {
    const target = io();
    await expect(
      runHarness(['--event', EVENT, '--fake', '--action', 'invalid_action'], target),
    ).resolves.toBe(1);
    expect(target.err).toBe('Error: invalid action: invalid_action\n');
  });

  it('uses the environment, and fails with the validation message when it is incomplete', async () => {
    const target = io({});
    await expect(runHarness(['--event', EVENT], target)).resolves.toBe(1);
    expect(target.err).toBe('Error: region is required\n');
  });

  it('exits 2 on bad usage and invalid JSON', async () => {
    const bad = io();
    await expect(runHarness(['--nope'], bad)).resolves.toBe(2);
    expect(bad.err).toContain('unknown argument: --nope');
    const noFile = io();
    await expect(runHarness(['--event'], noFile)).resolves.toBe(2);
    const json = io({}, '{not json');
    await expect(runHarness(['--event', '-'], json)).resolves.toBe(2);
    expect(json.err).toMatch(/^Error: the event is not valid JSON/);
  });

  it('prints its usage with --help', async () => {
    const target = io();
    await expect(runHarness(['--help'], target)).resolves.toBe(0);
    expect(target.out).toBe(`${HARNESS_USAGE}\n`);
  });

  it('stops before invoking when the signal is already aborted', async () => {
    const target = io();
    await expect(runHarness([], target, AbortSignal.abort())).resolves.toBe(143);
  });
});
