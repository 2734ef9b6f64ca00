// The image's key properties, read from the Dockerfile (no Docker engine here): a supported
// Node.js LTS, a non-root user, a health check and ports that match the gateway's configuration,
// and a context limited to the bundle.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerEnv, parseDockerfile } from '@org/infra';
import { parse as parseYaml } from 'yaml';
import { parseConfig } from '../src/config';
import { AUDIO_DIR, IMAGE_CONFIG_DIR } from '../src/infra/deploy-config';

const instructions = parseDockerfile(readFileSync(join(__dirname, '../Dockerfile'), 'utf8'));
const args = (keyword: string) =>
  instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const ignore = readFileSync(join(__dirname, '../.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));
/** The shipped configuration read with the image's environment, as the container would. */
const shipped = () =>
  parseConfig(
    parseYaml(readFileSync(join(__dirname, '../config/default.yaml'), 'utf8')),
    dockerEnv(instructions),
    IMAGE_CONFIG_DIR,
  );

describe('byova-gateway Dockerfile', () => {
  it('runs on a supported Node.js LTS (22 or 24), one stage from the built bundle', () => {
    expect(args('FROM')).toEqual([expect.stringMatching(/^node:(22|24)-bookworm-slim$/)]);
    expect(args('COPY')).toEqual([
      'main.js main.js.map ./',
      'config/ ./config/',
      'assets/ ./assets/',
    ]);
  });

  it('runs as the unprivileged node user from the last USER on', () => {
    expect(args('USER').at(-1)).toBe('node');
    const keywords = instructions.map((i) => i.keyword);
    const lastWrite = Math.max(...['RUN', 'COPY', 'ADD'].map((k) => keywords.lastIndexOf(k)));
    expect(keywords.lastIndexOf('USER')).toBeGreaterThan(lastWrite);
  });

  it('binds gRPC to all interfaces and keeps the dashboard on loopback, exposing their ports', () => {
    const config = shipped();
    expect(config.gateway.host).toBe('0.0.0.0');
    expect(config.monitoring.host).toBe('127.0.0.1');
    expect(args('EXPOSE')).toEqual([`${config.gateway.port} ${config.monitoring.port}`]);
  });

  it('checks health with the ping of the dashboard port, and stops on SIGTERM', () => {
    const [healthcheck] = args('HEALTHCHECK');
    expect(healthcheck).toContain(shipped().monitoring.ping_path);
    expect(healthcheck).toContain(String(shipped().monitoring.port));
    expect(args('STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(JSON.parse(args('CMD')[0] ?? '[]')).toEqual([
      'node',
      '--enable-source-maps',
      'main.js',
      '--config',
      'config/default.yaml',
    ]);
  });

  it('keeps audio logs and /tmp on volumes, so the root file system can be read-only', () => {
    expect(JSON.parse(args('VOLUME')[0] ?? '[]')).toEqual([AUDIO_DIR, '/tmp']);
  });

  it('lets only the bundle, its configuration, the prompts and the Dockerfile into the context', () => {
    expect(ignore[0]).toBe('*');
    expect(ignore.slice(1)).toEqual([
      '!Dockerfile',
      '!main.js',
      '!main.js.map',
      '!config/*.yaml',
      '!assets/**/*.wav',
    ]);
  });
});
