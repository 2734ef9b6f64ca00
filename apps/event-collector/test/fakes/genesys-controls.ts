import type { ServerResponse } from 'node:http';
import { audioHookBody } from './genesys-events';
import { sendJson } from './genesys-http';
import type { FakeGenesys } from './fake-genesys';

/**
 * The fake's `/__fake/<name>` HTTP controls, for driving it from another process (the bench, the
 * adversary, manual runs): `state`, `publish`, `publish-many`, `socket-closing`, `drop`,
 * `expire`, `revoke`.
 */
export function fakeControl(
  fake: FakeGenesys,
  name: string,
  body: string,
  res: ServerResponse,
): void {
  const json = (): Record<string, unknown> => {
    try {
      return JSON.parse(body || '{}') as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  switch (name) {
    case 'state':
      return sendJson(res, 200, fake.state());
    case 'publish': {
      const b = json();
      const n = Number(b['n'] ?? Date.now() % 1_000_000);
      const bodyToSend =
        (b['body'] as Record<string, unknown> | undefined) ??
        audioHookBody(n, { timestamp: Date.now() });
      const id = (bodyToSend['eventEntity'] as { id?: string } | undefined)?.id ?? 'AUDIOHOOK-0001';
      const delivered = fake.publish(
        String(b['topic'] ?? `v2.operations.events.${id}`),
        bodyToSend,
      );
      return sendJson(res, 200, { delivered });
    }
    case 'publish-many': {
      // For the benchmark: publish `count` events as fast as the sockets take them, optionally
      // dropping every connection (1006) after `dropAfter` of them.
      const b = json();
      const count = Number(b['count'] ?? 1000);
      const start = Number(b['start'] ?? 0);
      const dropAfter = b['dropAfter'] === undefined ? undefined : Number(b['dropAfter']);
      const topic = String(b['topic'] ?? 'v2.operations.events.AUDIOHOOK-0001');
      const t0 = Date.now();
      const bodies = function* (): Generator<Record<string, unknown>> {
        for (let i = start; i < start + count; i += 1) yield audioHookBody(i);
      };
      void fake
        .publishMany(topic, bodies(), {
          onProgress: (sent) => {
            if (dropAfter !== undefined && sent === dropAfter) fake.dropConnections();
          },
        })
        .then((published) => sendJson(res, 200, { published, ms: Date.now() - t0 }));
      return;
    }
    case 'socket-closing':
      fake.socketClosing(Number(json()['graceMs'] ?? fake.o.closingGraceMs));
      return sendJson(res, 200, { ok: true });
    case 'drop':
      fake.dropConnections();
      return sendJson(res, 200, { ok: true });
    case 'expire':
      fake.expireChannels();
      return sendJson(res, 200, { ok: true });
    case 'revoke':
      fake.revokeTokens();
      return sendJson(res, 200, { ok: true });
    default:
      return sendJson(res, 404, { message: 'unknown control' });
  }
}
