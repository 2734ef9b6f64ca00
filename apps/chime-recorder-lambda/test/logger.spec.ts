import { createLambdaLogger } from '@org/service-kit/lambda';
import { captureLogs } from '@org/service-kit/testing';
import { fromKitLogger, memoryLogger, redactEvent } from '../src/lib/logger';

describe('fromKitLogger', () => {
  it('writes one JSON line per entry with the child keys as top-level attributes', () => {
    const logs = captureLogs();
    const log = fromKitLogger(
      createLambdaLogger({ service: 'test', level: 'info', destination: logs.destination }),
    );
    log.child({ transactionId: 'tx-1' }).info('pipeline created', { pipelineId: 'p-1' });
    log.debug('hidden at INFO');
    expect(logs.lines).toEqual([
      expect.objectContaining({
        level: 'info',
        msg: 'pipeline created',
        service: 'test',
        transactionId: 'tx-1',
        pipelineId: 'p-1',
      }),
    ]);
    expect(Number.isNaN(Date.parse(String(logs.lines[0]?.time)))).toBe(false);
  });
});

describe('memoryLogger', () => {
  it('keeps every level with merged keys', () => {
    const log = memoryLogger();
    const child = log.child({ a: 1 }).child({ b: 2 });
    child.debug('d');
    child.warn('w', { c: 3 });
    child.error('e');
    log.info('i');
    expect(log.entries.map((e) => [e.level, e.message, e.attributes])).toEqual([
      ['debug', 'd', { a: 1, b: 2 }],
      ['warn', 'w', { a: 1, b: 2, c: 3 }],
      ['error', 'e', { a: 1, b: 2 }],
      ['info', 'i', {}],
    ]);
  });
});

describe('redactEvent', () => {
  it('replaces numbers, SIP headers, SDP and SIPREC metadata at any depth', () => {
    expect(
      redactEvent({
        detail: {
          fromNumber: '+1',
          toNumber: '+2',
          inviteHeaders: { from: 'x' },
          sdp: { mediaIndex: 0 },
          siprecMetadata: '<xml/>',
          list: [{ updateHeaders: {} }],
          callId: 'kept',
        },
      }),
    ).toEqual({
      detail: {
        fromNumber: '[redacted]',
        toNumber: '[redacted]',
        inviteHeaders: '[redacted]',
        sdp: '[redacted]',
        siprecMetadata: '[redacted]',
        list: [{ updateHeaders: '[redacted]' }],
        callId: 'kept',
      },
    });
    expect(redactEvent('text')).toBe('text');
  });
});
