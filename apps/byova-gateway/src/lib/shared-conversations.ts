// The writes of conversations kept in the conversation table, so that several instances behind a
// load balancer behave as one:
//
// - Turns are claimed. Before a turn acts (connector call, reply), the instance serving it writes
//   the state it holds as the next version, marked `turnBy`, on the condition that the item is
//   still at the version it holds; the save after the turn ends the claim. A stream that finds
//   another instance's claim waits for that turn to end and continues from the state it saved,
//   so two overlapping streams never both run side effects on the same state (two welcomes), and
//   a stream opened while another instance finishes a turn (barge-in) continues from that turn's
//   result. A claim whose version stays the same for `turnLeaseMs`, measured on this instance's
//   monotonic clock (no comparison between the clocks of different machines), is taken for a
//   crashed instance's: the waiting instance continues from the last state saved.
// - Ends are conditional: the item is deleted only at the version this instance holds (or, for
//   the idle reaper, the version it just read), so an instance never removes a state another
//   instance wrote meanwhile.

import { randomUUID } from 'node:crypto';
import type { ConnectorSession, ConversationState, TurnStream } from '@org/byova';
import type { Logger } from 'pino';
import { stateFingerprint, type Conversation } from './conversation';
import type { ConversationStore, StoredConversation } from './conversation-store';
import { GatewayError, GatewayErrorCode } from './errors';
import type { GatewayMetrics } from './metrics';

/** A saved state older than this is saved again (its expiry moves on) even if unchanged. */
const ACTIVITY_REFRESH_MS = 60_000;

/** Claim attempts of one turn before the stream fails (others keep changing the conversation). */
const MAX_CLAIM_ATTEMPTS = 50;

/** Conversations whose foreign claim this instance is timing at once (oldest dropped beyond). */
const MAX_WATCHED_CLAIMS = 10_000;

export interface SharedConversationsOptions {
  readonly store: ConversationStore;
  readonly metrics: GatewayMetrics;
  readonly logger: Logger;
  /** An unchanged claim of another instance is taken over after this long (own clock). */
  readonly turnLeaseMs: number;
  /** First wait between reads of a conversation another instance claimed (doubles up to 8x). */
  readonly pollMs: number;
  /** A connector session for `state`, a newer state of `conversation` (from its snapshot). */
  readonly reopen: (conversation: Conversation, state: ConversationState) => ConnectorSession;
  /** The conversation ended elsewhere while this instance held a copy: drop the copy. */
  readonly gone: (conversation: Conversation) => void;
}

/**
 * The outcome of a turn claim: not claimed, with the item as read back after the failed write
 * (`readBack`, absent when that read failed).
 */
interface ClaimAttempt {
  readonly claimed: boolean;
  readonly readBack?: { readonly stored: StoredConversation | undefined } | undefined;
}

/** What the idle reaper does with an idle copy. */
export type IdleVerdict = 'end' | 'evict' | 'keep';

export class SharedConversations {
  readonly #options: SharedConversationsOptions;
  /** Copies whose turn claim this instance holds (the claim token). */
  readonly #claims = new WeakMap<Conversation, string>();
  /** Copies read while another instance's turn claimed them: that instance saves next. */
  readonly #foreign = new WeakSet<Conversation>();
  /** Copies whose item is already deleted. */
  readonly #removed = new WeakSet<Conversation>();
  /**
   * Per conversation id, another instance's claim seen waiting and since when (own clock): kept
   * across streams and copies, so WxCC giving up and retrying a waiting stream does not restart
   * the lease.
   */
  readonly #watched = new Map<string, { readonly version: number; readonly since: number }>();

  constructor(options: SharedConversationsOptions) {
    this.#options = options;
  }

  /** The stored state of a conversation. */
  load(conversationId: string): Promise<StoredConversation | undefined> {
    return this.#track('load', () => this.#options.store.load(conversationId));
  }

  /** `conversation` was built from `stored`. */
  restored(conversation: Conversation, stored: StoredConversation): void {
    conversation.version = stored.version;
    conversation.saved = {
      fingerprint: stateFingerprint(stored.state),
      activityAt: stored.state.lastActivityAt,
    };
    if (stored.claimedBy !== undefined) this.#foreign.add(conversation);
    else this.#foreign.delete(conversation);
  }

  /**
   * Writes a new conversation's first version, claimed when its first request is a turn (no
   * second write before the welcome).
   *
   * @returns false when the conversation exists already (another instance created it).
   */
  create(conversation: Conversation, claim: boolean): Promise<boolean> {
    return claim
      ? this.#saveClaimed(conversation, randomUUID()).then((r) => r.claimed)
      : this.#save(conversation);
  }

  /** This instance no longer holds the conversation (ended, or dropped here). */
  forget(conversationId: string): void {
    this.#watched.delete(conversationId);
  }

