// Upgrades that pass the server's own checks but that the WebSocket library refuses (a bad
// Sec-WebSocket-Version or -Key): each must give its admission slot back. Run against a server
// of its own with a small MAX_SESSIONS, so a leak shows as refused sessions within seconds.

import type { Attack } from '../suite';
import { HookSession, pool, signedHeaders } from './client';
import { rawRequest, upgrade } from './attacks-auth';
import { startAudioHook, stopAudioHook, type AudioHookService } from './server';

const MAX_SESSIONS = 100;
const DRAIN_MS = 3000;

export const refusedHandshakes: Attack<AudioHookService> = {
  name: 'handshakes refused by the WebSocket layer',
  expected: `after ${MAX_SESSIONS + 20} upgrades with a bad Sec-WebSocket-Version/-Key (MAX_SESSIONS=${MAX_SESSIONS}), a signed session still opens and SIGTERM with no session exits at once`,
  async run() {
    const server = await startAudioHook(
      { MAX_SESSIONS: String(MAX_SESSIONS), DRAIN_TIMEOUT_MS: String(DRAIN_MS) },
      false,
    );
    try {
      const statuses = await pool(
        Array.from({ length: MAX_SESSIONS + 20 }, (_, i) => i),
        20,
        (i) =>
          rawRequest(
            server.port,
            upgrade(
              server.port,
              i % 2 === 0 ? { 'Sec-WebSocket-Version': '99' } : { 'Sec-WebSocket-Key': 'short' },
            ),
          ),
      );
      const refused = statuses.filter((s) => s >= 400 && s < 500).length;
      const session = new HookSession(server.port, signedHeaders({ port: server.port }));
      const outcome = await session.open(5000);
      const status = session.httpStatus;
      await session.close(3000);
      const started = performance.now();
      const { code } = await server.child.stop(DRAIN_MS + 15_000);
      const exitMs = performance.now() - started;
      const ok = refused === statuses.length && outcome === 'opened' && exitMs < DRAIN_MS;
      return {
        ok,
        observed:
          `${refused}/${statuses.length} answered 4xx; then a signed session: ` +
          `${outcome === 'refused' ? `HTTP ${status ?? '?'}` : outcome}; ` +
          `SIGTERM with no session: exit ${code ?? '?'} after ${(exitMs / 1000).toFixed(1)} s (drain timeout ${DRAIN_MS / 1000} s)`,
      };
    } finally {
      await stopAudioHook(server);
    }
  },
};
