// The image's key properties, read from the Dockerfile (no Docker engine here): a supported
// Node.js LTS, a non-root user, a health check and a port that match the server's configuration
// and the stack, and a context limited to the bundle.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerEnv, parseDockerfile } from '@org/infra';
import { loadConfig } from '../src/config';
import { HEALTH_CHECK_PATH } from '../src/infra/server-ingress';
import { CONTAINER_PORT, RECORDINGS_DIR } from '../src/infra/server-runtime';

const instructions = parseDockerfile(readFileSync(join(__dirname, '../Dockerfile'), 'utf8'));
const args = (keyword: string) =>
  instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const ignore = readFileSync(join(__dirname, '../.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('audiohook-server Dockerfile', () => {
  it('runs on a supported Node.js LTS (22 or 24), one stage from the built bundle', () => {
    expect(args('FROM')).toEqual([expect.stringMatching(/^node:(22|24)-bookworm-slim$/)]);
    expect(args('COPY')).toEqual(['main.js main.js.map ./', 'node_modules/ ./node_modules/']);
  });

  it('runs as the unprivileged node user from the last USER on', () => {
    const users = args('USER');
    expect(users.at(-1)).toBe('node');
    const lastUser = instructions.map((i) => i.keyword).lastIndexOf('USER');
    const lastRunOrCopy = Math.max(
      ...instructions.map((i, n) => (['RUN', 'COPY', 'ADD'].includes(i.keyword) ? n : -1)),
    );
    expect(lastUser).toBeGreaterThan(lastRunOrCopy);
  });

  it("sets an environment the server accepts, listening on the stack's container port", () => {
    const env = dockerEnv(instructions);
    const config = loadConfig(env);
    expect(config.port).toBe(CONTAINER_PORT);
    expect(config.host).toBe('0.0.0.0');
    expect(config.recording.directory).toBe(RECORDINGS_DIR);
    expect(args('EXPOSE')).toEqual([String(CONTAINER_PORT)]);
  });

  it('keeps recordings and /tmp on volumes, so the root file system can be read-only', () => {
    expect(JSON.parse(args('VOLUME')[0] ?? '[]')).toEqual([RECORDINGS_DIR, '/tmp']);
  });

  it('checks health on the path the load balancer uses, and stops on SIGTERM', () => {
    const [healthcheck] = args('HEALTHCHECK');
    expect(healthcheck).toContain(HEALTH_CHECK_PATH);
    expect(healthcheck).toMatch(/--interval=\d+s/);
    expect(args('STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(JSON.parse(args('CMD')[0] ?? '[]')).toEqual(['node', '--enable-source-maps', 'main.js']);
  });

  it('lets only the bundle, the Dockerfile and bufferutil into the build context', () => {
    expect(ignore[0]).toBe('*');
    expect(ignore.filter((l) => l.startsWith('!'))).toEqual([
      '!Dockerfile',
      '!main.js',
      '!main.js.map',
      '!node_modules/bufferutil/**',
      '!node_modules/node-gyp-build/**',
    ]);
  });
});
