import {
  buildDestination,
  clientRequestToken,
  normalizePrefix,
  parseKeyTemplate,
} from '../src/lib/destination';
import { RecorderErrorCode } from '../src/lib/errors';

const values = {
  transactionId: 'ec97a8ff-3f83-4de2-8d73-d988070f6af4',
  callId: '089b1d79@pbx',
  voiceConnectorId: 'bfggco08s5m5esgxfskzks',
  startMs: Date.parse('2023-04-05T22:14:01.238Z'),
};
const template = parseKeyTemplate('{transactionId}');

describe('normalizePrefix', () => {
  it.each([
    ['', ''],
    ['/', ''],
    ['originalAudio', '/originalAudio'],
    ['originalAudio/', '/originalAudio'],
    ['/a//b/', '/a/b'],
    ['  calls  ', '/calls'],
  ])('normalises %j to %j', (raw, normalised) => {
    expect(normalizePrefix(raw)).toBe(normalised);
  });

  it('rejects characters the API pattern does not allow', () => {
    expect(() => normalizePrefix('my recordings')).toThrow(
      expect.objectContaining({ code: RecorderErrorCode.ConfigInvalid }),
    );
  });
});

describe('parseKeyTemplate', () => {
  it.each([
    ['{unknown}', 'unknown placeholder {unknown}'],
    ['{yyyy}/{mm}', 'must contain {transactionId} or {callId}'],
    ['calls here/{transactionId}', 'literal text may only hold'],
    ['/{transactionId}', 'must not start or end with "/"'],
  ])('rejects %j', (source, message) => {
    expect(() => parseKeyTemplate(source)).toThrow(message);
  });
});

describe('buildDestination', () => {
  it('builds arn:aws:s3:::<bucket><prefix>/<id>.wav', () => {
    expect(
      buildDestination(values, {
        bucket: 'b',
        prefix: '/originalAudio',
        template,
        extension: 'wav',
      }),
    ).toEqual({
      arn: 'arn:aws:s3:::b/originalAudio/ec97a8ff-3f83-4de2-8d73-d988070f6af4.wav',
      key: 'originalAudio/ec97a8ff-3f83-4de2-8d73-d988070f6af4.wav',
      metadataKey: 'originalAudio/ec97a8ff-3f83-4de2-8d73-d988070f6af4.json',
      sanitized: [],
    });
  });

  it('puts an empty prefix at the bucket root with no leading slash in the key', () => {
    const d = buildDestination(values, { bucket: 'b', prefix: '', template, extension: 'wav' });
    expect(d.arn).toBe('arn:aws:s3:::b/ec97a8ff-3f83-4de2-8d73-d988070f6af4.wav');
    expect(d.key).toBe('ec97a8ff-3f83-4de2-8d73-d988070f6af4.wav');
  });

  it('renders dates in UTC and uses the partition of the configuration', () => {
    const d = buildDestination(values, {
      bucket: 'b',
      prefix: '',
      template: parseKeyTemplate('{voiceConnectorId}/{yyyy}-{mm}-{dd}/{callId}'),
      extension: 'ogg',
      partition: 'aws-us-gov',
    });
    expect(d).toEqual({
      arn: 'arn:aws-us-gov:s3:::b/bfggco08s5m5esgxfskzks/2023-04-05/089b1d79_pbx.ogg',
      key: 'bfggco08s5m5esgxfskzks/2023-04-05/089b1d79_pbx.ogg',
      metadataKey: 'bfggco08s5m5esgxfskzks/2023-04-05/089b1d79_pbx.json',
      sanitized: ['callId'],
    });
  });

  it('never lets an identifier add path segments or dot segments', () => {
    const d = buildDestination(
      { ...values, callId: '..' },
      { bucket: 'b', prefix: '', template: parseKeyTemplate('{callId}'), extension: 'wav' },
    );
    expect(d.key).toBe('_.wav');
    const slash = buildDestination(
      { ...values, callId: 'a/../b' },
      { bucket: 'b', prefix: '', template: parseKeyTemplate('{callId}'), extension: 'wav' },
    );
    expect(slash.key).toBe('a_.._b.wav');
  });

  it('rejects instead of replacing with the reject policy', () => {
    expect(() =>
      buildDestination(values, {
        bucket: 'b',
        prefix: '',
        template: parseKeyTemplate('{callId}'),
        extension: 'wav',
        invalidChars: 'reject',
      }),
    ).toThrow(expect.objectContaining({ code: RecorderErrorCode.DestinationInvalid }));
  });

  it('rejects a destination longer than 1,024 characters', () => {
    expect(() =>
      buildDestination(
        { ...values, callId: 'x'.repeat(1100) },
        { bucket: 'b', prefix: '', template: parseKeyTemplate('{callId}'), extension: 'wav' },
      ),
    ).toThrow(expect.objectContaining({ code: RecorderErrorCode.DestinationInvalid }));
  });
});

describe('clientRequestToken', () => {
  it('uses a transaction id that fits [-_a-zA-Z0-9]{2,64} unchanged', () => {
    expect(clientRequestToken('ec97a8ff-3f83-4de2-8d73-d988070f6af4')).toBe(
      'ec97a8ff-3f83-4de2-8d73-d988070f6af4',
    );
  });

  it('hashes anything else into a stable 64-character token', () => {
    const t = clientRequestToken('call@pbx');
    expect(t).toMatch(/^h-[0-9a-f]{62}$/);
    expect(clientRequestToken('call@pbx')).toBe(t);
    expect(clientRequestToken('x')).toMatch(/^h-/);
    expect(clientRequestToken('y'.repeat(65))).toMatch(/^h-/);
  });
});
