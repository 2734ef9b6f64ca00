// The local docker-compose.yml, checked structurally (no Docker engine here): what `docker
// compose up` would run must be what the collector accepts.

import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { parse } from 'yaml';
import { loadConfig } from '../src/config';

interface Service {
  image?: string;
  build?: string;
  env_file?: { path: string; required: boolean }[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] };
  stop_grace_period?: string;
}

const appDir = join(__dirname, '..');
const compose = parse(readFileSync(join(appDir, 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const collector = compose.services['event-collector'] as Service;
const opensearch = compose.services['opensearch'] as Service;

/** `127.0.0.1:host:container` → its parts. */
const port = (mapping: string): { ip: string; host: number; container: number } => {
  const [ip = '', host = '', container = ''] = mapping.split(':');
  return { ip, host: Number(host), container: Number(container) };
};

describe('docker-compose.yml', () => {
  it('runs the collector and OpenSearch, each published on 127.0.0.1 only', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['event-collector', 'opensearch']);
    expect(opensearch.image).toMatch(/^opensearchproject\/opensearch:\d+\.\d+\.\d+$/);
    for (const s of Object.values(compose.services)) {
      for (const p of s.ports ?? []) expect(port(p).ip).toBe('127.0.0.1');
    }
  });

  it('gives the collector an environment it accepts: .env.example under the compose settings', () => {
    const dotenv = parseEnv(readFileSync(join(appDir, '.env.example'), 'utf8'));
    expect(collector.env_file).toEqual([{ path: '.env', required: false }]);
    const config = loadConfig({ ...dotenv, ...collector.environment });
    const es = new URL(config.elastic?.url ?? '');
    expect(es.hostname).toBe('opensearch');
    expect(Number(es.port)).toBe(port(opensearch.ports?.[0] ?? '').container);
    expect(config.http).toEqual({
      host: '0.0.0.0',
      port: port(collector.ports?.[0] ?? '').container,
    });
    // The output (and its checkpoint) live on a named volume, so they survive the container.
    const mounts = (collector.volumes ?? []).map((v) => v.split(':'));
    expect(mounts.some(([, path]) => config.output.file.startsWith(`${path}/`))).toBe(true);
    const grace = Number(/^(\d+)s$/.exec(collector.stop_grace_period ?? '')?.[1]);
    expect(grace * 1000).toBeGreaterThanOrEqual(config.shutdownTimeoutMs + 5000);
  });

  it('declares every named volume and starts the collector once OpenSearch is healthy', () => {
    for (const s of Object.values(compose.services)) {
      for (const v of s.volumes ?? [])
        expect(compose.volumes).toHaveProperty(v.split(':')[0] ?? '');
    }
    expect(collector.depends_on).toEqual({ opensearch: { condition: 'service_healthy' } });
    expect(opensearch.healthcheck?.test.join(' ')).toContain('_cluster/health');
  });

  it('builds the image from the folder that image-context stages with the Dockerfile', () => {
    const project = JSON.parse(readFileSync(join(appDir, 'project.json'), 'utf8')) as {
      targets: Record<string, { options: { command: string } }>;
    };
    const command = project.targets['image-context']?.options.command ?? '';
    const target = command.trim().split(/\s+/).at(-1) ?? '';
    const root = resolve(appDir, '..', '..');
    expect(resolve(appDir, collector.build ?? '')).toBe(resolve(root, target));
    expect(command).toContain('apps/event-collector/Dockerfile');
  });
});
