import { FeedTimeline, SpeechErrorCode } from '../src';
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