  /**
   * The gate of a turn: resolves true once this copy holds the conversation's claim (at its
   * newest state), false when the conversation no longer exists. Runs after this copy's saves.
   * A hang-up (`hangUp`) does not wait for another instance's turn: ending needs no claim, its
   * delete is conditional on the version (and follows a newer one, see {@link remove}), and the
   * other instance's save after its turn then fails its version condition.
   */
  enter(conversation: Conversation, stream: TurnStream, hangUp = false): Promise<boolean> {
    if (this.#claims.has(conversation)) return Promise.resolve(true);
    const run = conversation.saving.then(() => (hangUp ? true : this.#claim(conversation, stream)));
    conversation.saving = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  async #claim(conversation: Conversation, stream: TurnStream): Promise<boolean> {
    let wait = this.#options.pollMs;
    for (let attempt = 0; attempt < MAX_CLAIM_ATTEMPTS;) {
      // Ended here meanwhile: the gate's caller drops the input.
      if (this.#claims.has(conversation) || conversation.ended) return true;
      let readBack: ClaimAttempt['readBack'];
      if (!conversation.stale && !this.#foreign.has(conversation)) {
        attempt += 1;
        const attempted = await this.#saveClaimed(conversation, randomUUID());
        if (attempted.claimed) {
          this.#watched.delete(conversation.id);
          return true;
        }
        readBack = attempted.readBack;
      }
      // The item as the failed claim read it back, else read now.
      const stored = readBack !== undefined ? readBack.stored : await this.load(conversation.id);
      if (stored === undefined || stored.state.startedAt !== conversation.startedAt) {
        conversation.logger.info({}, 'conversation ended on another instance');
        this.#watched.delete(conversation.id);
        this.#options.gone(conversation);
        return false;
      }
      if (stored.claimedBy !== undefined) {
        const now = performance.now();
        const seen = this.#watch(conversation.id, stored.version, now);
        if (now - seen.since < this.#options.turnLeaseMs) {
          // The stream ended while waiting: its input is dropped (the caller gate sees it closed).
          if (stream.closed) return true;
          await new Promise((resolve) => setTimeout(resolve, wait));
          wait = Math.min(wait * 2, this.#options.pollMs * 8);
          continue;
        }
        conversation.logger.warn(
          { version: stored.version },
          'a turn claimed on another instance did not finish; continuing from its last state',
        );
      }
      this.#adopt(conversation, stored);
    }
    throw new GatewayError(
      GatewayErrorCode.StoreUnavailable,
      `conversation ${conversation.id} kept changing on other instances: its turn could not be claimed`,
    );
  }

  /** Since when this instance has seen `version` of the conversation claimed (first: `now`). */
  #watch(conversationId: string, version: number, now: number): { version: number; since: number } {
    const seen = this.#watched.get(conversationId);
    if (seen?.version === version) return seen;
    const next = { version, since: now };
    this.#watched.delete(conversationId);
    if (this.#watched.size >= MAX_WATCHED_CLAIMS) {
      const oldest = this.#watched.keys().next();
      if (oldest.done !== true) this.#watched.delete(oldest.value);
    }
    this.#watched.set(conversationId, next);
    return next;
  }

  /** Continues the copy from the newer stored state, with a connector session opened from it. */
  #adopt(conversation: Conversation, stored: StoredConversation): void {
    conversation.turnSession.adopt(stored.state, this.#options.reopen(conversation, stored.state));
    this.restored(conversation, { ...stored, claimedBy: undefined });
    conversation.stale = false;
    conversation.logger.info({ version: stored.version }, 'conversation continued from the table');
  }

  /**
   * Saves the conversation's state when it changed (or its expiry needs moving), and ends its
   * claim once no input is queued; after any save under way. Called after every request. With
   * `force` (this instance stops), the claim ends even while a turn is under way: the state held
   * is saved.
   */
  persist(conversation: Conversation, { force = false } = {}): Promise<void> {
    const run = conversation.saving.then(async () => {
      if (conversation.ended || conversation.stale || this.#removed.has(conversation)) return;
      const claimed = this.#claims.has(conversation);
      // A queued input runs under the same claim; the save after it ends the claim.
      if (claimed && conversation.turnSession.busy && !force) return;
      // Another instance's turn is under way: it saves next.
      if (!claimed && this.#foreign.has(conversation)) return;
      const state = conversation.turnSession.state;
      const saved = conversation.saved;
      if (
        !claimed &&
        saved?.fingerprint === stateFingerprint(state) &&
        state.lastActivityAt - saved.activityAt < ACTIVITY_REFRESH_MS
      )
        return;
      if (!(await this.#save(conversation))) {
        conversation.stale = true;
        conversation.logger.warn(
          { version: conversation.version },
          'another instance changed this conversation first; the next stream continues from its state',
        );
      }
    });
    conversation.saving = run.catch(() => undefined);
    return run;
  }

  /** Writes the next version (claimed with `claim`); false on a version conflict. */
  async #save(conversation: Conversation, claim?: string): Promise<boolean> {
    const { store, metrics } = this.#options;
    const state = conversation.turnSession.state;
    // A save without a claim ends it: a turn arriving meanwhile claims again after this save.
    if (claim === undefined) this.#claims.delete(conversation);
    const ok = await this.#track('save', () => store.save(state, conversation.version + 1, claim));
    if (ok) this.#saved(conversation, state, conversation.version + 1, claim);
    else {
      this.#claims.delete(conversation);
      metrics.storeOperations.inc({ operation: 'save', outcome: 'conflict' });
    }
    return ok;
  }

  /**
   * Writes the next version claimed with `token`. A claim can be stored with its answer lost (a
   * timeout, after which the SDK's retry fails the version condition, or throws): when the item
   * then holds `token` at that version, the claim is this copy's. Otherwise the item read back
   * is returned, so that the caller need not read it again.
   */
  async #saveClaimed(conversation: Conversation, token: string): Promise<ClaimAttempt> {
    const state = conversation.turnSession.state;
    const version = conversation.version + 1;
    let failure: { readonly error: unknown } | undefined;
    try {
      if (await this.#save(conversation, token)) return { claimed: true };
    } catch (error) {
      failure = { error };
    }
    const readBack: ClaimAttempt['readBack'] = await this.load(conversation.id).then(
      (stored) => ({ stored }),
      () => undefined,
    );
    const stored = readBack?.stored;
    if (stored?.claimedBy === token && stored.version === version) {
      this.#saved(conversation, state, version, token);
      conversation.logger.info({ version }, 'turn claim stored although its answer was lost');
      return { claimed: true };
    }
    if (failure !== undefined) throw failure.error;
    return { claimed: false, readBack };
  }

  /** `state` is stored as `version` (claimed with `claim`). */
  #saved(
    conversation: Conversation,
    state: ConversationState,
    version: number,
    claim: string | undefined,
  ): void {
    conversation.version = version;
    conversation.saved = {
      fingerprint: stateFingerprint(state),
      activityAt: state.lastActivityAt,
    };
    this.#foreign.delete(conversation);
    if (claim !== undefined) this.#claims.set(conversation, claim);
    else this.#claims.delete(conversation);
  }

  /**
   * Deletes an ended conversation's item at the version this copy holds. When another instance
   * wrote it since, the call is over all the same (hang-up, terminal reply): the newer version is
   * deleted, unless the item is a new conversation under the same id.
   */
  async remove(conversation: Conversation): Promise<void> {
    if (this.#removed.has(conversation)) return;
    this.#removed.add(conversation);
    this.#watched.delete(conversation.id);
    let version = conversation.version;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      if (await this.#delete(conversation.id, version)) return;
      const stored = await this.load(conversation.id);
      if (stored === undefined || stored.state.startedAt !== conversation.startedAt) return;
      version = stored.version;
    }
  }

  /**
   * What the reaper does with an idle copy: `keep` it when the table cannot be read, `evict` it
   * (drop this copy only) when the stored state is recent or changed while deleting, `end` it
   * once its item is deleted (conditionally, at the version just read) or gone.
   */
  async idle(conversation: Conversation, now: number, timeoutMs: number): Promise<IdleVerdict> {
    let stored: StoredConversation | undefined;
    try {
      stored = await this.load(conversation.id);
    } catch {
      return 'keep';
    }
    if (stored === undefined) {
      this.#removed.add(conversation);
      return 'end';
    }
    if (
      stored.state.startedAt !== conversation.startedAt ||
      now - stored.state.lastActivityAt < timeoutMs
    )
      return 'evict';
    const deleted = await this.#delete(conversation.id, stored.version).catch(() => false);
    if (!deleted) return 'evict';
    this.#removed.add(conversation);
    return 'end';
  }

  async #delete(conversationId: string, version: number): Promise<boolean> {
    const ok = await this.#track('delete', () =>
      this.#options.store.delete(conversationId, version),
    );
    if (!ok)
      this.#options.metrics.storeOperations.inc({ operation: 'delete', outcome: 'conflict' });
    return ok;
  }

  async #track<T>(operation: 'load' | 'save' | 'delete', call: () => Promise<T>): Promise<T> {
    try {
      const result = await call();
      if (result !== false) this.#options.metrics.storeOperations.inc({ operation, outcome: 'ok' });
      return result;
    } catch (error) {
      this.#options.metrics.storeOperations.inc({ operation, outcome: 'error' });
      this.#options.logger.error({ err: error, operation }, 'conversation table operation failed');
      throw error;
    }
  }
}
