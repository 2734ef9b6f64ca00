import { open } from 'node:fs/promises';

/**
 * The last N records, for `/events`. Kept in memory (so rotation never hides them), and seeded at
 * start from the tail of the current output file, skipping blank or broken lines.
 */
export class RecentEvents {
  readonly #max: number;
  #items: unknown[] = [];

  constructor(max = 50) {
    this.#max = max;
  }

  push(record: unknown): void {
    this.#items.push(record);
    if (this.#items.length > this.#max * 2) this.#items = this.#items.slice(-this.#max);
  }

  list(): unknown[] {
    return this.#items.slice(-this.#max);
  }

  /** Reads the last lines of `file` (at most 1 MiB from its end); a missing file is fine. */
  async seed(file: string): Promise<void> {
    let fh;
    try {
      fh = await open(file, 'r');
    } catch {
      return;
    }
    try {
      const { size } = await fh.stat();
      const len = Math.min(size, 1 << 20);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      const lines = buf.toString('utf8').split('\n');
      if (len < size) lines.shift(); // probably cut mid-line
      const parsed: unknown[] = [];
      for (const line of lines.slice(-this.#max)) {
        if (line.trim() === '') continue;
        try {
          parsed.push(JSON.parse(line));
        } catch {
          // A torn or foreign line must not hide the good ones.
        }
      }
      this.#items = parsed.concat(this.#items).slice(-this.#max);
    } finally {
      await fh.close();
    }
  }
}
