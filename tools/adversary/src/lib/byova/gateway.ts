// The BYOVA gateway under attack: the built bundle with the local audio connector, gRPC and the
// dashboard on free loopback ports, audio recording on (so open files can be counted), under a
// low `ulimit -n` so a handle kept per conversation shows within the short mode.

import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadByovaGrpcObject, HEALTH_SERVICE } from '@org/byova';
import type { Probe, Service } from '../checks';
import { built, type Child, removeTemporary, startChild, temporaryDir } from '../children';
import type { Mode } from '../modes';
import { httpGet } from '../proc';
import { audio, ended, frame, RawConnection, sessionEnd, sessionStart } from './grpc-raw';
import { captured } from '../util';

export const GATEWAY_MAIN = 'apps/byova-gateway/main.js';
const PROMPTS = 'apps/byova-gateway/assets/prompts';

const health = loadByovaGrpcObject().grpc.health.v1.Health.service.Check as unknown as {
  requestSerialize: (value: unknown) => Buffer;
  responseDeserialize: (bytes: Buffer) => { status?: string };
};

/** Secrets the gateway is given in its environment; no dashboard endpoint may return them. */
export const SECRETS = {
  BYOVA_SESSION_SECRET: 'adversary-session-secret-5f1c0b',
  BYOVA_DASHBOARD_TOKEN: 'adversary-dashboard-token-9a7e44',
  WEBEX_CLIENT_SECRET: 'adversary-webex-secret-2d8b91',
  WEBEX_BYODS_CLIENT_SECRET: 'adversary-byods-secret-77c3e0',
  AWS_SECRET_ACCESS_KEY: 'adversary-aws-secret-key-31f9aa',
};

export class GatewayService implements Service {
  readonly name = 'byova-gateway';

  constructor(
    readonly child: Child,
    readonly grpc: string,
    readonly dashboard: string,
    readonly dir: string,
    readonly recordings: string,
  ) {}

  pid(): number {
    return this.child.pid;
  }

  /** `grpc.health.v1.Health/Check` on a new connection (what a load balancer does). */
  async probe(): Promise<Probe> {
    const started = performance.now();
    const connection = new RawConnection(this.grpc);
    try {
      const stream = connection.stream(`/${HEALTH_SERVICE}/Check`, health.responseDeserialize);
      await stream.writeRaw(frame(health.requestSerialize({ service: '' })));
      stream.end();
      const result = await ended(stream, 2000);
      const ms = performance.now() - started;
      const body = stream.decoded[0] as { status?: string } | undefined;
      const serving = result?.status === 0 && body?.status === 'SERVING';
      return {
        healthy: serving,
        ms,
        detail: `grpc-status ${result?.status ?? 'none'} ${body?.status ?? ''}`,
      };
    } finally {
      await connection.close();
    }
  }

  collectGarbage(): Promise<number | undefined> {
    return this.child.collectGarbage();
  }

  async metrics(): Promise<string> {
    return (await httpGet(`${this.dashboard}/metrics`)).body;
  }

  /** One complete, polite call: start, a second of audio, hang-up. */
  async politeCall(id: string): Promise<void> {
    const connection = new RawConnection(this.grpc);
    try {
      const first = connection.stream();
      await first.send(sessionStart(id));
      for (let i = 0; i < 50; i += 1) await first.send(audio(id, 160, i < 25 ? 0x80 : 0xff));
      first.end();
      await ended(first, 5000);
      const last = connection.stream();
      await last.send(sessionEnd(id));
      last.end();
      await ended(last, 5000);
    } finally {
      await connection.close();
    }
  }
}

/** The YAML the gateway runs with (every other key at its documented default). */
export function gatewayConfig(recordings: string, host = '127.0.0.1', monitoring = true): string {
  return [
    `gateway: { host: ${JSON.stringify(host)}, port: 0 }`,
    'connectors:',
    '  local_audio_connector:',
    '    type: local_audio_connector',
    `    config: { audio_base_path: ${JSON.stringify(built(PROMPTS))}, respond_to_speech: true }`,
    `monitoring: { enabled: ${monitoring}, host: 127.0.0.1, port: 0 }`,
    'jwt_validation: { enabled: false }',
    `audio_recording: { enabled: true, output_dir: ${JSON.stringify(recordings)} }`,
    'logging: { level: info }',
    '',
  ].join('\n');
}

export async function startGateway(mode: Mode): Promise<GatewayService> {
  const dir = await temporaryDir('adversary-byova-');
  const recordings = join(dir, 'recordings');
  await mkdir(recordings);
  const config = join(dir, 'gateway.yaml');
  await writeFile(config, gatewayConfig(recordings));
  const child = startChild(
    'byova-gateway',
    process.execPath,
    [built(GATEWAY_MAIN), '--config', config],
    {
      env: { ...SECRETS, PORT: undefined, GATEWAY_CONFIG: undefined },
      maxOpenFiles: mode.byova.maxOpenFiles,
      inspect: true,
    },
  );
  try {
    const grpc = captured(await child.waitFor(/grpc:\/\/(127\.0\.0\.1:\d+)/, 30_000));
    const dashboard = captured(
      await child.waitFor(/dashboard\s+(http:\/\/127\.0\.0\.1:\d+)/, 5000),
    );
    const service = new GatewayService(child, grpc, dashboard, dir, recordings);
    for (let i = 0; i < 2; i += 1) await service.politeCall(`warm-up-${i}`);
    return service;
  } catch (error) {
    await child.stop(2000);
    await removeTemporary(dir);
    throw error;
  }
}

export async function stopGateway(service: GatewayService): Promise<void> {
  await service.child.stop(15_000);
  await removeTemporary(service.dir);
}
