import { EventEmitter } from 'node:events';
import {
  AudioHookError,
  DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS,
  TokenBucket,
  TypedEmitter,
  fromWebSocket,
  silentLogger,
  systemClock,
  type TransportHandlers,
  type WebSocketLike,
} from '../src';
import {
  InMemoryTransport,
  ManualClock,
  createTransportPair,
  flushMicrotasks,
} from '../src/testing';

function recorder(): TransportHandlers & { log: unknown[][] } {
  const log: unknown[][] = [];
  return {
    log,
    onText: (text) => log.push(['text', text]),
    onBinary: (data) => log.push(['binary', Array.from(data)]),
    onClose: (code, reason) => log.push(['close', code, reason]),
    onError: (error) => log.push(['error', error.message]),
  };
}

describe('plumbing', () => {
  describe('InMemoryTransport', () => {
    it('delivers frames in order, buffers until attached and records what was sent', async () => {
      const [a, b] = createTransportPair();
      a.sendText('one');
      const bytes = new Uint8Array([1, 2]);
      a.sendBinary(bytes);
      bytes[0] = 9;
      await flushMicrotasks();
      const handlers = recorder();
      b.attach(handlers);
      expect(handlers.log).toEqual([
        ['text', 'one'],
        ['binary', [1, 2]],
      ]);
      expect(a.sentMessages()).toEqual([]);
      a.sendText('{"x":1}');
      await flushMicrotasks();
      expect(a.sentMessages()).toEqual([{ x: 1 }]);
      expect(() => b.attach(recorder())).toThrow(AudioHookError);
    });

    it('closes both ends once, with 1005 when no code is given, and drops later sends', async () => {
      const [a, b] = createTransportPair();
      const ha = recorder();
      const hb = recorder();
      a.attach(ha);
      b.attach(hb);
      b.close();
      b.close(1000);
      a.sendText('late');
      await flushMicrotasks();
      expect(ha.log).toEqual([['close', 1005, '']]);
      expect(hb.log).toEqual([['close', 1005, '']]);
      expect(a.closed && b.closed).toBe(true);
      expect(a.closeInfo).toEqual({ code: 1005, reason: '' });
    });

    it('simulates a dropped connection with 1006', async () => {
      const [a, b] = createTransportPair();
      const hb = recorder();
      b.attach(hb);
      a.drop();
      await flushMicrotasks();
      expect(hb.log).toEqual([['close', 1006, 'connection dropped']]);
    });

    it('holds frames and the close while paused and delivers them in order on resume', async () => {
      const [a, b] = createTransportPair();
      const handlers = recorder();
      b.attach(handlers);
      a.sendText('before');
      await flushMicrotasks();
      b.pause();
      b.pause();
      expect(b.isPaused).toBe(true);
      a.sendText('during');
      a.sendBinary(new Uint8Array([7]));
      a.close(1000, 'bye');
      await flushMicrotasks();
      expect(handlers.log).toEqual([['text', 'before']]);
      b.resume();
      b.resume();
      expect(b.isPaused).toBe(false);
      expect(handlers.log).toEqual([
        ['text', 'before'],
        ['text', 'during'],
        ['binary', [7]],
        ['close', 1000, 'bye'],
      ]);
    });

    it('stops delivering as soon as a handler pauses, keeping the rest for resume', async () => {
      const [a, b] = createTransportPair();
      const seen: string[] = [];
      b.attach({
        onText: (text) => {
          seen.push(text);
          if (text === 'two') b.pause();
        },
        onBinary: () => undefined,
        onClose: () => undefined,
      });
      for (const text of ['one', 'two', 'three']) a.sendText(text);
      await flushMicrotasks();
      expect(seen).toEqual(['one', 'two']);
      a.sendText('four');
      await flushMicrotasks();
      b.resume();
      expect(seen).toEqual(['one', 'two', 'three', 'four']);
    });

    it('accepts an unlinked end', () => {
      const lone = new InMemoryTransport();
      lone.sendText('x');
      expect(lone.sent).toEqual(['x']);
    });
  });

  describe('fromWebSocket', () => {
    class FakeSocket extends EventEmitter {
      sent: unknown[] = [];
      closedWith: unknown[] | undefined;
      failSends = false;
      throwOnClose = false;
      readLog: string[] = [];
      pause(): void {
        this.readLog.push('pause');
      }
      resume(): void {
        this.readLog.push('resume');
      }
      send(data: string | Uint8Array, callback?: (error?: Error) => void): void {
        this.sent.push(data);
        callback?.(this.failSends ? new Error('send failed') : undefined);
      }
      close(code?: number, reason?: string): void {
        if (this.throwOnClose) throw new Error('close failed');
        this.closedWith = [code, reason];
      }
    }

    it('maps ws messages, close and errors to handlers, buffering until attached', () => {
      const socket = new FakeSocket();
      const transport = fromWebSocket(socket as unknown as WebSocketLike);
      socket.emit('message', Buffer.from('{"a":1}'), false);
      socket.emit('message', Buffer.from([1, 2, 3]), true);
      socket.emit('message', new Uint8Array([4]).buffer, true);
      socket.emit('message', [Buffer.from([5]), Buffer.from([6])], true);
      socket.emit('message', 'text', false);
      socket.emit('message', 42, true);
      const handlers = recorder();
      transport.attach(handlers);
      socket.emit('error', new Error('boom'));
      socket.emit('close', 1000, Buffer.from('bye'));
      expect(handlers.log).toEqual([
        ['text', '{"a":1}'],
        ['binary', [1, 2, 3]],
        ['binary', [4]],
        ['binary', [5, 6]],
        ['text', 'text'],
        ['binary', []],
        ['error', 'boom'],
        ['close', 1000, 'bye'],
      ]);
      transport.sendText('ignored after close');
      expect(socket.sent).toEqual([]);
      expect(() => transport.attach(recorder())).toThrow(AudioHookError);
    });

    it('pauses and resumes reading the socket, holding frames emitted meanwhile', () => {
      const socket = new FakeSocket();
      const transport = fromWebSocket(socket as unknown as WebSocketLike);
      const handlers = recorder();
      transport.attach(handlers);
      transport.pause();
      transport.pause();
      socket.emit('message', Buffer.from('held'), false);
      socket.emit('message', Buffer.from([1]), true);
      expect(handlers.log).toEqual([]);
      transport.resume();
      transport.resume();
      expect(socket.readLog).toEqual(['pause', 'resume']);
      expect(handlers.log).toEqual([
        ['text', 'held'],
        ['binary', [1]],
      ]);
      socket.emit('close', 1000, Buffer.from(''));
      transport.pause();
      transport.resume();
      expect(socket.readLog).toEqual(['pause', 'resume']);
      expect(handlers.log.at(-1)).toEqual(['close', 1000, '']);
    });

    it('destroys a connection whose held frames pass maxBacklogBytes, reporting it and dropping them', () => {
      const socket = new FakeSocket() as FakeSocket & { terminated?: number };
      Object.assign(socket, {
        terminate(this: { terminated?: number }) {
          this.terminated = (this.terminated ?? 0) + 1;
        },
      });
      const transport = fromWebSocket(socket as unknown as WebSocketLike, { maxBacklogBytes: 10 });
      socket.emit('message', Buffer.from([1, 2, 3, 4, 5, 6]), true);
      socket.emit('message', 'four', false); // 10 held: still within the bound
      expect(socket.terminated).toBeUndefined();
      socket.emit('message', Buffer.from([7]), true);
      socket.emit('message', 'after the overflow', false);
      socket.emit('close', 1006, '');
      const handlers = recorder();
      transport.attach(handlers);
      expect(socket.terminated).toBe(1);
      expect(handlers.log).toEqual([
        ['error', expect.stringContaining('more than 10 bytes arrived')],
        ['close', 1006, ''],
      ]);
    });

    it('closes with 1008 on a backlog overflow when the socket cannot be terminated', () => {
      const socket = new FakeSocket();
      const transport = fromWebSocket(socket as unknown as WebSocketLike, { maxBacklogBytes: 4 });
      const handlers = recorder();
      transport.attach(handlers);
      transport.pause();
      socket.emit('message', 'held frames', false);
      expect(socket.closedWith).toEqual([1008, 'backlog overflow']);
      transport.resume();
      expect(handlers.log).toEqual([['error', expect.stringContaining('more than 4 bytes')]]);
    });

    it('refuses a maxBacklogBytes that is not a whole number of at least 1', () => {
      for (const maxBacklogBytes of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(() =>
          fromWebSocket(new FakeSocket() as unknown as WebSocketLike, { maxBacklogBytes }),
        ).toThrow(expect.objectContaining({ code: 'AUDIOHOOK_ERR_INVALID_ARGUMENT' }));
      }
    });

    it('holds frames while paused even when the socket cannot pause', () => {
      const socket = new EventEmitter() as EventEmitter & Partial<WebSocketLike>;
      const transport = fromWebSocket(socket as unknown as WebSocketLike);
      const handlers = recorder();
      transport.attach(handlers);
      transport.pause();
      socket.emit('message', 'x', false);
      expect(handlers.log).toEqual([]);
      transport.resume();
      expect(handlers.log).toEqual([['text', 'x']]);
    });

    it('sends text and binary, and reports send and close failures as errors', () => {
      const socket = new FakeSocket();
      const transport = fromWebSocket(socket as unknown as WebSocketLike);
      const handlers = recorder();
      transport.attach(handlers);
      transport.sendText('t');
      transport.sendBinary(new Uint8Array([1]));
      socket.failSends = true;
      transport.sendText('x');
      socket.throwOnClose = true;
      transport.close(1000, 'done');
      expect(socket.sent).toHaveLength(3);
      expect(handlers.log).toEqual([
        ['error', 'send failed'],
        ['error', 'close failed'],
      ]);
      socket.throwOnClose = false;
      transport.close(1001);
      expect(socket.closedWith).toEqual([1001, undefined]);
      socket.emit('close', 1001, 'string reason');
      transport.close();
      expect(handlers.log.at(-1)).toEqual(['close', 1001, 'string reason']);
    });
  });

  describe('fromWebSocket closing handshake', () => {
    class ClosingSocket extends EventEmitter {
      readonly calls: string[] = [];
      send(): void {
        this.calls.push('send');
      }
      close(code?: number): void {
        this.calls.push(`close ${code}`);
      }
      terminate(): void {
        this.calls.push('terminate');
      }
    }

    it('terminates a socket whose peer does not answer the closing handshake in time', async () => {
      const clock = new ManualClock(0);
      const socket = new ClosingSocket();
      const transport = fromWebSocket(socket as unknown as WebSocketLike, {
        clock,
        closeHandshakeTimeoutMs: 300,
      });
      transport.attach(recorder());
      transport.close(1000, 'session closed');
      transport.close(1000, 'again');
      await clock.advance(299);
      expect(socket.calls).toEqual(['close 1000', 'close 1000']);
      await clock.advance(1);
      expect(socket.calls).toEqual(['close 1000', 'close 1000', 'terminate']);
      expect(clock.pending).toBe(0);
    });

    it('leaves a socket alone once its close arrives within the wait', async () => {
      const clock = new ManualClock(0);
      const socket = new ClosingSocket();
      const transport = fromWebSocket(socket as unknown as WebSocketLike, { clock });
      const handlers = recorder();
      transport.attach(handlers);
      transport.close(1000);
      socket.emit('close', 1000, Buffer.from(''));
      expect(clock.pending).toBe(0);
      await clock.advance(60_000);
      expect(socket.calls).toEqual(['close 1000']);
      expect(handlers.log).toEqual([['close', 1000, '']]);
    });

    it('waits DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS by default, and not at all with 0 or without terminate', async () => {
      const clock = new ManualClock(0);
      const socket = new ClosingSocket();
      fromWebSocket(socket as unknown as WebSocketLike, { clock }).close(1000);
      await clock.advance(DEFAULT_CLOSE_HANDSHAKE_TIMEOUT_MS - 1);
      expect(socket.calls).toEqual(['close 1000']);
      await clock.advance(1);
      expect(socket.calls).toEqual(['close 1000', 'terminate']);

      const patient = new ClosingSocket();
      fromWebSocket(patient as unknown as WebSocketLike, {
        clock,
        closeHandshakeTimeoutMs: 0,
      }).close(1000);
      const plain = new EventEmitter() as EventEmitter & { close(): void; send(): void };
      plain.close = () => undefined;
      plain.send = () => undefined;
      fromWebSocket(plain as unknown as WebSocketLike, { clock }).close(1000);
      expect(clock.pending).toBe(0);
      await clock.advance(60_000);
      expect(patient.calls).toEqual(['close 1000']);
    });
  });

  describe('clocks', () => {
    it('fires ManualClock timers in order and lets cleared timers go', async () => {
      const clock = new ManualClock(100);
      const fired: string[] = [];
      clock.setTimeout(() => fired.push('b'), 20);
      const a = clock.setTimeout(() => fired.push('a'), 10);
      clock.setTimeout(() => clock.setTimeout(() => fired.push('c'), 5), 15);
      clock.clearTimeout(a);
      expect(clock.pending).toBe(2);
      await clock.advance(30);
      expect(fired).toEqual(['b', 'c']);
      expect(clock.now()).toBe(130);
    });

    it('uses unref’d real timers in systemClock', async () => {
      const start = systemClock.now();
      await new Promise<void>((resolve) => systemClock.setTimeout(resolve, 5));
      expect(systemClock.now()).toBeGreaterThanOrEqual(start);
      const handle = systemClock.setTimeout(() => undefined, 1000);
      systemClock.clearTimeout(handle);
    });

    it('waits the longest delay timers hold instead of firing at once for a longer one', async () => {
      const warnings: string[] = [];
      const onWarning = (warning: Error) => warnings.push(warning.name);
      process.on('warning', onWarning);
      let fired = false;
      const handle = systemClock.setTimeout(() => (fired = true), 2 ** 40);
      try {
        await new Promise((resolve) => setTimeout(resolve, 30));
        expect(fired).toBe(false);
        expect(warnings).not.toContain('TimeoutOverflowWarning');
      } finally {
        systemClock.clearTimeout(handle);
        process.off('warning', onWarning);
      }
    });
  });

  describe('TypedEmitter', () => {
    class Demo extends TypedEmitter<{ ping: [n: number] }> {
      fire(n: number): readonly Error[] {
        return this.emit('ping', n);
      }
    }
    it('supports on, once, off and reports listener errors', () => {
      const demo = new Demo();
      const seen: number[] = [];
      const listener = (n: number): void => void seen.push(n);
      demo.on('ping', listener).once('ping', (n) => seen.push(n * 10));
      demo.on('ping', () => {
        throw new Error('listener bug');
      });
      expect(demo.fire(1).map((e) => e.message)).toEqual(['listener bug']);
      demo.off('ping', listener);
      demo.fire(2);
      expect(seen).toEqual([1, 10]);
      expect(demo.listenerCount('ping')).toBe(1);
      expect(new Demo().fire(1)).toEqual([]);
    });

    it('applies listeners added or removed during an event from the next event on', () => {
      const demo = new Demo();
      const seen: string[] = [];
      const late = (n: number): void => void seen.push(`late ${n}`);
      const second = (n: number): void => void seen.push(`second ${n}`);
      demo.on('ping', (n) => {
        seen.push(`first ${n}`);
        if (n === 1) demo.on('ping', late).off('ping', second);
      });
      demo.on('ping', second);
      demo.fire(1);
      demo.fire(2);
      expect(seen).toEqual(['first 1', 'second 1', 'first 2', 'late 2']);
    });
  });

  describe('TokenBucket', () => {
    it('allows a burst, then the rate', async () => {
      const clock = new ManualClock(0);
      const bucket = new TokenBucket({ ratePerSecond: 5, burst: 25, clock });
      let taken = 0;
      while (bucket.tryTake()) taken++;
      expect(taken).toBe(25);
      expect(bucket.msUntilNext()).toBe(200);
      await clock.advance(1000);
      expect(Math.floor(bucket.tokens)).toBe(5);
      await clock.advance(60_000);
      expect(bucket.tokens).toBe(25);
      expect(bucket.msUntilNext()).toBe(0);
    });
    it('rejects a zero rate or burst', () => {
      expect(() => new TokenBucket({ ratePerSecond: 0 })).toThrow(AudioHookError);
      expect(() => new TokenBucket({ burst: 0 })).toThrow(AudioHookError);
      expect(new TokenBucket().ratePerSecond).toBe(5);
    });
  });

  it('has a silent logger that accepts every level', () => {
    for (const level of ['debug', 'info', 'warn', 'error'] as const) {
      expect(silentLogger[level]({}, 'x')).toBeUndefined();
    }
  });
});
