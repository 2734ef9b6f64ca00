import { sessionLogger } from '@org/service-kit';
import { Backoff, sleep } from './backoff';
import { type FrameActions, handleFrame } from './channel-frames';
import { ChannelSocket, type SocketClosed } from './channel-socket';
import { subscribeChannel, type SubscribeContext } from './channel-subscribe';
import {
  type ChannelManagerOptions,
  type ChannelState,
  type ChannelStatus,
  type Connection,
  channelRef,
  type TopicState,
} from './channel-types';
import { CollectorError, GenesysApiError, describeError } from './errors';
import type { CreatedChannel } from './genesys/api-client';
import { LagEstimate } from './lag';
import { LogLimiter } from './log-limiter';
import { type AtTimer, runAt } from './timers';

export {
  type ChannelManagerOptions,
  type ChannelState,
  type ChannelStatus,
  channelRef,
  type TopicState,
} from './channel-types';

/**
 * Keeps one notification channel subscribed and connected, for as long as the process runs:
 *
 * - creates a channel (never more than one per `MIN_CHANNEL_CREATE_INTERVAL_S`), PUTs the array
 *   subscription body with `ignoreErrors`, and connects to `connectUri` verbatim;
 * - on a drop, reconnects to the same channel with jittered backoff after a HEAD check, and
 *   creates a new one only if the channel is gone (404, `{"result":"404"}`, `no_longer_subscribed`);
 * - re-PUTs the subscriptions before the channel expires (`CHANNEL_REFRESH_AGE_H`, or earlier if
 *   `expires` is sooner), and rolls over to an overlapping new channel on `socket_closing`, when
 *   the token that created the channel is about to expire, or when the re-PUT fails. The old
 *   socket stays open until the new one is live; duplicates are for the pipeline to drop.
 */
export class ChannelManager {
  readonly #o: ChannelManagerOptions;
  readonly #backoff: Backoff;
  readonly #abort = new AbortController();
  #state: ChannelState = 'idle';
  #channel: CreatedChannel | undefined;
  #active: Connection | undefined;
  /** A socket still in its handshake (closed by stop so shutdown never waits on it). */
  #connecting: ChannelSocket | undefined;
  #establishing: Promise<void> | undefined;
  #rolling: Promise<void> | undefined;
  #timers: AtTimer[] = [];
  #timersFor: CreatedChannel | undefined;
  #lastCreateAt = 0;
  #attempts = 0;
  readonly #subscribedChannels = new WeakSet<CreatedChannel>();
  #ttlMs = 24 * 3_600_000;
  #lastSubscribedAt = 0;
  #topicStates: TopicState[] = [];
  #disconnectedAt: number | undefined;
  #lastHeartbeatAt: number | undefined;
  #lastError: string | undefined;
  #session = 0;
  #lastFrameSeenAt: number | undefined;
  /**
   * How far behind Genesys the reader is: receive time minus event time of the last event with a
   * plausible timestamp. A frame read now may have been sent this long ago, and a connection that
   * drops loses what was sent after it, so every "received up to" time is moved back by it.
   */
  readonly #lag: LagEstimate;
  readonly #subscribeContext: SubscribeContext;
  readonly #frameActions: FrameActions;

