import {
  AudioErrorCode,
  ChannelView,
  deinterleave,
  interleave,
  mixToMono,
  stereoToMono,
} from '../src';
import { audioError } from './helpers';

describe('deinterleave / interleave', () => {
  it('splits stereo u-law bytes into two channels', () => {
    const [left, right] = deinterleave(new Uint8Array([1, 2, 3, 4, 5, 6]), 2);
    expect(left).toBeInstanceOf(Uint8Array);
    expect(Array.from(left ?? [])).toEqual([1, 3, 5]);
    expect(Array.from(right ?? [])).toEqual([2, 4, 6]);
  });

  it('splits three channels of linear samples and joins them back', () => {
    const interleaved = new Int16Array([1, -1, 100, 2, -2, 200]);
    const channels = deinterleave(interleaved, 3);
    expect(channels.map((c) => Array.from(c))).toEqual([
      [1, 2],
      [-1, -2],
      [100, 200],
    ]);
    expect(Array.from(interleave(channels))).toEqual(Array.from(interleaved));
  });

  it('treats one channel as a copy', () => {
    const [only] = deinterleave(new Int16Array([5, 6]), 1);
    expect(Array.from(only ?? [])).toEqual([5, 6]);
  });

  it('fills caller-provided outputs', () => {
    const outputs = [new Int16Array(2), new Int16Array(2)];
    expect(deinterleave(new Int16Array([1, 2, 3, 4]), 2, outputs)).toEqual(outputs);
    const target = new Int16Array(4);
    expect(interleave(outputs, target)).toBe(target);
    expect(Array.from(target)).toEqual([1, 2, 3, 4]);
  });

  it.each([
    ['a length that is not whole frames', () => deinterleave(new Int16Array(3), 2)],
    ['zero channels', () => deinterleave(new Int16Array(4), 0)],
    [
      'an output that is too small',
      () => deinterleave(new Int16Array(4), 2, [new Int16Array(1), new Int16Array(2)]),
    ],
    ['no channels to interleave', () => interleave([])],
    ['channels of different lengths', () => interleave([new Int16Array(2), new Int16Array(3)])],
    [
      'an interleave output that is too small',
      () => interleave([new Int16Array(2)], new Int16Array(1)),
    ],
  ])('rejects %s', (_, call) => {
    expect(call).toThrow(audioError(AudioErrorCode.InvalidArgument) as Error);
  });
});

describe('ChannelView', () => {
  const interleaved = new Int16Array([10, 20, 11, 21, 12, 22]);

  it('reads one channel without copying', () => {
    const right = new ChannelView(interleaved, 2, 1);
    expect(right.length).toBe(3);
    expect(right.at(0)).toBe(20);
    expect(right.at(2)).toBe(22);
    expect([...right]).toEqual([20, 21, 22]);
    interleaved[3] = 99;
    expect(right.at(1)).toBe(99);
    interleaved[3] = 21;
  });

  it('returns undefined outside the channel', () => {
    const left = new ChannelView(interleaved, 2, 0);
    expect(left.at(-1)).toBeUndefined();
    expect(left.at(3)).toBeUndefined();
    expect(left.at(0.5)).toBeUndefined();
  });

  it('copies out to a contiguous array of the same kind', () => {
    const left = new ChannelView(new Uint8Array([1, 2, 3, 4]), 2, 0).toArray();
    expect(left).toBeInstanceOf(Uint8Array);
    expect(Array.from(left)).toEqual([1, 3]);
    const target = new Int16Array(3);
    expect(new ChannelView(interleaved, 2, 0).toArray(target)).toBe(target);
    expect(() => new ChannelView(interleaved, 2, 0).toArray(new Int16Array(1))).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
  });

  it('rejects a channel index out of range', () => {
    expect(() => new ChannelView(interleaved, 2, 2)).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
  });
});

describe('mixToMono / stereoToMono', () => {
  it('averages stereo frames, rounding to nearest, without clipping', () => {
    const mono = stereoToMono(
      new Int16Array([100, 200, 32767, 32767, -32768, -32768, 1, 2, -3, 0]),
    );
    expect(Array.from(mono)).toEqual([150, 32767, -32768, 2, -1]);
  });

  it('averages any number of channels', () => {
    expect(Array.from(mixToMono(new Int16Array([3, 6, 9, -3, -6, -9]), 3))).toEqual([6, -6]);
    expect(Array.from(mixToMono(new Int16Array([7, 8]), 1))).toEqual([7, 8]);
  });

  it('fills a caller-provided output and rejects one that is too small', () => {
    const out = new Int16Array(1);
    expect(stereoToMono(new Int16Array([2, 4]), out)).toBe(out);
    expect(() => stereoToMono(new Int16Array([2, 4, 6, 8]), out)).toThrow(
      audioError(AudioErrorCode.InvalidArgument) as Error,
    );
  });
});
