// The sidecar writer through the recording I/O (issue 18): few large writes, one flush timer
// shared by every sidecar, and the same guarantees as before (complete file at close, a file a
// crash leaves behind repairable, write failures reported).

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repairSidecar, SidecarWriter } from '../src/lib/recording/sidecar';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ahs-sidecar-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface SidecarJson {
  header: { timestamp: string; id: string };
  body: { timestamp: string; type: string; data: Record<string, unknown> }[];
}

const header = { timestamp: '2026-01-01T00:00:00.000Z', id: 'rec-1' };

/** Reads `path` until `predicate` holds for its text (the shared timer writes on its own). */
async function whenFileText(path: string, predicate: (text: string) => boolean): Promise<string> {
  for (;;) {
    const text = await readFile(path, 'utf8').catch(() => '');
    if (predicate(text)) return text;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

describe('SidecarWriter', () => {
  it('writes the header with what was appended before the file was open, and everything by close', async () => {
    const path = join(dir, 'a.json');
    const sidecar = SidecarWriter.create(path, header, 0n);
    sidecar.append('httpInfo', { uri: '/ws' }, 1n);
    sidecar.append('audiohook', { dir: 'in', message: { type: 'open' } }, 2n);
    await sidecar.drained();
    expect(sidecar.bufferedBytes).toBe(0);
    for (let i = 0; i < 100; i++) sidecar.append('logger', { level: 30, msg: `line ${i}` }, 3n);
    await sidecar.close({ done: true });
    const json = JSON.parse(await readFile(path, 'utf8')) as SidecarJson;
    expect(json.header).toEqual(header);
    expect(json.body.map((e) => e.type)).toEqual([
      'httpInfo',
      'audiohook',
      ...Array<string>(100).fill('logger'),
      'end',
    ]);
    expect(json.body.at(-1)).toMatchObject({ type: 'end', data: { done: true } });
  });

  it('writes collected entries within flushMs without being asked, through one shared timer', async () => {
    const paths = [join(dir, 'b1.json'), join(dir, 'b2.json')];
    const sidecars = paths.map((path) => SidecarWriter.create(path, header, 0n, { flushMs: 20 }));
    await Promise.all(sidecars.map((s) => s.drained()));
    sidecars.forEach((s, i) => s.append('statistics', { rtt: `PT0.0${i + 1}S` }, 1n));
    const texts = await Promise.all(
      paths.map((path) => whenFileText(path, (text) => text.includes('statistics'))),
    );
    texts.forEach((text, i) => expect(text).toContain(`PT0.0${i + 1}S`));
    await Promise.all(sidecars.map((s) => s.close()));
  });

  it('leaves a file that repairSidecar makes valid when the process stops before close', async () => {
    const path = join(dir, 'c.json');
    const sidecar = SidecarWriter.create(path, header, 0n);
    sidecar.append('httpInfo', { uri: '/ws' }, 1_000_000_000n);
    sidecar.append('statistics', { rtt: 'PT0.01S' }, 2_000_000_000n);
    await sidecar.drained();
    expect(await repairSidecar(path)).toBe(true);
    const json = JSON.parse(await readFile(path, 'utf8')) as SidecarJson;
    expect(json.body.map((e) => e.type)).toEqual(['httpInfo', 'statistics', 'end']);
    expect(json.body.at(-1)).toEqual({ timestamp: 'PT2S', type: 'end', data: { repaired: true } });
    await sidecar.close();
  });

  it('rejects close with the error when the file cannot be created, and drops entries', async () => {
    const sidecar = SidecarWriter.create(join(dir, 'missing', 'd.json'), header, 0n);
    sidecar.append('httpInfo', { uri: '/ws' }, 1n);
    await sidecar.drained();
    expect(sidecar.bufferedBytes).toBe(0);
    await expect(sidecar.close()).rejects.toMatchObject({ code: 'ENOENT' });
    expect(sidecar.error).toMatchObject({ code: 'ENOENT' });
  });
});
