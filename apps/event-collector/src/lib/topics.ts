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
  /**
   * With `source: 'file'`: the list the file replaced (discovered or built-in), subscribed to
   * instead when Genesys rejects every topic of the file (see {@link fallBackFromFile}).
   */
  fallback?: { topics: string[]; source: 'discovered' | 'defaults' };
  /** Set once Genesys rejected every topic of the topics file: those topics. */
  fileRejected?: string[];
}

/** Genesys' limit of topics on one channel. */
export const MAX_TOPICS_PER_CHANNEL = 1000;

/**
 * The `{id}` of `v2.operations.events.{id}`: one segment of letters, digits, `_` and `-`. The
 * definition id (`AUDIOHOOK-0001`) is the best guess, but the format is not established, so any
 * such segment (a UUID too) is accepted; template placeholders, wildcards and dots are not.
 */
const TOPIC_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
/** A bare catalogue id, as the Python collector's users write it: `AUDIOHOOK-0001`. */
const BARE_ID = /^[A-Z][A-Z0-9_]*-\d+$/i;

/**
 * Normalizes one configured entry to an operational-event topic, the only topic family this
 * collector subscribes to (§2.7 of the fact sheet: `v2.operations.events.{operationalEventId}`):
 * a bare definition id (`AUDIOHOOK-0001`) becomes its topic; system topics (which Genesys
 * delivers without subscribing), other topic families, templates and invented topics are refused
 * with the reason.
 */
export function normalizeTopic(entry: string): { topic: string } | { why: string } {
  const t = entry.trim();
  if (t === '') return { why: 'blank' };
  if (t === 'channel.metadata' || t.startsWith('v2.system.')) {
    return { why: 'system topics arrive without subscribing' };
  }
  if (BARE_ID.test(t)) return { topic: `${OPERATIONS_TOPIC_PREFIX}${t}` };
  if (t.startsWith(OPERATIONS_TOPIC_PREFIX)) {
    if (TOPIC_ID.test(t.slice(OPERATIONS_TOPIC_PREFIX.length))) return { topic: t };
    return {
      why: 'the part after v2.operations.events. must be one definition id (letters, digits, _ and -), not a template, wildcard or path',
    };
  }
  return {
    why: 'not an operational-event topic: use v2.operations.events.<definition id> or the bare id (AUDIOHOOK-0001)',
  };
}

/**
 * Validates the `TOPICS` override: every entry must be an operational-event topic or bare
 * definition id ({@link normalizeTopic}), and the list must fit on one channel. Returns the
 * trimmed entries, or the problems (each entry cut to 64 characters, at most 5 listed).
 *
 * @example
 * ```ts
 * checkTopicOverride(['AUDIOHOOK-0001', 'v2.users.x.presence']);
 * // { problems: ['"v2.users.x.presence": not an operational-event topic: …'] }
 * ```
 */
export function checkTopicOverride(
  entries: readonly string[],
): { topics: string[] } | { problems: string[] } {
  const problems: string[] = [];
  const unique = new Set<string>();
  const topics: string[] = [];
  for (const entry of entries.map((e) => e.trim()).filter(Boolean)) {
    const n = normalizeTopic(entry);
    if ('why' in n) {
      const shown = entry.length > 64 ? `${entry.slice(0, 64)}…` : entry;
      problems.push(`${JSON.stringify(shown)}: ${n.why}`);
    } else {
      unique.add(n.topic);
      topics.push(entry);
    }
  }
  if (unique.size > MAX_TOPICS_PER_CHANNEL) {
    problems.push(
      `lists ${unique.size} topics; a Genesys channel takes at most ${MAX_TOPICS_PER_CHANNEL}`,
    );
  }
  if (problems.length === 0) return { topics };
  const more = problems.length > 5 ? [`and ${problems.length - 5} more`] : [];
  return { problems: [...problems.slice(0, 5), ...more] };
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
 * (`"mode":"add"`). File entries that are not operational-event topics (the Python collector's
 * invented `platform.*` and `v2.auditing.*` topics, system topics) are ignored with a warning; a
 * file left with none does not replace anything. Discovery failures are logged, never fatal; a
 * bad topics file is.
 */
export async function resolveTopics(
  cfg: CollectorConfig['topics'],
  api: GenesysApi,
  logger: Logger,
  signal?: AbortSignal,
): Promise<ResolvedTopics> {
  const ignored: ResolvedTopics['ignored'] = [];
  const clean = (list: readonly string[]): string[] => {
    const out: string[] = [];
    for (const entry of list) {
      const n = normalizeTopic(entry);
      if ('why' in n) ignored.push({ topic: entry, why: n.why });
      else if (!out.includes(n.topic)) out.push(n.topic);
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
  let resolved: ResolvedTopics = { topics: base, source: baseSource, definitions, ignored };
  if (file) {
    const fromFile = clean(file.topics);
    if (fromFile.length > MAX_TOPICS_PER_CHANNEL) {
      throw new CollectorError(
        'COLLECTOR_ERR_TOPICS_FILE',
        `TOPICS_FILE ${cfg.file ?? ''} lists ${fromFile.length} topics; a Genesys channel takes at most ${MAX_TOPICS_PER_CHANNEL}`,
      );
    }
    if ((file.mode ?? 'replace') === 'add') {
      resolved = {
        ...resolved,
        topics: [...new Set([...base, ...fromFile])],
        source: 'file+defaults',
      };
    } else if (fromFile.length > 0) {
      const fallback = { topics: base, source: baseSource };
      resolved = { ...resolved, topics: fromFile, source: 'file', fallback };
    } else {
      logger.warn(
        { file: cfg.file, fallback: baseSource },
        'the topics file lists no usable topic; ignoring it',
      );
    }
  }
  for (const i of ignored) logger.warn(i, 'ignored a configured topic');
  return resolved;
}

/**
 * When Genesys rejected every topic of a topics file (`"mode":"replace"`), the topics the file
 * replaced: the discovered AudioHook definitions, or the built-in ids. The Python collector's
 * order is file, then discovery, then built-in list, each used when the one before yields nothing;
 * a file whose every topic is refused yields nothing either (typically a leftover list of ids
 * that do not exist in the org). Returns the list to subscribe to instead, remembering the
 * rejected one in `fileRejected`, or `undefined` when there is nothing to fall back to (not from
 * a file, or already fallen back).
 *
 * @example
 * ```ts
 * const next = fallBackFromFile(resolved, rejectedTopicIds);
 * if (next) resolved = next; // then subscribe again
 * ```
 */
export function fallBackFromFile(
  resolved: ResolvedTopics,
  rejected: readonly string[],
): ResolvedTopics | undefined {
  const fb = resolved.fallback;
  if (resolved.source !== 'file' || !fb || fb.topics.length === 0) return undefined;
  const { fallback: _gone, ...rest } = resolved;
  return { ...rest, topics: fb.topics, source: fb.source, fileRejected: [...rejected] };
}
