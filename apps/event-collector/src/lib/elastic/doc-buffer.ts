import type { ElasticDoc } from './bulk-request';

/** Characters of a document's JSON: what the caller measured (`chars`), else measured here. */
export function docChars(doc: ElasticDoc): number {
  return doc.chars ?? JSON.stringify(doc.source).length;
}

/**
 * Documents held in memory for Elasticsearch, in order, with the characters they hold (each
 * document's {@link docChars}, measured once when it is pushed), so the sink can bound its memory
 * by size as well as by count.
 */
export class DocBuffer {
  #docs: ElasticDoc[] = [];
  #chars = 0;

  get length(): number {
    return this.#docs.length;
  }

  /** Characters of the documents held. */
  get chars(): number {
    return this.#chars;
  }

  /** Appends `doc`, measured (its `chars` set) if it was not yet. */
  push(doc: ElasticDoc): void {
    doc.chars ??= docChars(doc);
    this.#docs.push(doc);
    this.#chars += doc.chars;
  }

  /** Puts `docs` (taken earlier) back in front, in their order. */
  putBack(docs: ElasticDoc[]): void {
    this.#docs = docs.concat(this.#docs);
    this.#chars += sumChars(docs);
  }

  /** Removes and returns the first `n` documents (all by default). */
  take(n = Infinity): ElasticDoc[] {
    const taken = n >= this.#docs.length ? this.#docs : this.#docs.slice(0, n);
    this.#docs = n >= this.#docs.length ? [] : this.#docs.slice(n);
    this.#chars -= sumChars(taken);
    return taken;
  }

  clear(): void {
    this.#docs = [];
    this.#chars = 0;
  }
}

/** Characters of documents pushed through a {@link DocBuffer} (their `chars`). */
export function sumChars(docs: readonly ElasticDoc[]): number {
  let n = 0;
  for (const d of docs) n += docChars(d);
  return n;
}
