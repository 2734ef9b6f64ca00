/**
 * Topics in the fake Genesys Cloud: the `availabletopics` listing, and how it judges a `PUT`/`POST .../channels/{id}/subscriptions` body: the
 * array-of-`{id}` shape, the 1000-topic limit, and a `Permitted`/`Rejected` state per topic
 * (with `ignoreErrors=true`; without it, any rejection makes the whole call a 400).
 */

const TOPIC_LIMIT = 1000;

export interface TopicResult {
  id: string;
  state: 'Permitted' | 'Rejected';
  rejectionReason?: string;
  missingPermissions?: string[];
}

export type TopicRejections = Record<string, { reason: string; missingPermissions: string[] }>;

/** The per-topic results, or the 400 answer for a body the API refuses as a whole. */
export function judgeTopics(
  body: string,
  ignoreErrors: boolean,
  rejectedTopics: TopicRejections,
): { results: TopicResult[] } | { status: 400; body: Record<string, unknown> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return { status: 400, body: { message: 'body is not JSON' } };
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every(
      (t) => typeof t === 'object' && t !== null && typeof (t as { id?: unknown }).id === 'string',
    )
  ) {
    return {
      status: 400,
      body: { message: 'The request body must be an array of {"id": "<topic>"} objects.' },
    };
  }
  const ids = (parsed as { id: string }[]).map((t) => t.id);
  if (ids.length > TOPIC_LIMIT) return { status: 400, body: { message: 'too many topics' } };
  const results = ids.map((t): TopicResult => {
    const rejected = rejectedTopics[t];
    if (rejected)
      return {
        id: t,
        state: 'Rejected',
        rejectionReason: rejected.reason,
        missingPermissions: rejected.missingPermissions,
      };
    if (t === 'channel.metadata' || t.startsWith('v2.system.'))
      return { id: t, state: 'Rejected', rejectionReason: 'system topics cannot be subscribed' };
    if (!/^v2\.operations\.events\.[A-Za-z0-9_-]+$/.test(t))
      return { id: t, state: 'Rejected', rejectionReason: 'unknown topic' };
    return { id: t, state: 'Permitted' };
  });
  if (!ignoreErrors && results.some((r) => r.state !== 'Permitted')) {
    return {
      status: 400,
      body: { message: 'One or more topics are invalid or not permitted.', status: 400 },
    };
  }
  return { results };
}

/** The body of `GET /api/v2/notifications/availabletopics?expand=transports`. */
export function availableTopics(operationsTransports: string[]): Record<string, unknown> {
  return {
    entities: [
      {
        id: 'v2.operations.events.{id}',
        description: 'Operational events from various services',
        transports: operationsTransports,
        requiresPermissions: [],
      },
      { id: 'v2.users.{id}.presence', description: 'presence', transports: ['Websocket'] },
    ],
  };
}
