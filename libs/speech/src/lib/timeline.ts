// From engine time to the AudioHook timeline. Every chunk of audio given to the transcriber gets a
// place on the "feed": the audio written to engines, end to end, without gaps. The AudioHook
// session timeline has gaps (pauses, `discarded` audio): where a chunk does not start where the
// previous one ended, an anchor records the jump. A result at feed offset f maps to the session
// position of the last anchor at or before f, plus the distance from it.

import { SpeechError, SpeechErrorCode } from './errors';

interface Anchor {
  /** Feed offset, ns. */
  readonly feed: number;
  /** Session position at that feed offset, ns. */
  readonly session: number;
}

/** Options of {@link FeedTimeline}. */
export interface FeedTimelineOptions {
  /**
   * Anchors older than this much feed time are forgotten (a result that old maps through the
   * oldest anchor kept), so a session with endless gaps keeps a bounded list.
   * @default 600_000_000_000 (10 minutes)
   */
  readonly keepNs?: number;
  /**
   * Most anchors kept, whatever their age: past it the oldest is forgotten. A client that leaves
   * a gap before every 20 ms frame makes 50 anchors a second; the default keeps 200 s of those.
   * @default 10_000
   */
  readonly maxAnchors?: number;
}

/** Default of {@link FeedTimelineOptions.maxAnchors}. */
export const TIMELINE_MAX_ANCHORS = 10_000;

/**
 * Maps feed offsets (audio written to the engines, contiguous) to session positions. Appending
 * costs O(1) (amortised), mapping O(log anchors); chunks of no duration change nothing.
 *
 * @example
 * ```ts
 * const timeline = new FeedTimeline();
 * timeline.append(0, 200_000_000);               // 200 ms at session position 0
 * timeline.append(3_200_000_000, 200_000_000);   // after 3 s discarded
 * timeline.toSession(300_000_000);               // 3_300_000_000
 * ```
 */
export class FeedTimeline {
  readonly #keepNs: number;
  readonly #maxAnchors: number;
  /** Anchors in feed order; `#anchors[#head]` is the oldest one still kept. */
  #anchors: Anchor[] = [];
  #head = 0;
  #feedEnd = 0;
  #sessionEnd = 0;

  /** @throws SpeechError `SPEECH_ERR_INVALID_ARGUMENT` for a bound that is not a positive integer. */
  constructor(options: FeedTimelineOptions = {}) {
    this.#keepNs = options.keepNs ?? 600_000_000_000;
    this.#maxAnchors = options.maxAnchors ?? TIMELINE_MAX_ANCHORS;
    if (!Number.isSafeInteger(this.#keepNs) || this.#keepNs < 0) {
      throw new SpeechError(SpeechErrorCode.InvalidArgument, 'keepNs must be a whole ns count');
    }
    if (!Number.isSafeInteger(this.#maxAnchors) || this.#maxAnchors < 1) {
      throw new SpeechError(SpeechErrorCode.InvalidArgument, 'maxAnchors must be at least 1');
    }
  }

  /** Feed offset where the next chunk will start, ns. */
  get feedEnd(): number {
    return this.#feedEnd;
  }

  /** Anchors held (for tests of the bound). */
  get anchors(): number {
    return this.#anchors.length - this.#head;
  }

  /**
   * Places a chunk of `durationNs` that starts at session position `sessionStartNs`; returns
   * its feed offset. A chunk of no duration occupies no feed time: it is ignored (no anchor).
   *
   * @throws SpeechError `SPEECH_ERR_INVALID_ARGUMENT` for negative or fractional values.
   */
  append(sessionStartNs: number, durationNs: number): number {
    if (
      !Number.isSafeInteger(sessionStartNs) ||
      !Number.isSafeInteger(durationNs) ||
      sessionStartNs < 0 ||
      durationNs < 0
    ) {
      throw new SpeechError(SpeechErrorCode.InvalidArgument, 'invalid chunk position or length');
    }
    const feed = this.#feedEnd;
    if (durationNs === 0) return feed;
    if (this.anchors === 0 || sessionStartNs !== this.#sessionEnd) {
      this.#anchors.push({ feed, session: sessionStartNs });
      this.#prune();
    }
    this.#feedEnd = feed + durationNs;
    this.#sessionEnd = sessionStartNs + durationNs;
    return feed;
  }

  /** The session position of feed offset `feedNs` (whole ns). */
  toSession(feedNs: number): number {
    const anchor = this.#anchorAt(feedNs);
    if (anchor === undefined) return Math.max(0, Math.round(feedNs));
    return Math.round(anchor.session + Math.max(0, feedNs - anchor.feed));
  }

  #anchorAt(feedNs: number): Anchor | undefined {
    const anchors = this.#anchors;
    let low = this.#head;
    let high = anchors.length - 1;
    let found: Anchor | undefined = anchors[low];
    while (low <= high) {
      const mid = (low + high) >> 1;
      const anchor = anchors[mid] as Anchor;
      if (anchor.feed <= feedNs) {
        found = anchor;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found;
  }

  /** Forgets anchors past the age and count bounds; O(1) amortised (no copy per append). */
  #prune(): void {
    const anchors = this.#anchors;
    const horizon = this.#feedEnd - this.#keepNs;
    // Keep the last anchor at or before the horizon: it still maps what follows it.
    while (
      anchors.length - this.#head > this.#maxAnchors ||
      (this.#head + 1 < anchors.length && (anchors[this.#head + 1] as Anchor).feed <= horizon)
    ) {
      this.#head++;
    }
    // Compact now and then: the copy is paid for by the anchors dropped since the last one.
    if (this.#head > 64 && this.#head * 2 > anchors.length) {
      this.#anchors = anchors.slice(this.#head);
      this.#head = 0;
    }
  }
}
