// The open transaction of a server session (spec §9.2): the organization check and the
// authenticators, media selection, the open handlers (in parallel) under the `opened` deadline,
// and `opened` itself, with what it negotiated (media, probe, startPaused, discardTo).

import type { Clock, NamedTimers } from '../clock';
import { formatDuration } from '../duration';
import { AudioHookError, AudioHookErrorCode, toError } from '../errors';
import type { AudioHookLogger } from '../logger';
import { copyMedia, mediaEquals } from '../media';
import {
  NIL_UUID,
  type MediaParameter,
  type OpenMessage,
  type OpenParameters,
  type OpenedParameters,
} from '../schemas';
import type { ServerSession } from './session';
import type {
  Authenticator,
  CloseHandler,
  MediaSelector,
  OpenContext,
  OpenHandler,
  ServerSessionOptions,
  ServerSessionState,
} from './types';

/** What the open transaction needs from its session. @internal */
export interface OpenHost {
  readonly session: ServerSession;
  readonly options: ServerSessionOptions;
  readonly clock: Clock;
  /** The session's timers; the transaction sets the one named `open`. */
  readonly timers: NamedTimers;
  /** Clock time the session was created at (for the unauthorized delay). */
  readonly createdAt: number;
  state(): ServerSessionState;
  setState(state: ServerSessionState): void;
  /** The stream position in ns. */
  position(): number;
  sendOpened(parameters: OpenedParameters, openSeq: number): boolean;
  /** Reports that `opened` went out (the `opened` event). */
  opened(media: MediaParameter | undefined): void;
  addCloseHandler(handler: CloseHandler): void;
  /** Waits on the session's timers (so a manual clock drives it). */
  sleep(ms: number): Promise<void>;
  disconnectUnauthorized(info: string): void;
  serverError(error: Error): void;
  log(level: keyof AudioHookLogger, message: string, fields: Record<string, unknown>): void;
}

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
  readonly #host: OpenHost;
  #discardTo: number | undefined;
  #openedSent = false;

  constructor(host: OpenHost) {
    this.#host = host;
  }

  /** The client's `open`: accepted in PREPARING only; runs the pipeline in the background. */
  onOpen(message: OpenMessage): void {
    const host = this.#host;
    if (host.state() !== 'PREPARING') {
      host.log('warn', 'open ignored', { state: host.state() });
      return;
    }
    this.message = message;
    const params = message.parameters;
    this.isProbe =
      params.conversationId === NIL_UUID &&
      (host.options.probe?.requireNilParticipant !== true || params.participant.id === NIL_UUID);
    if (params.continuedSessions !== undefined) {
      host.log('info', 'open continues earlier sessions', {
        continuedSessions: params.continuedSessions,
      });
    }
    host.setState('OPENING');
    this.done = this.#run(message).catch((error: unknown) => {
      host.serverError(toError(error));
    });
  }

  async #run(message: OpenMessage): Promise<void> {
    const host = this.#host;
    const denied = await this.#authenticate(message.parameters);
    if (!this.#isOpening()) return;
    if (denied !== undefined) {
      const wait = host.createdAt + (host.options.unauthorizedDelayMs ?? 500) - host.clock.now();
      if (wait > 0) await host.sleep(wait);
      if (this.#isOpening()) host.disconnectUnauthorized(denied);
      return;
    }
    if (!this.#selectMedia(message.parameters)) return;
    const deadline = host.options.openDeadlineMs ?? 3000;
    if (deadline > 0) {
      host.timers.set('open', deadline, () => {
        host.log('warn', 'open handlers are slow; sending opened at the deadline', {
          deadlineMs: deadline,
        });
        this.#sendOpened(message);
      });
    }
    await this.#runHandlers(message);
    this.#sendOpened(message);
  }

  #isOpening(): boolean {
    return this.#host.state() === 'OPENING';
  }

  /** The organization header check, then the authenticators in order: why it is denied, if it is. */
  async #authenticate(params: OpenParameters): Promise<string | undefined> {
    const host = this.#host;
    const orgHeader = host.options.organizationId;
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
      const result = await authenticator(host.session, params);
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
    const host = this.#host;
    let candidates: readonly MediaParameter[] = params.media;
    if (this.isProbe && host.options.probe?.media === 'none') candidates = [];
    for (const selector of this.selectors) {
      candidates = selector(candidates, params, host.session);
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
    const host = this.#host;
    const context: OpenContext = {
      session: host.session,
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
        host.addCloseHandler(result.value);
      }
    }
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed !== undefined) throw toError(failed.reason);
  }

  #sendOpened(message: OpenMessage): void {
    const host = this.#host;
    host.timers.clear('open');
    if (this.#openedSent || !this.#isOpening()) return;
    this.#openedSent = true;
    const media = this.selectedMedia;
    const discardTo = this.#discardTo;
    const sent = host.sendOpened(
      {
        media: media === undefined ? [] : [media],
        startPaused: this.startPaused,
        ...(discardTo !== undefined && discardTo > host.position()
          ? { discardTo: formatDuration(discardTo) }
          : {}),
        ...(message.parameters.supportedLanguages === true
          ? { supportedLanguages: [...(host.options.supportedLanguages ?? [])] }
          : {}),
      },
      message.seq,
    );
    if (!sent) {
      host.serverError(new Error('opened could not be sent'));
      return;
    }
    host.setState('ACTIVE');
    host.opened(media);
  }
}
