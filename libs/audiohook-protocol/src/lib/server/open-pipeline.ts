// The open transaction of a server session (spec §9.2): the wait for `open` itself, the
// organization check and the authenticators, media selection, the open handlers (in parallel)
// under the `opened` deadline, and `opened` itself, with what it negotiated (media, probe,
// startPaused, discardTo).

import { formatDuration } from '../duration';
import { AudioHookError, AudioHookErrorCode, toError } from '../errors';
import { copyMedia, mediaEquals } from '../media';
import { NIL_UUID, type MediaParameter, type OpenMessage, type OpenParameters } from '../schemas';
import type { ServerCore } from './core';
import type { Authenticator, MediaSelector, OpenContext, OpenHandler } from './types';

/** The name of the timer of the wait for `open`. */
const OPEN_WAIT_TIMER = 'awaitOpen';

/** Entries of `open.continuedSessions` that are logged. */
const MAX_LOGGED_CONTINUED_SESSIONS = 8;

/** The open transaction of one server session and what it negotiated. @internal */
export class OpenTransaction {
  readonly authenticators: Authenticator[] = [];
  readonly selectors: MediaSelector[] = [];
  readonly handlers: OpenHandler[] = [];
  /** The `open` message, once received. */
  message: OpenMessage | undefined;
  /** The media selected for `opened` (`undefined` before, or for `[]`). */
  selectedMedia: MediaParameter | undefined;
  /** True for a connection probe (nil conversation id). */
  isProbe = false;
  /** `opened.startPaused`. */
  startPaused = false;
  /** Settles when the pipeline finished, however it ended. */
  done: Promise<void> = Promise.resolve();
  readonly #core: ServerCore;
  #discardTo: number | undefined;
  #openedSent = false;

  constructor(core: ServerCore) {
    this.#core = core;
  }

  /** True once `opened` went out. */
  get openedSent(): boolean {
    return this.#openedSent;
  }

  /**
   * Starts the wait for `open` (`openWaitTimeoutMs` from now). When it runs out with the session
   * still PREPARING, the client gets `disconnect` error and the transport is closed at once.
   */
  startWait(): void {
    const core = this.#core;
    const timeout = core.options.openWaitTimeoutMs ?? 10_000;
    if (timeout <= 0) return;
    core.timers.set(OPEN_WAIT_TIMER, timeout, () => {
      if (core.state !== 'PREPARING') return;
      core.log('warn', 'no open from the client in time; disconnecting', {
        openWaitTimeoutMs: timeout,
      });
      core.disconnect('error', `Client Error: No open message received within ${timeout} ms`);
      core.transport.close(1008, 'open timeout');
    });
  }

  /** Stops the wait for `open` (it came, or the session is being ended anyway). */
  stopWait(): void {
    this.#core.timers.clear(OPEN_WAIT_TIMER);
  }

