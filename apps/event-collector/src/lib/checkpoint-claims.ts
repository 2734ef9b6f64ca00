import { readdir, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { type Checkpoint, CheckpointFile, writeFileAtomic } from './checkpoint';
import { describeError } from './errors';

/** The newest claim beside the checkpoint. */
export interface CheckpointClaim {
  token: number;
  /** The checkpoint its holder started from (absent when there was none). */
  checkpoint: Checkpoint | undefined;
}

/**
 * One file per lease holder beside the checkpoint, `<checkpoint>.token-<N>`, written when the
 * holder with fencing token N takes the checkpoint over, holding the checkpoint it started from.
 * Only that holder ever writes that name, so unlike the checkpoint itself (replaced by a rename,
 * which a former holder's late rename can undo) a claim cannot be overwritten: the highest claim
 * present names the current holder for good. Each new claim deletes the lower ones.
 *
 * @example
 * ```ts
 * const claims = new CheckpointClaims(new CheckpointFile('/data/events.jsonl.checkpoint'));
 * await claims.claim(7, cp); // writes /data/events.jsonl.checkpoint.token-7
 * (await claims.newest())?.token; // 7
 * ```
 */
export class CheckpointClaims {
  readonly file: CheckpointFile;
  readonly #dir: string;
  readonly #prefix: string;

  constructor(file: CheckpointFile) {
    this.file = file;
    this.#dir = dirname(file.path);
    this.#prefix = `${basename(file.path)}.token-`;
  }

  /** Where the claim of token `token` is kept. */
  pathOf(token: number): string {
    return join(this.#dir, `${this.#prefix}${token}`);
  }

  /** Records the claim of `token` (with the checkpoint it starts from), then drops lower ones. */
  async claim(token: number, cp: Checkpoint | undefined): Promise<void> {
    if (cp) await new CheckpointFile(this.pathOf(token)).write(cp);
    else await writeFileAtomic(this.pathOf(token), '');
    for (const t of await this.#tokens()) {
      if (t < token) await unlink(this.pathOf(t)).catch(() => undefined);
    }
  }

  /** The highest claim present, if any. */
  async newest(): Promise<CheckpointClaim | undefined> {
    const token = await this.newestClaimToken();
    return token === undefined ? undefined : this.claimOf(token);
  }

  /** The token of the highest claim present (one folder listing, no claim read). */
  async newestClaimToken(): Promise<number | undefined> {
    return (await this.#tokens())[0];
  }

  /**
   * The claim of `token` with the checkpoint it holds; none when the file is empty (no checkpoint
   * then), gone or unreadable.
   */
  async claimOf(token: number): Promise<CheckpointClaim> {
    const checkpoint = await new CheckpointFile(this.pathOf(token)).read().catch(() => undefined);
    return { token, checkpoint };
  }

  /** The highest fencing token on disk: the checkpoint's or a claim's. */
  async newestToken(): Promise<number | undefined> {
    const fromFile = (await this.file.read())?.token ?? undefined;
    const claimed = await this.newestClaimToken();
    if (fromFile === undefined) return claimed;
    return claimed === undefined ? fromFile : Math.max(fromFile, claimed);
  }

  /**
   * The checkpoint to start from: the file's, unless a claim carries a checkpoint and a higher
   * token than the file's (a former holder's late rename put an older one back). A file written
   * without a lease (token null) is the newer one: claims are left from an earlier lease.
   */
  async read(): Promise<Checkpoint | undefined> {
    const fromFile = await this.file.read();
    if (fromFile?.token === null) return fromFile;
    const top = await this.newest();
    if (top?.checkpoint && top.token > (fromFile?.token ?? -1)) return top.checkpoint;
    return fromFile;
  }

  async #tokens(): Promise<number[]> {
    let names: string[];
    try {
      names = await readdir(this.#dir);
    } catch {
      return [];
    }
    return names
      .filter((n) => n.startsWith(this.#prefix) && /^\d+$/.test(n.slice(this.#prefix.length)))
      .map((n) => Number(n.slice(this.#prefix.length)))
      .sort((a, b) => b - a);
  }
}

/** The checks around the checkpoint writes of one session; see {@link checkpointGuard}. */
export interface CheckpointGuard {
  /** Before a write: the lease is still ours, and no newer holder wrote a checkpoint or a claim. */
  mayWrite(): Promise<boolean>;
  /**
   * After a write: true unless a newer holder had claimed the checkpoint meanwhile. Then our
   * rename may have replaced its checkpoint: the claim's checkpoint is put back (unless the file
   * already carries that token again), this session is fenced, and false is returned.
   */
  confirm(): Promise<boolean>;
  /** At start, under a lease: records this session's claim. */
  claim(cp: Checkpoint | undefined): Promise<void>;
}

export interface CheckpointGuardOptions {
  claims: CheckpointClaims;
  /** This session's fencing token; null without a lease (then only `mayWrite` is asked). */
  token: number | null;
  mayWrite?: (() => boolean) | undefined;
  onFenced?: ((reason: string) => void) | undefined;
  logger: Logger;
}

/**
 * Fencing of the checkpoint file, which a former holder may still be writing: the check before
 * a write cannot be atomic with the rename that follows it, so a claim written in between (the
 * new holder taking over) is looked for again after the rename, and the claim's checkpoint put
 * back if the rename may have replaced it.
 *
 * @example
 * ```ts
 * const guard = checkpointGuard({ claims, token: 7, mayWrite: () => lease.holds(), logger });
 * if (await guard.mayWrite()) { await file.write(cp); await guard.confirm(); }
 * ```
 */
export function checkpointGuard(o: CheckpointGuardOptions): CheckpointGuard {
  const fenced = (newer: number, what: string): false => {
    o.onFenced?.(`a newer lease holder (token ${newer}) ${what}`);
    return false;
  };
  return {
    async mayWrite() {
      if (o.mayWrite && !o.mayWrite()) return false;
      if (o.token === null) return true;
      const newest = await o.claims.newestToken().catch(() => undefined);
      return newest !== undefined && newest > o.token
        ? fenced(newest, 'took the checkpoint over')
        : true;
    },
    async confirm() {
      if (o.token === null) return true;
      // Our own claim is the usual highest: its checkpoint is read only when a newer one is there.
      const newer = await o.claims.newestClaimToken();
      if (newer === undefined || newer <= o.token) return true;
      const top = await o.claims.claimOf(newer);
      const current = await o.claims.file.read().catch(() => undefined);
      if (top.checkpoint && (current?.token ?? -1) < top.token) {
        await o.claims.file.write(top.checkpoint).catch((err: unknown) => {
          o.logger.error({ err: describeError(err) }, 'could not put the newer checkpoint back');
        });
        o.logger.warn(
          { token: o.token, newerToken: top.token },
          "this checkpoint write replaced a newer lease holder's checkpoint; put it back",
        );
      }
      return fenced(top.token, 'claimed the checkpoint while this instance was writing it');
    },
    async claim(cp) {
      if (o.token !== null) await o.claims.claim(o.token, cp);
    },
  };
}
