/**
 * Operational events as the fake Genesys Cloud stores and serves them: the notification body
 * (`audioHookBody`), and the history query `POST /api/v2/usage/events/query` over the stored
 * events (`EventHistory`), which answers in the `OperationalEvent` shape.
 */

/** An event as the history query stores it (`OperationalEvent`). */
export interface StoredEvent {
  topic: string;
  body: Record<string, unknown>;
  publishedAt: number;
}

/** Builds a realistic operational-event notification body. */
export function audioHookBody(
  n: number,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    eventEntity: {
      id: 'AUDIOHOOK-0001',
      name: 'AudioHook connection failure',
      description: 'The AudioHook client could not connect to the server.',
    },
    entityId: '0f8f91f9-a27d-4ddf-9026-7e1e3a8d73a6',
    entityName: 'My AudioHook Monitor',
    entityType: 'integration',
    conversationId: `34c18827-77a6-4970-ad66-${String(n).padStart(12, '0')}`,
    errorCode: 'CONNECT_FAILED',
    previousValue: '',
    currentValue: 'error',
    parentEntity: '8a6c6f1e-2b1f-4c4e-9a57-1f0d8b1c2d3e',
    entityToken: 'tok-1',
    version: '3',
    timestamp: Date.now(),
    ...overrides,
  };
}

/** The stored events and the paged history query over them. */
export class EventHistory {
  readonly store: StoredEvent[] = [];
  private cache: { key: string; matches: StoredEvent[] } | undefined;

  /** Answers one page of the query whose JSON request body is `body`. */
  query(url: URL, body: string): { status: number; body: unknown } {
    let req: { interval?: string; eventDefinitionIds?: string[]; sortOrder?: string };
    try {
      req = JSON.parse(body) as typeof req;
    } catch {
      return { status: 400, body: { message: 'body is not JSON' } };
    }
    const [from, to] = (req.interval ?? '').split('/').map((s) => Date.parse(s));
    if (from === undefined || to === undefined || !Number.isFinite(from) || !Number.isFinite(to)) {
      return { status: 400, body: { message: 'interval must be start/end ISO-8601' } };
    }
    const pageSize = Math.min(200, Number(url.searchParams.get('pageSize') ?? 25));
    const after = Number(url.searchParams.get('after') ?? 0);
    const ids = new Set(req.eventDefinitionIds ?? []);
    // Paging re-sends the same query: filter the store once per query, not once per page.
    if (this.cache?.key !== body) {
      let found = this.store.filter((e) => {
        const ts = Number(e.body['timestamp']);
        const def = (e.body['eventEntity'] as { id?: string } | undefined)?.id ?? '';
        return ts >= from && ts <= to && (ids.size === 0 || ids.has(def));
      });
      if ((req.sortOrder ?? 'DESC') === 'DESC') found = found.reverse();
      this.cache = { key: body, matches: found };
    }
    const matches = this.cache.matches;
    const page = matches.slice(after, after + pageSize);
    const next = after + pageSize < matches.length ? after + pageSize : undefined;
    return {
      status: 200,
      body: {
        entities: page.map((e) => toOperationalEvent(e.body)),
        ...(next === undefined
          ? {}
          : { nextUri: `/api/v2/usage/events/query?pageSize=${pageSize}&after=${next}` }),
        selfUri: '/api/v2/usage/events/query',
      },
    };
  }
}

/** The history-query shape of a stored notification body. */
function toOperationalEvent(body: Record<string, unknown>): Record<string, unknown> {
  const ent = body['eventEntity'] as { id?: string; name?: string } | undefined;
  const out: Record<string, unknown> = {
    eventDefinition: {
      id: ent?.id,
      name: ent?.name,
      selfUri: `/api/v2/usage/events/definitions/${ent?.id}`,
    },
    dateCreated: new Date(Number(body['timestamp'])).toISOString(),
  };
  const copy = (from: string, to = from): void => {
    if (body[from] !== undefined) out[to] = body[from];
  };
  copy('entityId');
  copy('entityName');
  copy('entityToken');
  copy('previousValue');
  copy('currentValue');
  copy('errorCode');
  copy('parentEntity', 'parentEntityId');
  copy('version', 'entityVersion');
  if (typeof body['conversationId'] === 'string')
    out['conversation'] = { id: body['conversationId'] };
  return out;
}