  /** The client's `open`: accepted in PREPARING only; runs the pipeline in the background. */
  onOpen(message: OpenMessage): void {
    const core = this.#core;
    if (core.state !== 'PREPARING') {
      core.logIgnored('warn', 'open ignored', { state: core.state });
      return;
    }
    this.stopWait();
    this.message = message;
    const params = message.parameters;
    this.isProbe =
      params.conversationId === NIL_UUID &&
      (core.options.probe?.requireNilParticipant !== true || params.participant.id === NIL_UUID);
    if (params.continuedSessions !== undefined) {
      // Bounded: the list is the client's, as long as one text frame allows.
      core.log('info', 'open continues earlier sessions', {
        continuedSessions: params.continuedSessions.slice(0, MAX_LOGGED_CONTINUED_SESSIONS),
        count: params.continuedSessions.length,
      });
    }
    core.setState('OPENING');
    this.done = this.#run(message).catch((error: unknown) => {
      core.serverError(toError(error));
    });
  }

  async #run(message: OpenMessage): Promise<void> {
    const core = this.#core;
    const denied = await this.#authenticate(message.parameters);
    if (!this.#isOpening()) return;
    if (denied !== undefined) {
      const wait = core.createdAt + (core.options.unauthorizedDelayMs ?? 500) - core.clock.now();
      if (wait > 0) await core.sleep(wait);
      if (this.#isOpening()) core.disconnect('unauthorized', denied);
      return;
    }
    if (!this.#selectMedia(message.parameters)) return;
    const deadline = core.options.openDeadlineMs ?? 3000;
    if (deadline > 0) {
      core.timers.set('open', deadline, () => {
        core.log('warn', 'open handlers are slow; sending opened at the deadline', {
          deadlineMs: deadline,
        });
        this.#sendOpened(message);
      });
    }
    await this.#runHandlers(message);
    this.#sendOpened(message);
  }

  #isOpening(): boolean {
    return this.#core.state === 'OPENING';
  }

  /** The organization header check, then the authenticators in order: why it is denied, if it is. */
  async #authenticate(params: OpenParameters): Promise<string | undefined> {
    const core = this.#core;
    const orgHeader = core.options.organizationId;
    let denied: string | undefined;
    if (
      orgHeader !== undefined &&
      orgHeader.toLowerCase() !== params.organizationId.toLowerCase()
    ) {
      denied =
        'Mismatch between "organizationId" open parameter and "audiohook-organization-id" header field';
    }
    for (const authenticator of this.authenticators) {
      if (denied !== undefined || !this.#isOpening()) break;
      const result = await authenticator(core.session, params);
      if (result === false) denied = 'Unauthorized';
      else if (typeof result === 'string' && result.length > 0) denied = result;
    }
    return denied;
  }

  /**
   * The first offered entry that survives every selector, echoed exactly. False when the session
   * left OPENING meanwhile.
   */
  #selectMedia(params: OpenParameters): boolean {
    const core = this.#core;
    let candidates: readonly MediaParameter[] = params.media;
    if (this.isProbe && core.options.probe?.media === 'none') candidates = [];
    for (const selector of this.selectors) {
      candidates = selector(candidates, params, core.session);
      if (!this.#isOpening()) return false;
    }
    const chosen = candidates[0];
    if (chosen !== undefined && !params.media.some((m) => mediaEquals(m, chosen))) {
      throw new Error('a media selector returned media that was not offered');
    }
    this.selectedMedia = chosen === undefined ? undefined : copyMedia(chosen);
    return true;
  }

  /** Runs every open handler in parallel; their close handlers are kept even if one failed. */
  async #runHandlers(message: OpenMessage): Promise<void> {
    const core = this.#core;
    const context: OpenContext = {
      session: core.session,
      message,
      parameters: message.parameters,
      selectedMedia: this.selectedMedia,
      isProbe: this.isProbe,
      setStartPaused: (value) => {
        this.startPaused = value;
      },
      setDiscardTo: (nanos) => {
        if (!Number.isSafeInteger(nanos) || nanos < 0) {
          throw new AudioHookError(
            AudioHookErrorCode.InvalidArgument,
            `invalid discardTo ${nanos}`,
          );
        }
        this.#discardTo = this.#discardTo === undefined ? nanos : Math.min(this.#discardTo, nanos);
      },
    };
    const results = await Promise.allSettled(
      this.handlers.map(async (handler) => handler(context)),
    );
    for (const result of results) {
      if (result.status === 'fulfilled' && typeof result.value === 'function') {
        core.close.closeHandlers.push(result.value);
      }
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw toError(failed.reason);
  }

  #sendOpened(message: OpenMessage): void {
    const core = this.#core;
    core.timers.clear('open');
    if (this.#openedSent || !this.#isOpening()) return;
    this.#openedSent = true;
    const media = this.selectedMedia;
    const discardTo = this.#discardTo;
    const sent = core.send(
      'opened',
      {
        media: media === undefined ? [] : [media],
        startPaused: this.startPaused,
        ...(discardTo !== undefined && discardTo > core.timeline.position
          ? { discardTo: formatDuration(discardTo) }
          : {}),
        ...(message.parameters.supportedLanguages === true
          ? { supportedLanguages: [...(core.options.supportedLanguages ?? [])] }
          : {}),
      },
      message.seq,
    );
    if (!sent) {
      core.serverError(new Error('opened could not be sent'));
      return;
    }
    core.setState('ACTIVE');
    core.emitSafe('opened', media);
  }
}
