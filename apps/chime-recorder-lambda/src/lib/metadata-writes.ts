import type { CallItem, CallStore } from './call-store';
import { errorAttributes, isRecorderError, RecorderErrorCode } from './errors';
import type { RecorderLogger } from './logger';
import { metadataDocument, metadataRetryDelayMs, type MetadataWriter } from './metadata';
import type { Outcome } from './recorder';

/** What {@link MetadataWrites} needs of the recorder. */
export interface MetadataWritesOptions {
  /** Absent: `WRITE_METADATA_JSON=false`, no metadata objects. */
  writer: MetadataWriter | undefined;
  store: CallStore;
  settings: { createRetryAfterMs: number; maxCreateAttempts: number };
  now: () => number;
}

/**
 * The metadata objects (`<key>.json`) of created pipelines: the first write right after the
 * create, and the sweep's retries, each recorded on the call item. A failed write never undoes
 * the recording; it is logged and retried by the sweep with a doubling delay.
 */
export class MetadataWrites {
  readonly #writer: MetadataWriter | undefined;
  readonly #store: CallStore;
  readonly #s: MetadataWritesOptions['settings'];
  readonly #now: () => number;

  constructor(o: MetadataWritesOptions) {
    this.#writer = o.writer;
    this.#store = o.store;
    this.#s = o.settings;
    this.#now = o.now;
  }

  /** Whether metadata objects are written at all. */
  get enabled(): boolean {
    return this.#writer !== undefined;
  }

  /**
   * Writes the metadata object of a just-created pipeline and records the outcome. A failure
   * never undoes the recording: it is logged, and the call stays in the due index so the sweep
   * writes the object later.
   */
  async writeFirst(
    call: CallItem,
    key: string,
    log: RecorderLogger,
    abortSignal?: AbortSignal,
  ): Promise<void> {
    if (this.#writer === undefined) return;
    const tx = call.transactionId;
    try {
      await this.#writer.write(key, metadataDocument({ ...call, metadataKey: key }), {
        abortSignal,
      });
    } catch (err) {
      if (!isRecorderError(err)) throw err;
      const retryAtMs = this.#now() + metadataRetryDelayMs(1, this.#s.createRetryAfterMs);
      await this.#store.recordMetadataAttempt(
        tx,
        { written: false, code: err.code, message: err.message, retryAtMs },
        this.#now(),
      );
      log.error('could not write the metadata object; the sweep retries it', {
        ...errorAttributes(err),
        metadataKey: key,
        retryAt: new Date(retryAtMs).toISOString(),
      });
      return;
    }
    await this.#store.recordMetadataAttempt(tx, { written: true }, this.#now());
  }

  /**
   * The sweep's retry of a metadata object whose first write failed (or never happened), whatever
   * the call's state since: the next try waits twice as long as the last
   * ({@link metadataRetryDelayMs}), and after `maxCreateAttempts` writes in all it gives up.
   */
  async retry(call: CallItem, log: RecorderLogger, abortSignal?: AbortSignal): Promise<Outcome> {
    const tx = call.transactionId;
    if (this.#writer === undefined || call.metadataKey === undefined) {
      await this.#store.recordMetadataAttempt(
        tx,
        {
          written: false,
          code: RecorderErrorCode.MetadataWriteFailed,
          message: 'WRITE_METADATA_JSON is false',
        },
        this.#now(),
      );
      return { outcome: 'ignored', reason: 'WRITE_METADATA_JSON is false', transactionId: tx };
    }
    try {
      await this.#writer.write(call.metadataKey, metadataDocument(call), { abortSignal });
    } catch (err) {
      if (!isRecorderError(err)) throw err;
      const attempts = (call.metadataAttempts ?? 0) + 1;
      const giveUp = attempts >= this.#s.maxCreateAttempts;
      const retryAtMs = this.#now() + metadataRetryDelayMs(attempts, this.#s.createRetryAfterMs);
      await this.#store.recordMetadataAttempt(
        tx,
        { written: false, code: err.code, message: err.message, ...(giveUp ? {} : { retryAtMs }) },
        this.#now(),
      );
      log.error(
        giveUp
          ? 'metadata object not written after every attempt; the recording itself is not affected'
          : 'could not write the metadata object; the sweep retries it',
        {
          ...errorAttributes(err),
          attempt: attempts,
          metadataKey: call.metadataKey,
          ...(giveUp ? {} : { retryAt: new Date(retryAtMs).toISOString() }),
        },
      );
      return giveUp
        ? { outcome: 'metadata-failed', transactionId: tx, code: err.code }
        : { outcome: 'retry-scheduled', transactionId: tx, retryAtMs, code: err.code };
    }
    await this.#store.recordMetadataAttempt(tx, { written: true }, this.#now());
    log.info('metadata object written', { metadataKey: call.metadataKey });
    return { outcome: 'metadata-written', transactionId: tx };
  }
}
