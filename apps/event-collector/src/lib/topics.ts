import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { CollectorConfig } from '../config';
import { CollectorError, GenesysApiError, describeError } from './errors';
import type { GenesysApi } from './genesys/api-client';
import type { EventDefinition } from './genesys/schemas';
import { OPERATIONS_TOPIC_PREFIX } from './records';

/**
 * The AudioHook definition ids subscribed to when discovery is off or not permitted. The real
 * catalogue is not available to this project (third parties cite ids up to AUDIOHOOK-0012), so
 * this is a best guess: override it with `TOPICS`, a topics file, or let discovery read the
 * definitions API (`usage:events:view`).
 */
export const DEFAULT_AUDIOHOOK_DEFINITION_IDS: readonly string[] = Array.from(
  { length: 12 },
  (_, i) => `AUDIOHOOK-${String(i + 1).padStart(4, '0')}`,
);

/** The topics file: the Python collector's `{"topics":[...]}`, plus an optional mode. */
const topicsFileSchema = z.object({
  topics: z.array(z.string()),
  mode: z.enum(['replace', 'add']).optional(),
});

/** Where the subscribed topic list came from. */
export interface ResolvedTopics {
  topics: string[];
  source: 'override' | 'file' | 'file+defaults' | 'discovered' | 'defaults';
  /** AudioHook definitions read from Genesys (empty when discovery was off or refused). */
  definitions: Map<string, EventDefinition>;
  /** Entries dropped from the configured lists, with why. */
  ignored: { topic: string; why: string }[];
}

/**
 * Normalizes one configured entry: a bare definition id (`AUDIOHOOK-0001`) becomes its topic;
 * system topics, which Genesys delivers without subscribing, are refused.
 */
export function normalizeTopic(entry: string): { topic: string } | { why: string } {
  const t = entry.trim();
  if (t === '') return { why: 'blank' };
  if (t === 'channel.metadata' || t.startsWith('v2.system.')) {
    return { why: 'system topics arrive without subscribing' };
  }
  if (/^[A-Z][A-Z0-9_]*-\d+$/i.test(t)) return { topic: `${OPERATIONS_TOPIC_PREFIX}${t}` };
  return { topic: t };
}

/** Definition ids of the operational-event topics in a list (for the backfill query). */
export function definitionIdsOf(topics: readonly string[]): string[] {
  return topics
    .filter((t) => t.startsWith(OPERATIONS_TOPIC_PREFIX))
    .map((t) => t.slice(OPERATIONS_TOPIC_PREFIX.length))
    .filter((id) => id !== '' && !id.includes('{'));
}

async function readTopicsFile(
  file: string,
  explicit: boolean,
  logger: Logger,
): Promise<z.infer<typeof topicsFileSchema> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    // As in the Python collector, the file is used if it exists.
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      if (explicit) logger.warn({ file }, 'TOPICS_FILE does not exist; ignoring it');
      return undefined;
    }
    throw new CollectorError(
      'COLLECTOR_ERR_TOPICS_FILE',
      `cannot read TOPICS_FILE ${file}: ${describeError(err)}`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new CollectorError('COLLECTOR_ERR_TOPICS_FILE', `TOPICS_FILE ${file} is not JSON`);
  }
  const parsed = topicsFileSchema.safeParse(json);
  if (!parsed.success) {
    throw new CollectorError(
      'COLLECTOR_ERR_TOPICS_FILE',
      `TOPICS_FILE ${file} must look like {"topics": ["..."], "mode": "replace"|"add"}`,
    );
  }
  return parsed.data;
}

/**
 * Works out the topic list: `TOPICS` overrides everything; otherwise the AudioHook definitions
 * discovered from Genesys (or the built-in ids when discovery is off or refused), which a topics
 * file replaces (`"mode":"replace"`, the default, as in the Python collector) or extends
 * (`"mode":"add"`). File entries that are not `v2.` topics (the Python collector's invented
 * `platform.*` topics) are ignored with a warning; a file left with none does not replace
 * anything. Discovery failures are logged, never fatal; a bad topics file is.
 */
export async function resolveTopics(
  cfg: CollectorConfig['topics'],
  api: GenesysApi,
  logger: Logger,
  signal?: AbortSignal,
): Promise<ResolvedTopics> {
  const ignored: ResolvedTopics['ignored'] = [];
  const clean = (list: readonly string[], onlyGenesys = false): string[] => {
    const out: string[] = [];
    for (const entry of list) {
      const n = normalizeTopic(entry);
      if ('why' in n) ignored.push({ topic: entry, why: n.why });
      else if (onlyGenesys && !n.topic.startsWith('v2.')) {
        // E.g. the Python collector's invented topics in a leftover topics.json.
        ignored.push({ topic: entry, why: 'not a Genesys topic (they start with "v2.")' });
      } else if (!out.includes(n.topic)) out.push(n.topic);
    }
    return out;
  };
  const definitions = new Map<string, EventDefinition>();

  if (cfg.override) {
    return { topics: clean(cfg.override), source: 'override', definitions, ignored };
  }

  let base: string[] = [];
  let baseSource: 'discovered' | 'defaults' = 'defaults';
  if (cfg.discover) {
    try {
      const defs = await api.listEventDefinitions(signal);
      for (const d of defs) {
        const text = `${d.name ?? ''} ${d.description ?? ''}`.toLowerCase();
        if (d.id.startsWith('AUDIOHOOK-') || text.includes('audiohook')) definitions.set(d.id, d);
      }
      if (definitions.size > 0) {
        base = [...definitions.keys()].map((id) => `${OPERATIONS_TOPIC_PREFIX}${id}`);
        baseSource = 'discovered';
      } else {
        logger.warn('the definitions API lists no AudioHook definitions; using the built-in ids');
      }
    } catch (err) {
      const hint =
        err instanceof GenesysApiError && err.status === 403
          ? ' (the OAuth client lacks usage:events:view)'
          : '';
      logger.warn(
        { err: describeError(err) },
        `cannot read operational event definitions${hint}; using the built-in AudioHook ids`,
      );
    }
  }
  if (baseSource === 'defaults') {
    base = DEFAULT_AUDIOHOOK_DEFINITION_IDS.map((id) => `${OPERATIONS_TOPIC_PREFIX}${id}`);
  }

  const file =
    cfg.file === undefined ? undefined : await readTopicsFile(cfg.file, cfg.fileExplicit, logger);
  let topics = base;
  let source: ResolvedTopics['source'] = baseSource;
  if (file) {
    const fromFile = clean(file.topics, true);
    if ((file.mode ?? 'replace') === 'add') {
      topics = [...new Set([...base, ...fromFile])];
      source = 'file+defaults';
    } else if (fromFile.length > 0) {
      topics = fromFile;
      source = 'file';
    } else {
      logger.warn(
        { file: cfg.file, fallback: baseSource },
        'the topics file lists no usable topic; ignoring it',
      );
    }
  }
  for (const t of topics) {
    if (!t.startsWith('v2.')) {
      logger.warn({ topic: t }, 'topic does not look like a Genesys topic (they start with "v2.")');
    }
  }
  for (const i of ignored) logger.warn(i, 'ignored a configured topic');
  return { topics, source, definitions, ignored };
}