  constructor(options: ChannelManagerOptions) {
    this.#o = options;
    this.#disconnectedAt = options.initialGapStart;
    this.#lag = new LagEstimate(options.maxLagMs ?? 300_000, options.metrics);
    this.#backoff = new Backoff({
      initialMs: options.genesys.reconnectDelayMs,
      maxMs: options.genesys.maxReconnectDelayMs,
      ...(options.random ? { random: options.random } : {}),
    });
    this.#subscribeContext = {
      api: options.api,
      genesys: options.genesys,
      logger: options.logger,
      topics: options.topics,
      onAllRejected: options.onAllRejected,
      subscribed: (ch, states) => this.#subscribed(ch, states),
      signal: this.#abort.signal,
    };
    this.#frameActions = {
      metrics: options.metrics,
      lag: this.#lag,
      limit: new LogLimiter({ logger: options.logger, metrics: options.metrics }),
      seen: (conn) => this.#frameSeen(conn),
      heartbeat: () => {
        this.#lastHeartbeatAt = Date.now();
      },
      socketClosing: (conn) => {
        if (conn === this.#active) this.#rollover('socket_closing');
      },
      gone: (conn, why) => this.#channelGone(conn, why),
      tokenRevoked: () => this.#o.tokens.invalidate(),
      onEvent: options.onEvent,
      whenWritable: options.whenWritable,
    };
  }

  /** Starts connecting in the background; progress shows in {@link status}. */
  start(): void {
    this.#establish(false);
  }

  /** Stops reading: closes the socket(s) and cancels timers and in-flight calls. */
  async stop(): Promise<void> {
    this.#state = 'stopped';
    this.#abort.abort();
    this.#clearTimers();
    this.#frameActions.limit.close();
    const active = this.#active;
    this.#active = undefined;
    await Promise.all([
      active?.socket.close(1000, 'collector stopping'),
      this.#connecting?.close(1000, 'collector stopping'),
    ]);
    await this.#establishing;
    await this.#rolling;
  }

  /** Re-PUTs the (possibly changed) topic list on the current channel. */
  async resubscribe(): Promise<void> {
    const ch = this.#channel;
    if (!ch || this.#stopped) return;
    await this.#subscribe(ch);
  }

  status(): ChannelStatus {
    const a = this.#active;
    return {
      state: this.#state,
      connected: a?.socket.isOpen ?? false,
      channel: this.#channel ? channelRef(this.#channel.id) : null,
      expires: this.#channel ? new Date(this.#channel.expiresAt).toISOString() : null,
      connectedSince: a ? new Date(a.connectedAt).toISOString() : null,
      lastFrameAt: a?.socket.lastFrameAt,
      lastHeartbeatAt: this.#lastHeartbeatAt,
      reconnectAttempts: this.#backoff.attempts,
      lastError: this.#lastError,
      topics: this.#topicStates,
    };
  }

  /**
   * The moment up to which every frame was received without a gap not yet reported to `onGap`:
   * the start of the current disconnection, else the last frame received (a frame is handed to
   * `onEvent` as it arrives). `undefined` before anything is known.
   */
  coverage(): number | undefined {
    if (this.#disconnectedAt !== undefined) return this.#disconnectedAt;
    return this.#lastFrameSeenAt === undefined ? undefined : this.#lastFrameSeenAt - this.#lag.ms;
  }

  get #stopped(): boolean {
    return this.#abort.signal.aborted;
  }

  /** Runs the connect loop unless it is already running. */
  #establish(delayFirst: boolean): void {
    if (this.#establishing || this.#stopped) return;
    this.#establishing = this.#establishLoop(delayFirst).finally(() => {
      this.#establishing = undefined;
    });
  }

  async #establishLoop(delayFirst: boolean): Promise<void> {
    let delay = delayFirst ? this.#backoff.next() : 0;
    while (!this.#stopped) {
      if (delay > 0) {
        this.#o.logger.info({ delayMs: delay }, 'reconnecting after delay');
        await sleep(delay, this.#abort.signal);
        if (this.#stopped) return;
      }
      // Every attempt but this manager's first is a reconnect, to the same channel or a new one.
      if (this.#attempts++ > 0) this.#o.metrics.inc('reconnects');
      try {
        let ch = this.#channel && Date.now() < this.#channel.expiresAt ? this.#channel : undefined;
        if (ch) {
          this.#state = 'reconnecting';
          if (!(await this.#o.api.channelExists(ch.id, this.#abort.signal))) {
            this.#o.logger.warn({ channel: channelRef(ch.id) }, 'channel is gone (HEAD 404)');
            ch = undefined;
          }
        }
        if (ch && !this.#subscribedChannels.has(ch)) {
          // Created earlier but its subscription failed: subscribe it rather than make another.
          this.#state = 'subscribing';
          await this.#subscribe(ch);
        }
        ch ??= await this.#createAndSubscribe(true);
        await this.#connect(ch);
        return;
      } catch (err) {
        if (this.#stopped) return;
        if (err instanceof CollectorError && err.code === 'COLLECTOR_ERR_CHANNEL_GONE') {
          this.#channel = undefined;
        }
        this.#fail(err, 'could not (re)connect to a notification channel');
        delay = this.#backoff.next();
      }
    }
  }

  async #createAndSubscribe(waitForRateLimit: boolean): Promise<CreatedChannel> {
    const wait = this.#lastCreateAt + this.#o.genesys.minChannelCreateIntervalMs - Date.now();
    if (wait > 0) {
      if (!waitForRateLimit) {
        throw new CollectorError(
          'COLLECTOR_ERR_RATE_LIMITED',
          'a channel was created less than MIN_CHANNEL_CREATE_INTERVAL_S ago',
        );
      }
      this.#o.logger.info({ waitMs: wait }, 'waiting before creating another channel');
      await sleep(wait, this.#abort.signal);
      if (this.#stopped) throw new CollectorError('COLLECTOR_ERR_STOPPED', 'stopped');
    }
    this.#state = 'creating';
    this.#lastCreateAt = Date.now();
    const ch = await this.#o.api.createChannel(this.#abort.signal);
    // Remember it at once: if subscribing fails, the retry reuses this channel.
    this.#channel = ch;
    this.#o.metrics.inc('channels_created');
    this.#ttlMs = Math.max(1000, ch.expiresAt - ch.createdAt);
    this.#o.logger.info(
      { channel: channelRef(ch.id), expires: new Date(ch.expiresAt).toISOString() },
      'created notification channel',
    );
    this.#state = 'subscribing';
    await this.#subscribe(ch);
    return ch;
  }

  #subscribe(ch: CreatedChannel): Promise<void> {
    return subscribeChannel(this.#subscribeContext, ch);
  }

  async #connect(ch: CreatedChannel): Promise<void> {
    this.#state = 'connecting';
    this.#session += 1;
    const ref = channelRef(ch.id);
    const log = sessionLogger(this.#o.logger, `${ref}#${this.#session}`);
    const conn: Connection = {
      channel: ch,
      ref,
      log,
      connectedAt: 0,
      sawFrame: false,
      socket: new ChannelSocket({
        connectUri: ch.connectUri,
        heartbeatTimeoutMs: this.#o.genesys.heartbeatTimeoutMs,
        pingIntervalMs: this.#o.genesys.pingIntervalMs,
        pongTimeoutMs: this.#o.genesys.pongTimeoutMs,
        handshakeTimeoutMs: Math.min(10_000, this.#o.genesys.requestTimeoutMs),
        logger: log,
        onFrame: (text) => this.#onFrame(conn, text),
        onClose: (closed) => this.#onClosed(conn, closed),
      }),
    };
    this.#connecting = conn.socket;
    try {
      await conn.socket.open();
    } finally {
      this.#connecting = undefined;
    }
    conn.connectedAt = Date.now();
    if (this.#stopped) {
      await conn.socket.close(1000, 'collector stopping');
      throw new CollectorError('COLLECTOR_ERR_STOPPED', 'stopped');
    }
    this.#active = conn;
    this.#state = 'live';
    this.#lastError = undefined;
    log.info('connected to notification channel');
    this.#scheduleChannelTimers(ch);
    // The very first connection (no checkpoint before it): reception starts here.
    this.#lastFrameSeenAt ??= conn.connectedAt;
    this.#o.onLive?.();
    if (this.#disconnectedAt !== undefined) {
      const gap = { start: this.#disconnectedAt, end: conn.connectedAt };
      this.#disconnectedAt = undefined;
      this.#o.onGap(gap);
    }
  }

  #onFrame(conn: Connection, text: string | null): boolean {
    return handleFrame(this.#frameActions, conn, text);
  }

  /** Genesys answered a subscription PUT on `ch` with these per-topic outcomes. */
  #subscribed(ch: CreatedChannel, states: TopicState[]): void {
    this.#topicStates = states;
    this.#lastSubscribedAt = Date.now();
    this.#subscribedChannels.add(ch);
  }

  #frameSeen(conn: Connection): void {
    this.#lastFrameSeenAt = conn.socket.lastFrameAt;
    if (!conn.sawFrame) {
      conn.sawFrame = true;
      // The socket is proven: the next failure starts the backoff from the beginning again.
      if (conn === this.#active) this.#backoff.reset();
    }
  }

  #channelGone(conn: Connection, why: string): void {
    conn.log.warn({ why }, 'channel is gone; a new one will be created');
    if (this.#channel === conn.channel) this.#channel = undefined;
    conn.socket.kill('gone');
  }

  #onClosed(conn: Connection, closed: SocketClosed): void {
    conn.log.info(
      {
        code: closed.code,
        reason: closed.reason,
        cause: closed.cause,
        intentional: closed.intentional,
      },
      'socket closed',
    );
    if (closed.intentional || this.#stopped || conn !== this.#active) return;
    this.#active = undefined;
    // The gap starts where the last frame we received was sent (its receive time minus the lag).
    this.#disconnectedAt = (conn.socket.lastFrameAt || Date.now()) - this.#lag.ms;
    this.#state = 'reconnecting';
    if (this.#rolling) return; // the rollover in progress connects the replacement
    this.#establish(true);
  }

  #rollover(reason: string): void {
    if (this.#rolling || this.#stopped) return;
    let immediate = false;
    this.#rolling = this.#rolloverNow(reason)
      .then((reconnectNow) => {
        immediate = reconnectNow;
      })
      .finally(() => {
        this.#rolling = undefined;
        if (!this.#active && !this.#stopped) this.#establish(!immediate);
      });
  }

  /** Returns true when the caller should reconnect at once (planned switch to the same channel). */
  async #rolloverNow(reason: string): Promise<boolean> {
    const old = this.#active;
    try {
      if (reason === 'socket_closing' && this.#o.genesys.socketClosingReconnectDelayMs > 0) {
        await sleep(this.#o.genesys.socketClosingReconnectDelayMs, this.#abort.signal);
      }
      const ch = await this.#createAndSubscribe(false);
      if (this.#stopped) return false;
      await this.#connect(ch);
      this.#o.metrics.inc('rollovers');
      this.#o.logger.info({ reason, from: old?.ref, to: channelRef(ch.id) }, 'rolled over');
      if (old && old !== this.#active) await old.socket.close(1000, 'rolled over to a new channel');
      return false;
    } catch (err) {
      if (this.#stopped) return false;
      this.#fail(err, `rollover (${reason}) failed; staying on the current channel`);
      if (
        reason === 'socket_closing' &&
        old &&
        old === this.#active &&
        err instanceof CollectorError &&
        err.code === 'COLLECTOR_ERR_RATE_LIMITED'
      ) {
        // No new channel allowed yet: reconnect to the same channel before the server closes it.
        this.#active = undefined;
        this.#disconnectedAt = (old.socket.lastFrameAt || Date.now()) - this.#lag.ms;
        await old.socket.close(1000, 'reconnecting after socket_closing');
        return true;
      }
      return false;
    }
  }

  #scheduleChannelTimers(ch: CreatedChannel): void {
    if (this.#timersFor === ch) return;
    this.#clearTimers();
    this.#timersFor = ch;
    const renewAt = (): number => {
      const byAge = this.#lastSubscribedAt + this.#o.genesys.channelRefreshAgeMs;
      // Never cut it finer than 5% of the channel's life (or 1 s) before `expires`.
      const safety = Math.max(1000, this.#ttlMs * 0.05);
      return Math.min(byAge, ch.expiresAt - safety);
    };
    const armRenew = (): void => {
      this.#timers.push(
        runAt(renewAt(), () => {
          void this.#renew(ch).then((ok) => {
            if (ok && this.#timersFor === ch) armRenew();
          });
        }),
      );
    };
    armRenew();
    this.#timers.push(
      runAt(ch.tokenRefreshAt, () => {
        if (this.#channel === ch) this.#rollover('the token that created the channel is expiring');
      }),
    );
  }

  /** Re-PUTs the subscriptions, which extends the channel; rolls over if that fails. */
  async #renew(ch: CreatedChannel): Promise<boolean> {
    if (this.#channel !== ch || this.#stopped) return false;
    try {
      await this.#subscribe(ch);
      ch.expiresAt = Date.now() + this.#ttlMs;
      this.#o.metrics.inc('subscription_refreshes');
      this.#o.logger.info(
        { channel: channelRef(ch.id), expires: new Date(ch.expiresAt).toISOString() },
        'subscriptions refreshed; channel extended',
      );
      return true;
    } catch (err) {
      if (this.#stopped) return false;
      this.#fail(err, 'subscription refresh failed; rolling over to a new channel');
      this.#rollover('subscription refresh failed');
      return false;
    }
  }

  #clearTimers(): void {
    for (const t of this.#timers) t.cancel();
    this.#timers = [];
    this.#timersFor = undefined;
  }

  #fail(err: unknown, message: string): void {
    this.#lastError = describeError(err);
    this.#o.metrics.inc('errors');
    this.#o.logger.error(
      {
        err: this.#lastError,
        code: err instanceof CollectorError ? err.code : undefined,
        correlationId: err instanceof GenesysApiError ? err.correlationId : undefined,
      },
      message,
    );
  }
}
