import { PendingAudio, type FeedChunk } from '../src';
import { ms } from './helpers/scripted-engine';

const chunk = (index: number, sent = false): FeedChunk => ({
  feed: index * ms(200),
  durationNs: ms(200),
  pcm: new Int16Array([index]),
  sent,
});

describe('PendingAudio', () => {
  it('drops the oldest chunks past the bound and says which had reached an engine', () => {
    const buffer = new PendingAudio(ms(600));
    expect(buffer.push(chunk(0, true))).toEqual({ unsentNs: 0, sentNs: 0 });
    buffer.push(chunk(1));
    buffer.push(chunk(2));
    expect(buffer.push(chunk(3))).toEqual({ unsentNs: 0, sentNs: ms(200) });
    expect(buffer.push(chunk(4))).toEqual({ unsentNs: ms(200), sentNs: 0 });
    expect(buffer.start).toBe(ms(400));
    expect(buffer.durationNs).toBe(ms(600));
  });

  it('never drops the chunk just added, even when it alone exceeds the bound', () => {
    const buffer = new PendingAudio(ms(100));
    buffer.push(chunk(0));
    expect(buffer.push(chunk(1))).toEqual({ unsentNs: ms(200), sentNs: 0 });
    expect(buffer.from(0).map((c) => c.pcm[0])).toEqual([1]);
  });

  it('forgets what an engine finished with and replays the rest in order', () => {
    const buffer = new PendingAudio(ms(10_000));
    for (let i = 0; i < 5; i++) buffer.push(chunk(i));
    buffer.trimBefore(ms(450)); // chunks ending at or before 450 ms go; 400..600 stays
    expect(buffer.start).toBe(ms(400));
    expect(buffer.from(ms(650)).map((c) => c.pcm[0])).toEqual([3, 4]);
    buffer.clear();
    expect(buffer.start).toBeUndefined();
    expect(buffer.durationNs).toBe(0);
  });

  it('bounds the PCM held by samples too, whatever durations the chunks declare', () => {
    const buffer = new PendingAudio(ms(600), 3000);
    const silent = (index: number): FeedChunk => ({
      feed: 0,
      durationNs: 0, // declares nothing: only the sample bound holds it
      pcm: new Int16Array(1000).fill(index),
      sent: false,
    });
    buffer.push(silent(0));
    buffer.push(silent(1));
    buffer.push(silent(2));
    expect(buffer.samples).toBe(3000);
    expect(buffer.push(silent(3))).toEqual({ unsentNs: 0, sentNs: 0 });
    expect(buffer.samples).toBe(3000);
    expect(buffer.from(-1).map((c) => c.pcm[0])).toEqual([1, 2, 3]);
    buffer.clear();
    expect(buffer.samples).toBe(0);
  });

  it('stays correct across many pushes and drops', () => {
    const buffer = new PendingAudio(ms(1000));
    for (let i = 0; i < 1000; i++) buffer.push(chunk(i, true));
    expect(buffer.from(0).map((c) => c.pcm[0])).toEqual([995, 996, 997, 998, 999]);
  });
});
