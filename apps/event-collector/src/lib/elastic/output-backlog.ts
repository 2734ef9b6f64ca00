import { OutputReplay, type OutputReplayOptions } from '../output-replay';
import { elasticDoc } from '../pipeline';
import type { ElasticBacklogSource } from './bulk-sink';

/**
 * The JSONL output as the sink's backlog source: the records read forward from a receive time
 * ({@link OutputReplay}), as the same documents the pipeline sends (`_id` = `dedupe_key`,
 * `@timestamp`), each with its receive time as `at`.
 *
 * @example
 * ```ts
 * const sink = new ElasticSink(config.elastic, logger, metrics, outputBacklog({ file, backupCount, … }));
 * ```
 */
export function outputBacklog(options: OutputReplayOptions): ElasticBacklogSource {
  const replay = new OutputReplay(options);
  return {
    replay: (from, onBatch, signal) =>
      replay.replay(
        from,
        (records) => onBatch(records.map((r) => ({ ...elasticDoc(r.record), at: r.receivedAt }))),
        signal,
      ),
  };
}
