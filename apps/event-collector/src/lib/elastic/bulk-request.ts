import { z } from 'zod';
import type { ElasticConfig } from '../../config';
import { describeError } from '../errors';

/** One document to index: a deterministic `_id` and its source. */
export interface ElasticDoc {
  id: string;
  source: Record<string, unknown>;
  /**
   * When the record was received (epoch ms). Documents that carry it are tracked until
   * Elasticsearch stored them (or they reached the spool file), see `ElasticSink.oldestPending`.
   */
  at?: number;
  /**
   * Characters of its JSON, when the caller has them at hand (the pipeline: its output line);
   * else the sink measures it once. What bounds the sink's memory (`ELASTIC_QUEUE_MAX_BYTES`).
   */
  chars?: number;
}

const bulkResponseSchema = z.object({
  errors: z.boolean().optional(),
  items: z.array(
    z.record(
      z.string(),
      z
        .object({
          status: z.number(),
          error: z.unknown().optional(),
        })
        .loose(),
    ),
  ),
});

/** What Elasticsearch answered to one `_bulk` request. */
export type BulkAnswer =
  /** No usable answer (network, timeout, a 200 that is not the documented shape). */
  | { kind: 'failed'; message: string }
  /** The whole request answered with another HTTP status than 200. */
  | { kind: 'status'; status: number; message: string }
  /** 200: one status per document, in request order (0 when an item is missing). */
  | { kind: 'items'; items: { doc: ElasticDoc; status: number; error: unknown }[] };

/**
 * One `POST {ELASTIC_URL}/_bulk` of `create` actions with the documents' `_id`: NDJSON with the
 * trailing newline, `application/x-ndjson`, the configured `Authorization`. Never throws; the
 * messages may contain the URL (the caller redacts them).
 *
 * @example
 * ```ts
 * const answer = await postBulk(config, [{ id: 'k1', source: { '@timestamp': now } }], signal);
 * if (answer.kind === 'items') answer.items.filter((i) => i.status === 429); // retry these
 * ```
 */
export async function postBulk(
  c: ElasticConfig,
  docs: readonly ElasticDoc[],
  signal: AbortSignal,
): Promise<BulkAnswer> {
  const lines: string[] = [];
  for (const d of docs) {
    lines.push(JSON.stringify({ create: { _index: c.index, _id: d.id } }));
    lines.push(JSON.stringify(d.source));
  }
  // Every line, the last included, must end with a newline.
  const body = `${lines.join('\n')}\n`;
  let res: Response;
  try {
    res = await fetch(`${c.url}/_bulk`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        accept: 'application/json',
        ...(c.authorization ? { authorization: c.authorization } : {}),
      },
      body,
      signal: AbortSignal.any([AbortSignal.timeout(c.timeoutMs), signal]),
    });
  } catch (err) {
    return { kind: 'failed', message: `bulk request failed: ${describeError(err)}` };
  }
  const text = await res.text().catch(() => '');
  if (res.status !== 200) {
    const message = `bulk request returned HTTP ${res.status}: ${text.slice(0, 200)}`;
    return { kind: 'status', status: res.status, message };
  }
  let parsed: z.infer<typeof bulkResponseSchema>;
  try {
    parsed = bulkResponseSchema.parse(JSON.parse(text));
  } catch {
    return { kind: 'failed', message: 'bulk response was not the documented shape' };
  }
  return {
    kind: 'items',
    items: docs.map((doc, i) => {
      const item = parsed.items[i];
      const result = item ? Object.values(item)[0] : undefined;
      return { doc, status: result?.status ?? 0, error: result?.error };
    }),
  };
}
