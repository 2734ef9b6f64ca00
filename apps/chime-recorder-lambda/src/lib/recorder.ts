import { randomUUID } from 'node:crypto';
import type { CallItem, CallStore, CreatedOutcome } from './call-store';
import { invocationDeadline, type InvocationDeadline } from './deadline';
import { errorAttributes, isRecorderError, type RecorderError } from './errors';
import type { PipelineStateEvent, StreamingEvent } from './events';
import {
  decide,
  type FinalizeReason,
  type FinalizeSettings,
  planRecording,
  type RecordingPlan,
} from './finalize';
import type { RecorderLogger } from './logger';
import type { MetadataWriter } from './metadata';
import { MetadataWrites } from './metadata-writes';
import { pipelineChangeOf } from './pipeline-change';
import type { CreatedPipelineRef, PipelineCreator } from './pipeline-client';
import {
  buildPipelineRequest,
  type PipelineRequest,
  type RequestSettings,
} from './pipeline-request';
import { settleTakenOver, type TakenOverDeps } from './taken-over';

/** The settings the recorder reads (a subset of the app configuration). */
export interface RecorderSettings extends FinalizeSettings, RequestSettings {
  finalizeAfterMs: number;
  maxCallDurationMs: number;
  maxCreateAttempts: number;
  createRetryAfterMs: number;
  trackPipelineStatus: boolean;
  sweepBatchSize: number;
  /** Kept back at the end of an invocation to record outcomes ({@link InvocationDeadline}). */
  deadlineReserveMs: number;
}

/** Time a sweep needs for one more call on top of the reserve, or it stops. */
export const SWEEP_MIN_CALL_MS = 5_000;

/** Dependencies of {@link Recorder}. */
export interface RecorderOptions {
  settings: RecorderSettings;
  store: CallStore;
  pipelines: PipelineCreator;
  /** Writes `<key>.json` next to each recording; absent: no metadata objects. */
  metadata?: MetadataWriter;
  logger: RecorderLogger;
  /** @default Date.now */
  now?: () => number;
  /** Claim ids. @default crypto.randomUUID */
  newId?: () => string;
}

/** What handling one event did; the Lambda handler returns it (useful in tests and replays). */
export type Outcome =
  | { outcome: 'stored'; transactionId: string }
  | { outcome: 'waiting'; transactionId: string; why: string }
  | { outcome: 'claimed-elsewhere'; transactionId: string }
  | { outcome: 'already-finalized'; transactionId: string; state: string }
  | {
      outcome: 'pipeline-created';
      transactionId: string;
      pipelineId?: string;
      reason: FinalizeReason;
    }
  | { outcome: 'retry-scheduled'; transactionId: string; retryAtMs: number; code: string }
  | { outcome: 'pipeline-failed'; transactionId: string; code: string }
  | { outcome: 'status-updated'; transactionId: string; pipelineStatus: string }
  | { outcome: 'status-deferred'; transactionId: string; pipelineStatus: string }
  | { outcome: 'other-pipeline'; transactionId: string; pipelineStatus: string }
  | { outcome: 'metadata-written'; transactionId: string }
  | { outcome: 'metadata-failed'; transactionId: string; code: string }
  | { outcome: 'ignored'; reason: string; transactionId?: string };

/** What one sweep did. */
export interface SweepOutcome {
  outcome: 'swept';
  examined: number;
  created: number;
  failed: number;
  retried: number;
  errors: number;
  /** The sweep stopped early because the invocation was running out of time. */
  truncated: boolean;
}

/**
 * The recording logic: stores each leg, claims the pipeline creation exactly once per call,
 * builds and sends the request, and records the outcome. The Lambda handler feeds it validated
 * events; the scheduled sweep finalises calls that no event will complete.
 *
 * @example
 * ```ts
 * const recorder = new Recorder({ settings, store, pipelines, logger });
 * await recorder.onStreamingEvent(event);
 * await recorder.sweep(invocationDeadline(() => context.getRemainingTimeInMillis(), 10_000));
 * ```
 */
export class Recorder {
  readonly #s: RecorderSettings;
  readonly #store: CallStore;
  readonly #pipelines: PipelineCreator;
  readonly #metadata: MetadataWrites;
  readonly #log: RecorderLogger;
  readonly #now: () => number;
  readonly #newId: () => string;

