// The image's key properties, read from the Dockerfile (no Docker engine here): a supported
// Node.js LTS, a non-root user, a health check and port that match the collector's
// configuration, and a context limited to the bundle.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { dockerEnv, parseDockerfile } from '@org/infra';
import { loadConfig } from '../src/config';
import { DATA_DIR, HTTP_PORT } from '../src/infra/collector-stack';

const instructions = parseDockerfile(readFileSync(join(__dirname, '../Dockerfile'), 'utf8'));
const args = (keyword: string) =>
  instructions.filter((i) => i.keyword === keyword).map((i) => i.args);
const ignore = readFileSync(join(__dirname, '../.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l !== '' && !l.startsWith('#'));

describe('event-collector Dockerfile', () => {
  it('runs on a supported Node.js LTS (22 or 24), one stage from the built bundle', () => {
    expect(args('FROM')).toEqual([expect.stringMatching(/^node:(22|24)-bookworm-slim$/)]);
    expect(args('COPY')).toEqual(['main.js main.js.map ./']);
  });

  it('runs as the unprivileged node user from the last USER on', () => {
    expect(args('USER').at(-1)).toBe('node');
    const keywords = instructions.map((i) => i.keyword);
    const lastWrite = Math.max(...['RUN', 'COPY', 'ADD'].map((k) => keywords.lastIndexOf(k)));
    expect(keywords.lastIndexOf('USER')).toBeGreaterThan(lastWrite);
  });

  it("sets an environment the collector accepts: output on the data volume, the stack's port", () => {
    const config = loadConfig({
      ...dockerEnv(instructions),
      GENESYS_CLIENT_ID: 'id',
      GENESYS_CLIENT_SECRET: 's',
    });
    expect(config.http).toEqual({ host: '0.0.0.0', port: HTTP_PORT });
    expect(config.output.file.startsWith(`${DATA_DIR}/`)).toBe(true);
    expect(args('EXPOSE')).toEqual([String(HTTP_PORT)]);
    expect(JSON.parse(args('VOLUME')[0] ?? '[]')).toEqual([DATA_DIR, '/tmp']);
  });

  it('checks /health and stops on SIGTERM', () => {
    expect(args('HEALTHCHECK')[0]).toContain('/health');
    expect(args('STOPSIGNAL')).toEqual(['SIGTERM']);
    expect(JSON.parse(args('CMD')[0] ?? '[]')).toEqual(['node', '--enable-source-maps', 'main.js']);
  });

  it('lets only the bundle and the Dockerfile into the build context', () => {
    expect(ignore).toEqual(['*', '!Dockerfile', '!main.js', '!main.js.map']);
  });
});
