import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { ElasticDoc } from './bulk-request';

const spooledDocSchema = z.object({ id: z.string(), source: z.record(z.string(), z.unknown()) });

/** One spool line: the document as JSON, then a newline. */
export function spoolLine(doc: ElasticDoc): string {
  return `${JSON.stringify({ id: doc.id, source: doc.source })}\n`;
}

/**
 * Reads a spool file from byte `start` in batches of `batchSize` documents. `onBatch` gets each
 * batch and the byte offset just past its last line (where a later read resumes once the batch
 * is stored), and answers whether to go on. Lines that are not a spooled document are passed to
 * `onBadLine` and skipped. Resolves true at the end of the file, false when `onBatch` said stop.
 *
 * @example
 * ```ts
 * await readSpool(file, 0, 50, async (docs, end) => send(docs), () => log.warn('bad line'));
 * ```
 */
export async function readSpool(
  file: string,
  start: number,
  batchSize: number,
  onBatch: (docs: ElasticDoc[], end: number) => Promise<boolean>,
  onBadLine: () => void,
): Promise<boolean> {
  const rl = createInterface({
    input: createReadStream(file, { encoding: 'utf8', start }),
    crlfDelay: Infinity,
  });
  let batch: ElasticDoc[] = [];
  // Byte offset just past the last line read (the spool's lines end with a single '\n').
  let offset = start;
  const send = async (): Promise<boolean> => {
    const docs = batch;
    batch = [];
    return onBatch(docs, offset);
  };
  try {
    for await (const line of rl) {
      offset += Buffer.byteLength(line) + 1;
      if (line.trim() === '') continue;
      let doc: ElasticDoc;
      try {
        doc = spooledDocSchema.parse(JSON.parse(line));
      } catch {
        onBadLine();
        continue;
      }
      batch.push(doc);
      if (batch.length >= batchSize && !(await send())) return false;
    }
    return batch.length === 0 || (await send());
  } finally {
    rl.close();
  }
}
