import type { Logger } from 'pino';
import type { ElasticConfig } from '../../config';
import { Backoff, sleep } from '../backoff';
import { CollectorError } from '../errors';
import type { Metrics } from '../metrics';
import { redactUrls } from '../redact';
import { type ElasticDoc, postBulk } from './bulk-request';

/** Outcome of one bulk round trip. */
interface BulkOutcome {
  retry: ElasticDoc[];
  /** Set when the whole request failed (network, 429, 5xx, auth): every doc is to retry. */
  requestError?: string;
  /** 401/403: retrying at once cannot help; the spool replay tries again later. */
  credentialsRefused?: boolean;
}

/** Where the sender reports what became of each document. */
export interface BulkSenderHooks {
  /** Elasticsearch has the document (created, or 409: it already had it). */
  stored: (id: string) => void;
  /** Rejected for good (400/413 request, or a non-retriable item): to the dead-letter file. */
  deadLetter: (docs: ElasticDoc[], status: number, error: unknown) => Promise<void>;
}

/**
 * The `_bulk` round trips of the Elasticsearch sink: sends a batch, retries the whole request or
 * only the retriable items with jittered backoff (`ELASTIC_MAX_RETRIES`), hands permanent
 * rejections to the dead-letter hook, and keeps what `/health` shows (last error, last success,
 * credentials refused). What to do with documents still unsent is the sink's.
 */
export class BulkSender {
  readonly #c: ElasticConfig;
  readonly #log: Logger;
  readonly #metrics: Metrics;
  readonly #hooks: BulkSenderHooks;
  readonly #signal: AbortSignal;
  lastError: string | undefined;
  lastSuccessAt: number | undefined;
  /** Set while Elasticsearch refuses the credentials (401/403). */
  credentialsRefused = false;

  constructor(
    config: ElasticConfig,
    logger: Logger,
    metrics: Metrics,
    hooks: BulkSenderHooks,
    signal: AbortSignal,
  ) {
    this.#c = config;
    this.#log = logger;
    this.#metrics = metrics;
    this.#hooks = hooks;
    this.#signal = signal;
  }

  /** Sends docs until all are stored or dead-lettered; returns those still unsent after retries. */
  async sendWithRetry(docs: ElasticDoc[]): Promise<ElasticDoc[]> {
    const backoff = new Backoff({ initialMs: this.#c.retryBaseMs, maxMs: this.#c.retryMaxMs });
    let pending = docs;
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > 0) {
        if (attempt > this.#c.maxRetries || this.#signal.aborted) return pending;
        this.#metrics.inc('elastic_retries');
        await sleep(backoff.next(), this.#signal);
        if (this.#signal.aborted) return pending;
      }
      const outcome = await this.#bulk(pending);
      if (outcome.requestError !== undefined) {
        this.lastError = outcome.requestError;
        if (outcome.credentialsRefused) return pending;
        continue;
      }
      pending = outcome.retry;
    }
    return [];
  }

  async #bulk(docs: ElasticDoc[]): Promise<BulkOutcome> {
    const answer = await postBulk(this.#c, docs, this.#signal);
    if (answer.kind === 'failed') return this.#requestFailed(docs, answer.message);
    if (answer.kind === 'status') {
      const status = answer.status;
      if (status === 400 || status === 413) {
        // The request itself is unacceptable; resending it unchanged would fail forever.
        await this.#hooks.deadLetter(docs, status, answer.message);
        return { retry: [] };
      }
      if (status === 401 || status === 403) return this.#refused(docs, status);
      return this.#requestFailed(docs, answer.message);
    }
    this.lastSuccessAt = Date.now();
    this.lastError = undefined;
    if (this.credentialsRefused) {
      this.credentialsRefused = false;
      this.#log.info('Elasticsearch accepts the credentials again');
    }
    const retry: ElasticDoc[] = [];
    const dead: typeof answer.items = [];
    for (const item of answer.items) {
      const { doc, status } = item;
      if (status === 200 || status === 201) {
        this.#metrics.inc('elastic_indexed');
        this.#hooks.stored(doc.id);
      } else if (status === 409) {
        this.#metrics.inc('elastic_conflicts');
        this.#hooks.stored(doc.id);
      } else if (status === 429 || status >= 500 || status === 0) retry.push(doc);
      else dead.push(item);
    }
    if (retry.length > 0) {
      this.lastError = `${retry.length} item(s) rejected as retriable`;
      this.#log.warn({ retry: retry.length }, 'Elasticsearch asked to retry some items');
    }
    for (const d of dead) await this.#hooks.deadLetter([d.doc], d.status, d.error);
    return { retry };
  }

  /** Logs and returns a failed request; the message (also `/health`'s `lastError`) is redacted. */
  #requestFailed(docs: ElasticDoc[], message: string): BulkOutcome {
    const safe = redactUrls(message);
    this.#log.warn({ docs: docs.length, err: safe }, 'Elasticsearch bulk request failed');
    return { retry: docs, requestError: safe };
  }

  /**
   * 401/403: the credentials are refused. Logged once (not per batch) until a request succeeds
   * again; `/health` and `event_collector_elastic_credentials_refused` show it meanwhile.
   */
  #refused(docs: ElasticDoc[], status: number): BulkOutcome {
    this.#metrics.inc('elastic_auth_failures');
    const err = new CollectorError(
      'COLLECTOR_ERR_ELASTIC_AUTH',
      `Elasticsearch refused the credentials (HTTP ${status}); check ELASTIC_AUTH or the user:pass@ of ELASTIC_URL`,
      { details: { status } },
    );
    if (!this.credentialsRefused) {
      this.#log.error(
        { code: err.code, status, spool: this.#c.spoolFile, retryEveryMs: this.#c.retryMaxMs },
        `${err.message}. Documents are spooled to disk and sent again every ELASTIC_RETRY_MAX_MS`,
      );
    } else {
      this.#log.debug({ code: err.code, status, docs: docs.length }, err.message);
    }
    this.credentialsRefused = true;
    return { retry: docs, requestError: `${err.code}: ${err.message}`, credentialsRefused: true };
  }
}