  constructor(o: RecorderOptions) {
    this.#s = o.settings;
    this.#store = o.store;
    this.#pipelines = o.pipelines;
    this.#log = o.logger;
    this.#now = o.now ?? Date.now;
    this.#metadata = new MetadataWrites({
      writer: o.metadata,
      store: o.store,
      settings: o.settings,
      now: this.#now,
    });
    this.#newId = o.newId ?? randomUUID;
  }

  /** Handles one validated `Chime VoiceConnector Streaming Status` event. */
  async onStreamingEvent(ev: StreamingEvent, deadline?: InvocationDeadline): Promise<Outcome> {
    const tx = ev.transactionId;
    const log = this.#log.child({ transactionId: tx, callId: ev.callId });
    const role = 'role' in ev ? ev.role : undefined;
    log.info('streaming status', {
      streamingStatus: ev.status,
      leg: role,
      eventId: ev.eventId,
      voiceConnectorId: ev.voiceConnectorId,
    });
    if (ev.status === 'UPDATED') {
      // A re-INVITE or hold: the call goes on, and nothing about the recording changes.
      return { outcome: 'ignored', reason: 'UPDATED does not end a call', transactionId: tx };
    }
    const now = this.#now();
    if (ev.status === 'STARTED' || ev.status === 'ENDED') {
      await this.#store.recordLeg(ev, now);
    } else if (ev.role !== undefined) {
      await this.#store.recordLegFailure({ ...ev, role: ev.role }, now);
    }
    if (ev.status === 'FAILED') {
      log.warn('streaming failed', { leg: role ?? 'unknown', failureReason: ev.failureReason });
    }
    const call = await this.#store.touchCall(ev, now);
    if (call.state === 'CREATED' || call.state === 'RECORDED' || call.state === 'FAILED') {
      if (
        (ev.status === 'STARTED' || ev.status === 'ENDED') &&
        call.state !== 'FAILED' &&
        !(call.streamArns ?? []).includes(ev.streamArn)
      ) {
        log.warn(
          'leg reported after the pipeline was created; its stream is not in the recording',
          {
            leg: role,
          },
        );
      }
      return { outcome: 'already-finalized', transactionId: tx, state: call.state };
    }
    const ending = ev.status === 'ENDED' || ev.status === 'FAILED';
    const dueAtMs = ending
      ? now + this.#s.finalizeAfterMs
      : call.firstSeenAtMs + this.#s.maxCallDurationMs;
    if (call.state === undefined && (call.dueAtMs === undefined || call.dueAtMs > dueAtMs)) {
      await this.#store.scheduleDue(tx, dueAtMs);
    }
    // A STARTED never completes a call (an ENDED carries the same facts), unless streaming has
    // already failed for the whole call.
    if (ev.status === 'STARTED' && call.streamingFailedAtMs === undefined) {
      return { outcome: 'stored', transactionId: tx };
    }
    return this.#evaluate(tx, log, deadline?.signal);
  }

  /** Handles one validated `Media Insights State Change` event. */
  async onPipelineStateEvent(ev: PipelineStateEvent): Promise<Outcome> {
    if (!this.#s.trackPipelineStatus) {
      return { outcome: 'ignored', reason: 'TRACK_PIPELINE_STATUS is false' };
    }
    if (
      ev.mediaInsightsPipelineConfigurationArn !== undefined &&
      ev.mediaInsightsPipelineConfigurationArn !== this.#s.pipelineConfigurationArn
    ) {
      return { outcome: 'ignored', reason: 'another pipeline configuration' };
    }
    if (ev.transactionId === undefined) {
      return { outcome: 'ignored', reason: 'no transactionId in the event' };
    }
    const change = pipelineChangeOf(ev);
    if (change === undefined) {
      return {
        outcome: 'ignored',
        reason: `event type ${ev.eventType}`,
        transactionId: ev.transactionId,
      };
    }
    const tx = ev.transactionId;
    const log = this.#log.child({ transactionId: tx });
    const arn = ev.mediaInsightsPipelineArn;
    const attrs = { eventType: ev.eventType, pipelineArn: arn };
    // The pipeline can report before its creator has marked the call CREATED. Such an event is
    // kept on the call item and applied with the CREATED mark; if the mark lands between the two
    // conditional writes, the second apply finds the call CREATED. Nothing is dropped.
    let changed = await this.#store.applyPipelineChange(tx, arn, change, this.#now());
    if (!changed) {
      if (await this.#store.deferPipelineChange(tx, arn, change, this.#now())) {
        log.info('pipeline status arrived before the call was marked CREATED; kept until it is', {
          ...attrs,
          pipelineStatus: change.pipelineStatus,
        });
        return {
          outcome: 'status-deferred',
          transactionId: tx,
          pipelineStatus: change.pipelineStatus,
        };
      }
      changed = await this.#store.applyPipelineChange(tx, arn, change, this.#now());
    }
    if (!changed && (await this.#store.recordOtherPipelineChange(tx, arn, change, this.#now()))) {
      log.warn('status event of another pipeline of this call; kept on its pipeline record', {
        ...attrs,
        pipelineStatus: change.pipelineStatus,
      });
      return {
        outcome: 'other-pipeline',
        transactionId: tx,
        pipelineStatus: change.pipelineStatus,
      };
    }
    if (!changed) {
      log.debug('pipeline event does not match a created pipeline of this recorder', {
        eventType: ev.eventType,
      });
      return {
        outcome: 'ignored',
        reason: 'no matching created pipeline',
        transactionId: ev.transactionId,
      };
    }
    if (change.state === 'FAILED') {
      log.error('recording failed', { ...attrs, failureReason: ev.failureReason });
    } else if (change.failureReason !== undefined) {
      log.warn('recording hit a temporary failure; the service retries it', {
        ...attrs,
        failureReason: ev.failureReason,
      });
    } else {
      log.info(change.state === 'RECORDED' ? 'recording complete' : 'recording status', attrs);
    }
    return {
      outcome: 'status-updated',
      transactionId: ev.transactionId,
      pipelineStatus: change.pipelineStatus,
    };
  }

  /**
   * Finalises every due call: one-leg calls and calls with a missing ENDED after
   * `finalizeAfterMs`, calls with no ENDED at all after `maxCallDurationMs`, creates that stayed
   * unavailable, and claims of crashed invocations. Starts no further call once the deadline has
   * less than `deadlineReserveMs` + {@link SWEEP_MIN_CALL_MS} left (the next sweep continues),
   * and the calls to AWS in flight when only the reserve is left are aborted.
   */
  async sweep(
    deadline: InvocationDeadline = invocationDeadline(undefined, 0),
  ): Promise<SweepOutcome> {
    const { signal } = deadline;
    const result: SweepOutcome = {
      outcome: 'swept',
      examined: 0,
      created: 0,
      failed: 0,
      retried: 0,
      errors: 0,
      truncated: false,
    };
    const now = this.#now();
    for (let shard = 0; shard < this.#store.shards; shard++) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await this.#store.queryDue(
          String(shard),
          now,
          this.#s.sweepBatchSize,
          startKey,
        );
        for (const tx of page.transactionIds) {
          if (
            signal.aborted ||
            deadline.remainingMs() < this.#s.deadlineReserveMs + SWEEP_MIN_CALL_MS
          ) {
            result.truncated = true;
            this.#log.warn('sweep stopped early to finish inside the invocation', { ...result });
            return result;
          }
          result.examined++;
          const log = this.#log.child({ transactionId: tx });
          try {
            const o = await this.#sweepOne(tx, log, signal);
            if (o.outcome === 'pipeline-created') result.created++;
            else if (o.outcome === 'pipeline-failed') result.failed++;
            else if (o.outcome === 'retry-scheduled') result.retried++;
          } catch (err) {
            // One broken call must not stop the others from being recorded.
            result.errors++;
            log.error('sweep could not finalise the call', errorAttributes(err));
          }
        }
        startKey = page.nextKey;
      } while (startKey !== undefined);
    }
    if (result.examined > 0) this.#log.info('sweep finished', { ...result });
    return result;
  }

  async #sweepOne(tx: string, log: RecorderLogger, signal: AbortSignal): Promise<Outcome> {
    const snapshot = await this.#store.load(tx);
    const state = snapshot.call?.state;
    // A created pipeline's metadata object is written whatever the pipeline's outcome since
    // (the first write does not look at it either), so a FAILED call's is retried too.
    if (state !== undefined && state !== 'CREATING' && snapshot.call?.metadataPending) {
      return this.#metadata.retry(snapshot.call, log, signal);
    }
    if (state === 'CREATED' || state === 'RECORDED' || state === 'FAILED') {
      await this.#store.clearDue(tx);
      return { outcome: 'already-finalized', transactionId: tx, state };
    }
    const d = decide(snapshot, this.#now(), 'sweep', this.#s);
    if (d.action !== 'create') {
      return d.action === 'wait'
        ? { outcome: 'waiting', transactionId: tx, why: d.why }
        : { outcome: 'already-finalized', transactionId: tx, state: d.state };
    }
    return this.#finalize(tx, d.reason, log, signal);
  }

  async #evaluate(tx: string, log: RecorderLogger, signal?: AbortSignal): Promise<Outcome> {
    const snapshot = await this.#store.load(tx);
    const d = decide(snapshot, this.#now(), 'event', this.#s);
    if (d.action === 'done')
      return { outcome: 'already-finalized', transactionId: tx, state: d.state };
    if (d.action === 'wait') {
      log.debug('waiting before creating the pipeline', { why: d.why });
      return { outcome: 'waiting', transactionId: tx, why: d.why };
    }
    return this.#finalize(tx, d.reason, log, signal);
  }

  async #finalize(
    tx: string,
    reason: FinalizeReason,
    log: RecorderLogger,
    signal?: AbortSignal,
  ): Promise<Outcome> {
    if (signal?.aborted) {
      // No claim (and no create attempt) this late in the invocation: the call is due already or
      // becomes due, and the sweep creates it.
      return { outcome: 'waiting', transactionId: tx, why: 'the invocation is out of time' };
    }
    const claimId = this.#newId();
    const claimed = await this.#store.claim(tx, claimId, this.#now(), this.#s.claimLeaseMs);
    if (claimed === undefined) {
      log.debug('another invocation holds the pipeline claim');
      return { outcome: 'claimed-elsewhere', transactionId: tx };
    }
    // Read again after winning the claim, so a leg stored meanwhile is part of the recording.
    const snapshot = await this.#store.load(tx);
    const call: CallItem = snapshot.call ?? claimed;
    let request: PipelineRequest;
    let plan: RecordingPlan;
    try {
      plan = planRecording(snapshot, this.#now(), this.#s);
      request = buildPipelineRequest(call, plan, this.#s);
    } catch (err) {
      if (!isRecorderError(err)) throw err;
      return this.#fail(tx, claimId, err, log);
    }
    if (request.destination.sanitized.length > 0) {
      log.warn('replaced characters the S3 destination pattern rejects in the object name', {
        placeholders: request.destination.sanitized,
        key: request.destination.key,
      });
    }
    let created: CreatedPipelineRef;
    try {
      // Without a token (CLIENT_REQUEST_TOKEN=none) a create is not aborted at the reserve: the
      // service may have accepted it, and the sweep's retry would make a second pipeline with a
      // new random token. SDK_REQUEST_TIMEOUT_MS bounds each attempt, not their sum with
      // back-off (PIPELINE_MAX_ATTEMPTS): a create started near the reserve can still outlast the
      // invocation, leaving its claim to lapse (README, CLIENT_REQUEST_TOKEN). The deadline still
      // stops new claims.
      const abortSignal = request.token === undefined ? undefined : signal;
      created = await this.#pipelines.create(request.input, { abortSignal });
    } catch (err) {
      if (!isRecorderError(err)) throw err;
      if (err.retryable && (claimed.createAttempts ?? 1) < this.#s.maxCreateAttempts) {
        const retryAtMs = this.#now() + this.#s.createRetryAfterMs;
        await this.#store.release(tx, claimId, retryAtMs, err.code, err.message, this.#now());
        log.warn('could not create the pipeline; the sweep retries it', {
          ...errorAttributes(err),
          attempt: claimed.createAttempts,
          retryAt: new Date(retryAtMs).toISOString(),
        });
        return { outcome: 'retry-scheduled', transactionId: tx, retryAtMs, code: err.code };
      }
      return this.#fail(tx, claimId, err, log);
    }
    return this.#recordCreated({ call, claimId, reason, plan, request, created, log, signal });
  }

  /**
   * Records the created pipeline on the call item (`CREATED`, with any status event that came
   * first), then writes the metadata object. Recording first means a status event can always
   * find the pipeline's ARN, and a crash before the metadata write leaves the call in the due
   * index for the sweep to write it.
   */
  async #recordCreated(c: {
    call: CallItem;
    claimId: string;
    reason: FinalizeReason;
    plan: RecordingPlan;
    request: PipelineRequest;
    created: CreatedPipelineRef;
    log: RecorderLogger;
    signal: AbortSignal | undefined;
  }): Promise<Outcome> {
    const { plan, request, created, reason, log } = c;
    const tx = c.call.transactionId;
    const facts = {
      ...(created.pipelineId ? { pipelineId: created.pipelineId } : {}),
      ...(created.pipelineArn ? { pipelineArn: created.pipelineArn } : {}),
      ...(created.status ? { pipelineStatus: created.status } : {}),
      destination: request.destination.arn,
      ...(request.token ? { clientRequestToken: request.token } : {}),
      streamArns: plan.legs.map((l) => l.streamArn),
      legsRecorded: plan.legs.map((l) => l.role),
      recordingStartMs: plan.startMs,
      recordingEndMs: plan.endMs,
      callStartMs: plan.callStartMs,
      callEndMs: plan.callEndMs,
      recordingKey: request.destination.key,
      partial: plan.partial,
      reason,
    };
    const metadataKey = request.destination.metadataKey;
    const record = (claimId: string, call: CallItem): Promise<CreatedOutcome> =>
      this.#store.markCreated(
        tx,
        claimId,
        {
          ...facts,
          ...(this.#metadata.enabled
            ? {
                metadata: { key: metadataKey, retryAtMs: this.#now() + this.#s.createRetryAfterMs },
              }
            : {}),
        },
        this.#now(),
        call,
      );
    let marked = await record(c.claimId, c.call);
    if (!marked.ours) {
      // With a request token the invocation that took the claim over records the same pipeline
      // and writes the metadata object itself. Without one, what the call item shows decides.
      log.warn('the pipeline claim was taken over while the pipeline was being created', {
        pipelineId: created.pipelineId,
      });
      if (request.token === undefined) {
        const settled = await settleTakenOver(this.#takenOverDeps(log), {
          transactionId: tx,
          claimId: c.claimId,
          created,
          current: marked.current,
          record,
          signal: c.signal,
        });
        if (settled === undefined) return { outcome: 'claimed-elsewhere', transactionId: tx };
        marked = settled;
      }
    }
    if (marked.ours) {
      this.#logEarly(marked, created, log);
      await this.#metadata.writeFirst({ ...c.call, ...facts }, metadataKey, log, c.signal);
    }
    log.info('media insights pipeline created', {
      pipelineId: created.pipelineId,
      reason,
      legs: plan.legs.map((l) => l.role),
      partial: plan.partial,
      openEnded: plan.openEnded,
      startTimestamp: new Date(plan.startMs).toISOString(),
      endTimestamp: new Date(plan.endMs).toISOString(),
      destinationKey: request.destination.key,
    });
    return {
      outcome: 'pipeline-created',
      transactionId: tx,
      reason,
      ...(created.pipelineId ? { pipelineId: created.pipelineId } : {}),
    };
  }

  #takenOverDeps(log: RecorderLogger): TakenOverDeps {
    return {
      store: this.#store,
      pipelines: this.#pipelines,
      log,
      now: this.#now,
      newId: this.#newId,
      claimLeaseMs: this.#s.claimLeaseMs,
    };
  }

  #logEarly(marked: CreatedOutcome, created: CreatedPipelineRef, log: RecorderLogger): void {
    const { early, applied } = marked;
    if (early !== undefined && early.pipelineArn !== created.pipelineArn) {
      log.warn('status event of another pipeline arrived during the create; kept on its record', {
        pipelineArn: early.pipelineArn,
        pipelineStatus: early.pipelineStatus,
        createdPipelineArn: created.pipelineArn,
      });
    }
    if (applied === undefined) return;
    const attrs = { pipelineArn: applied.pipelineArn, pipelineStatus: applied.pipelineStatus };
    if (applied.state === 'FAILED') {
      log.error('recording failed', { ...attrs, failureReason: applied.failureReason });
    } else if (applied.state === 'RECORDED') {
      log.info('recording complete', attrs);
    } else {
      log.info('recording status', attrs);
    }
  }

  async #fail(
    tx: string,
    claimId: string,
    err: RecorderError,
    log: RecorderLogger,
  ): Promise<Outcome> {
    await this.#store.markFailed(tx, claimId, err.code, err.message, this.#now());
    log.error('call not recorded', errorAttributes(err));
    return { outcome: 'pipeline-failed', transactionId: tx, code: err.code };
  }
}
