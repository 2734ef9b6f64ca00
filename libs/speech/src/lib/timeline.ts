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
}

/**
 * Maps feed offsets (audio written to the engines, contiguous) to session positions.
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
  #anchors: Anchor[] = [];
  #feedEnd = 0;
  #sessionEnd = 0;

  constructor(options: FeedTimelineOptions = {}) {
    this.#keepNs = options.keepNs ?? 600_000_000_000;
  }

  /** Feed offset where the next chunk will start, ns. */
  get feedEnd(): number {
    return this.#feedEnd;
  }

  /** Anchors held (for tests of the bound). */
  get anchors(): number {
    return this.#anchors.length;
  }

  /**
   * Places a chunk of `durationNs` that starts at session position `sessionStartNs`; returns
   * its feed offset.
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
    if (this.#anchors.length === 0 || sessionStartNs !== this.#sessionEnd) {
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
    let low = 0;
    let high = anchors.length - 1;
    let found: Anchor | undefined = anchors[0];
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

  #prune(): void {
    const horizon = this.#feedEnd - this.#keepNs;
    let drop = 0;
    // Keep the last anchor at or before the horizon: it still maps what follows it.
    while (drop + 1 < this.#anchors.length && (this.#anchors[drop + 1] as Anchor).feed <= horizon) {
      drop++;
    }
    if (drop > 0) this.#anchors = this.#anchors.slice(drop);
  }
}
