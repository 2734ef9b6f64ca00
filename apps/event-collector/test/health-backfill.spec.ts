// /health reports a backfill gap stopped at the page limit: the checkpoint is held before it, and
// an operator should know why it does not move.

import { loadConfig } from '../src/config';
import { buildHealth } from '../src/lib/health';
import { Metrics } from '../src/lib/metrics';
import type { CollectingSession } from '../src/lib/session';
import type { TokenProvider } from '../src/lib/genesys/token-provider';

function leaderHealth(unfinishedGaps: number) {
  const now = Date.now();
  const session = {
    manager: {
      status: () => ({
        connected: true,
        state: 'open',
        lastFrameAt: now,
        lastHeartbeatAt: now,
        topics: [{ id: 'v2.audiohook', state: 'Permitted' }],
      }),
    },
    writer: { lastError: undefined },
    elastic: undefined,
    checkpointer: { last: undefined },
    pipeline: { lastEventAt: undefined },
    backfill: {
      status: () => ({
        enabled: true,
        disabledReason: undefined,
        pendingGaps: unfinishedGaps,
        unfinishedGaps,
        lastGap: undefined,
      }),
    },
  } as unknown as CollectingSession;
  return buildHealth({
    config: loadConfig({ GENESYS_CLIENT_ID: 'id', GENESYS_CLIENT_SECRET: 'secret' }),
    startedAt: now,
    role: 'leader',
    session,
    tokens: { status: () => ({ ok: true }) } as unknown as TokenProvider,
    resolved: undefined,
    websocketTransport: 'yes',
    metrics: new Metrics({ defaultMetrics: false }),
    lease: null,
  });
}

describe('/health and backfill gaps stopped at the page limit', () => {
  it('is ok while no gap was stopped', () => {
    expect(leaderHealth(0)).toMatchObject({
      httpStatus: 200,
      body: { status: 'ok', problems: [] },
    });
  });

  it('is degraded (still 200), naming the held checkpoint, while a gap is stopped', () => {
    const { httpStatus, body } = leaderHealth(2);
    expect(httpStatus).toBe(200);
    expect(body.status).toBe('degraded');
    expect(body.problems).toContainEqual(
      expect.stringMatching(
        /2 backfill gap\(s\) stopped at the page limit: the checkpoint is held/,
      ),
    );
  });
});
