// The BYOVA gateway's exposure (defect 10 of issue 15) and its open files per conversation
// (defect 5): a gateway must refuse to serve without JWT on a non-loopback address, its dashboard
// must never return a secret, and conversations must not keep files open without bound.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { pool } from '../audiohook/client';
import { built, removeTemporary, startChild, temporaryDir } from '../children';
import { httpGet } from '../proc';
import type { Attack } from '../suite';
import { GATEWAY_MAIN, gatewayConfig, SECRETS, type GatewayService } from './gateway';
import { audio, ended, RawConnection, sessionStart } from './grpc-raw';
import { auditCallerRecordings, type CallerExpectation } from './recordings';
import { cycle, gauge } from '../util';

const DASHBOARD_PATHS = [
  '/',
  '/api/status',
  '/status',
  '/api/config',
  '/api/connections',
  '/api/debug/sessions',
  '/metrics',
  '/health',
  '/voiceva/v1/ping',
];

export const dashboardSecrets: Attack<GatewayService> = {
  name: 'dashboard shows no secret',
  expected: `no dashboard endpoint (${DASHBOARD_PATHS.length} paths) returns a secret the gateway holds`,
  async run(service) {
    const leaks: string[] = [];
    for (const path of DASHBOARD_PATHS) {
      const body = (await httpGet(`${service.dashboard}${path}`)).body;
      for (const [name, value] of Object.entries(SECRETS)) {
        if (body.includes(value)) leaks.push(`${path} shows ${name}`);
      }
    }
    return {
      ok: leaks.length === 0,
      observed:
        leaks.length === 0 ? `${DASHBOARD_PATHS.length} paths, no secret` : leaks.join(', '),
    };
  },
};

export const insecureBind: Attack<GatewayService> = {
  name: 'start on 0.0.0.0 without JWT',
  expected:
    'a second gateway on a non-loopback address with JWT off and no BYOVA_ALLOW_INSECURE refuses to start (exit ≠ 0), never listening',
  async run() {
    const dir = await temporaryDir('adversary-byova-insecure-');
    const config = join(dir, 'gateway.yaml');
    await writeFile(config, gatewayConfig(join(dir, 'recordings'), '0.0.0.0', false));
    const child = startChild(
      'byova-gateway (0.0.0.0)',
      process.execPath,
      [built(GATEWAY_MAIN), '--config', config],
      {
        env: { BYOVA_ALLOW_INSECURE: undefined, BYOVA_CONFIG_YAML: undefined, PORT: undefined },
      },
    );
    try {
      const listening = child.waitFor(/grpc:\/\/[0-9.]+:\d+/, 15_000).then(
        () => true,
        () => false,
      );
      const first = await Promise.race([listening, child.exited.then(() => false)]);
      if (first) {
        child.kill();
        return { ok: false, observed: 'it started and listened on 0.0.0.0 (killed at once)' };
      }
      if (child.running) {
        child.kill();
        return { ok: false, observed: 'neither listening nor exited within 15 s (killed)' };
      }
      const { code, signal } = await child.exited;
      const said = /BYOVA_ALLOW_INSECURE/.test(child.output());
      return {
        ok: code !== 0 && code !== null,
        observed: `exit ${code ?? signal}${said ? ', naming BYOVA_ALLOW_INSECURE' : ''}`,
      };
    } finally {
      await child.stop(2000);
      await removeTemporary(dir);
    }
  },
};

/** One turn: start, 200 ms of speech, 200 ms of silence, half-close; no hang-up. */
async function unendedCall(connection: RawConnection, id: string): Promise<number> {
  const stream = connection.stream();
  await stream.send(sessionStart(id));
  let bytes = 0;
  for (let i = 0; i < 20; i += 1) {
    await stream.send(audio(id, 160, i < 10 ? 0x80 : 0xff));
    bytes += 160;
  }
  stream.end();
  const end = await ended(stream, 15_000);
  if (end?.status !== 0) throw new Error(`call ${id} ended with ${end?.status ?? 'no status'}`);
  return bytes;
}

export const conversationFlood: Attack<GatewayService> = {
  name: 'conversations never hung up',
  expected:
    'open files return to the baseline after the streams end (no handle per idle conversation); every call recorded in full, or refused and counted in byova_recording_failures_total',
  async run(service, mode) {
    const n = mode.byova.conversations;
    const failuresBefore = gauge(await service.metrics(), 'byova_recording_failures_total');
    const connections = Array.from({ length: 4 }, () => new RawConnection(service.grpc));
    const expectations: CallerExpectation[] = [];
    let failed = 0;
    try {
      await pool(
        Array.from({ length: n }, (_, i) => i),
        20,
        async (i) => {
          const id = `adv-idle-${i}-${randomUUID().slice(0, 8)}`;
          try {
            const bytes = await unendedCall(cycle(connections, i), id);
            expectations.push({ conversationId: id, ulawBytes: bytes, match: 'exact' });
          } catch {
            failed += 1;
          }
        },
      );
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
    const audit = await auditCallerRecordings(service.recordings, expectations, 15_000);
    const counted =
      gauge(await service.metrics(), 'byova_recording_failures_total') - failuresBefore;
    const shown = audit.problems.slice(0, 2).join(', ');
    return {
      ok: failed === 0 && audit.broken === 0 && audit.missing === counted,
      observed:
        `${n} conversations under ulimit -n ${mode.byova.maxOpenFiles}: ${failed} calls failed; ` +
        `${audit.intact} recorded in full, ${audit.missing} not recorded (${counted} counted as ` +
        `recording failures), ${audit.broken} broken${shown ? `; ${shown}` : ''}`,
    };
  },
};
