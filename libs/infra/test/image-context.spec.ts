import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfraError, InfraErrorCode, stageImageContext } from '../src';

let root: string;

beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'image-context-'));
  mkdirSync(join(root, 'dist'));
  mkdirSync(join(root, 'app'));
  mkdirSync(join(root, 'modules/native/prebuilds'), { recursive: true });
  writeFileSync(join(root, 'app/Dockerfile'), 'FROM scratch\n');
  writeFileSync(join(root, 'app/.dockerignore'), '*\n!main.js\n');
  writeFileSync(join(root, 'modules/native/prebuilds/addon.node'), 'binary');
});

afterEach(() => rmSync(root, { recursive: true, force: true }));

const options = () => ({
  directory: join(root, 'dist'),
  requiredFiles: ['main.js'],
  copy: [
    { from: join(root, 'app/Dockerfile'), to: 'Dockerfile' },
    { from: join(root, 'app/.dockerignore'), to: '.dockerignore' },
    { from: join(root, 'modules/native'), to: 'node_modules/native' },
  ],
  buildHint: 'npx nx build app',
});

describe('stageImageContext', () => {
  it('copies the Dockerfile, .dockerignore and extra folders into the bundle folder', () => {
    writeFileSync(join(root, 'dist/main.js'), 'bundle');
    expect(stageImageContext(options())).toBe(join(root, 'dist'));
    expect(readFileSync(join(root, 'dist/Dockerfile'), 'utf8')).toBe('FROM scratch\n');
    expect(readFileSync(join(root, 'dist/.dockerignore'), 'utf8')).toBe('*\n!main.js\n');
    expect(readFileSync(join(root, 'dist/node_modules/native/prebuilds/addon.node'), 'utf8')).toBe(
      'binary',
    );
  });

  it('refuses a missing bundle and says how to build it', () => {
    expect(() => stageImageContext(options())).toThrow(
      expect.objectContaining({
        code: InfraErrorCode.ImageContext,
        message: expect.stringContaining('run "npx nx build app" first'),
      }),
    );
  });

  it('refuses a file to copy that does not exist', () => {
    writeFileSync(join(root, 'dist/main.js'), 'bundle');
    const bad = { ...options(), copy: [{ from: join(root, 'app/missing'), to: 'x' }] };
    expect(() => stageImageContext(bad)).toThrow(InfraError);
  });
});
