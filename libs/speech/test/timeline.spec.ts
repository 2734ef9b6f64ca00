import { FeedTimeline, SpeechErrorCode, TIMELINE_MAX_ANCHORS } from '../src';
import { ms } from './helpers/scripted-engine';

describe('FeedTimeline', () => {
  it('maps contiguous audio one to one from the first chunk’s session position', () => {
    const timeline = new FeedTimeline();
    expect(timeline.append(ms(2000), ms(200))).toBe(0);
    expect(timeline.append(ms(2200), ms(200))).toBe(ms(200));
    expect(timeline.feedEnd).toBe(ms(400));
    expect(timeline.toSession(ms(300))).toBe(ms(2300));
    expect(timeline.anchors).toBe(1);
  });

  it('jumps over discarded audio: later feed times land after the gap', () => {
    const timeline = new FeedTimeline();
    timeline.append(0, ms(1000));
    timeline.append(ms(4000), ms(1000)); // 3 s discarded
    expect(timeline.toSession(ms(500))).toBe(ms(500));
    expect(timeline.toSession(ms(1000))).toBe(ms(4000));
    expect(timeline.toSession(ms(1500))).toBe(ms(4500));
    expect(timeline.anchors).toBe(2);
  });

  it('maps times before the first anchor through it', () => {
    const timeline = new FeedTimeline();
    expect(timeline.toSession(ms(10))).toBe(ms(10));
    timeline.append(ms(700), ms(200));
    expect(timeline.toSession(0)).toBe(ms(700));
  });

  it('keeps a bounded list of anchors however many gaps a client makes', () => {
    const timeline = new FeedTimeline({ keepNs: ms(10_000) });
    for (let i = 0; i < 10_000; i++) timeline.append(i * ms(300), ms(200)); // 100 ms gap each
    expect(timeline.anchors).toBeLessThanOrEqual(52);
    const feed = timeline.feedEnd - ms(200);
    expect(timeline.toSession(feed)).toBe(9999 * ms(300));
  });

  it('ignores chunks of no duration: a million of them after gaps add no anchor', () => {
    const timeline = new FeedTimeline();
    let moved = 0;
    for (let i = 0; i < 1_000_000; i++) if (timeline.append(i * ms(1), 0) !== 0) moved++;
    expect(moved).toBe(0);
    expect(timeline.anchors).toBe(0);
    expect(timeline.feedEnd).toBe(0);
    timeline.append(ms(7000), ms(200));
    expect(timeline.anchors).toBe(1);
    expect(timeline.toSession(ms(100))).toBe(ms(7100));
  });

  it('keeps at most maxAnchors anchors, forgetting the oldest, and maps recent audio exactly', () => {
    expect(TIMELINE_MAX_ANCHORS).toBe(10_000);
    const timeline = new FeedTimeline({ maxAnchors: 100 });
    for (let i = 0; i < 1000; i++) timeline.append(i * ms(40), ms(20)); // a 20 ms gap before each
    expect(timeline.anchors).toBe(100);
    expect(timeline.toSession(999 * ms(20) + ms(5))).toBe(999 * ms(40) + ms(5));
    expect(timeline.toSession(900 * ms(20))).toBe(900 * ms(40));
  });

  it('appends in constant time while 30,000 anchors age out (no copy of the list per chunk)', () => {
    // The reviewer's case: 20 ms frames each after a 20 ms gap fill ten minutes of feed.
    const timeline = new FeedTimeline({ maxAnchors: 100_000 });
    let i = 0;
    for (; i < 30_000; i++) timeline.append(i * ms(40), ms(20));
    const started = performance.now();
    for (const end = i + 2000; i < end; i++) timeline.append(i * ms(40), ms(20));
    // About 10 s when each append copied the list; well under a millisecond per append now.
    expect(performance.now() - started).toBeLessThan(500);
    expect(timeline.anchors).toBe(30_001);
    expect(timeline.toSession(timeline.feedEnd - ms(10))).toBe((i - 1) * ms(40) + ms(10));
  });

  it('rejects a bound that is not a positive whole number', () => {
    expect(() => new FeedTimeline({ maxAnchors: 0 })).toThrow(
      expect.objectContaining({ code: SpeechErrorCode.InvalidArgument }),
    );
    expect(() => new FeedTimeline({ keepNs: NaN })).toThrow(
      expect.objectContaining({ code: SpeechErrorCode.InvalidArgument }),
    );
  });

  it('refuses negative or fractional positions', () => {
    const timeline = new FeedTimeline();
    expect(() => timeline.append(-1, 5)).toThrow(
      expect.objectContaining({
        code: SpeechErrorCode.InvalidArgument,
      }),
    );
    expect(() => timeline.append(0, 0.5)).toThrow();
  });
});
