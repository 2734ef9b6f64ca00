// The file operations of recordings (create, write, close, rename), done by a worker thread in
// batches instead of one libuv thread-pool round trip each.
//
// Why: every asynchronous `fs` call wakes a pool thread and is woken back, which on a virtual
// machine costs the main thread about 50 µs, more than the write itself; a recording made ten of
// them, and a streaming session one per second. Here operations are collected for up to
// `batchMs` and posted to a worker as one message; the worker does them in order with the
// synchronous calls and answers the whole batch with one message. Operations on a file are
// queued without waiting for the previous one (the worker keeps the order), so a write can be
// queued before its file is open. Worker threads share the process's file descriptors.
//
// Shared memory (`share`): a SharedArrayBuffer sent to a worker is wrapped in a new object on
// its side each time. Buffers the recorders write from again and again (the chunk pool's arenas)
// are sent to each worker once; a write from one then carries only its number, offset and length.

import { Worker } from 'node:worker_threads';
import { ServerError, ServerErrorCode } from '../errors';
import {
  IoOp,
  RECORDING_IO_WORKER_SOURCE,
  type IoErrorShape,
  type IoReply,
} from './recording-io-worker';

/** One file being written. Operations run in call order. */
export interface RecordingFile {
  /** Writes all of `data` (a string as UTF-8) at byte `position`, or at the end without one. */
  write(data: Uint8Array | string, position?: number): Promise<void>;
  /** Closes the file (after the writes queued before). */
  close(): Promise<void>;
}

/** File operations of the recorder, the sidecar and the move of finished files. */
export interface RecordingIo {
  /** Creates (or truncates) `path`; the returned file takes writes at once. */
  open(path: string): RecordingFile;
  rename(from: string, to: string): Promise<void>;
  /** Waits for queued operations and stops the worker threads; later operations fail. */
  close(): Promise<void>;
}

export interface WorkerIoOptions {
  /** Worker threads; a file's operations all go to one of them. @default 1 */
  readonly threads?: number;
  /** Operations are collected this long before they are posted (0: the next turn). @default 50 */
  readonly batchMs?: number;
  /**
   * A batch holding this many operations is posted at once, without waiting for `batchMs`.
   * @default 1024
   */
  readonly maxBatchOps?: number;
  /** Told when a worker thread dies (its queued operations fail; a new one takes over). */
  readonly onWorkerError?: (error: Error) => void;
  /** @internal The worker's source (tests wrap the real one to make it die). */
  readonly workerSource?: string;
}

type Op = [
  kind: number,
  id: number,
  handle: number,
  a?: unknown,
  b?: unknown,
  c?: unknown,
  d?: unknown,
];

const ignore = (): void => undefined;

interface Waiter {
  readonly id: number;
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

function fromShape(shape: IoErrorShape): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(shape.message);
  if (shape.code !== undefined) error.code = shape.code;
  if (shape.errno !== undefined) error.errno = shape.errno;
  if (shape.syscall !== undefined) error.syscall = shape.syscall;
  if (shape.path !== undefined) error.path = shape.path;
  return error;
}

/**
 * Keeps what crosses to the worker small: a view on a much larger ArrayBuffer would copy it all.
 * A SharedArrayBuffer is not copied (the worker writes from the same memory).
 */
function compact(data: Uint8Array): Uint8Array {
  if (data.buffer instanceof SharedArrayBuffer) return data;
  return data.byteLength * 2 < data.buffer.byteLength ? data.slice() : data;
}

/** One worker thread and its batch queue. */
class IoLane {
  readonly #batchMs: number;
  readonly #maxBatchOps: number;
  readonly #onWorkerError: ((error: Error) => void) | undefined;
  readonly #source: string;
  #worker: Worker | undefined;
  /** Bumped whenever a worker dies: handles of an earlier one are gone with it. */
  generation = 0;
  #nextId = 1;
  #queue: Op[] = [];
  /** The scheduled flush, if any. */
  #timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  /** Operations posted or queued, oldest first; the worker settles them in this order. */
  #waiting: Waiter[] = [];
  #idle: (() => void)[] = [];
  /** Shared buffers the current worker holds, and their numbers there. */
  readonly #shared = new Map<SharedArrayBuffer, number>();
  #nextShareId = 1;

  constructor(options: WorkerIoOptions) {
    this.#batchMs = options.batchMs ?? 50;
    this.#maxBatchOps = options.maxBatchOps ?? 1024;
    this.#onWorkerError = options.onWorkerError;
    this.#source = options.workerSource ?? RECORDING_IO_WORKER_SOURCE;
  }

  submit(
    kind: number,
    handle: number,
    a?: unknown,
    b?: unknown,
    c?: unknown,
    d?: unknown,
  ): Promise<void> {
    const id = this.#nextId++;
    this.#queue.push([kind, id, handle, a, b, c, d]);
    const settled = new Promise<void>((resolve, reject) => {
      this.#waiting.push({ id, resolve, reject });
    });
    // A full batch goes now: an event-loop turn that reads a backlog from thousands of sockets
    // can last seconds, and every chunk it fills would stay queued (and the pool grow) until
    // the timer's turn came.
    if (this.#queue.length >= this.#maxBatchOps) this.flush();
    else if (this.#timer === undefined) {
      this.#timer =
        this.#batchMs === 0
          ? setImmediate(() => this.flush())
          : setTimeout(() => this.flush(), this.#batchMs);
    }
    return settled;
  }

  /** Writes `length` bytes of a shared buffer from `offset`, sending the buffer first if new. */
  writeShared(
    handle: number,
    buffer: SharedArrayBuffer,
    offset: number,
    length: number,
    position: number,
  ): Promise<void> {
    let shareId = this.#shared.get(buffer);
    if (shareId === undefined) {
      shareId = this.#nextShareId++;
      this.#shared.set(buffer, shareId);
      // Cannot fail in the worker; a batch that cannot be posted fails the write after it too.
      this.submit(IoOp.Share, 0, shareId, buffer).catch(ignore);
    }
    return this.submit(IoOp.WriteShared, handle, shareId, position, offset, length);
  }

  /** The worker lets go of `buffer` (after the operations queued before). */
  unshare(buffer: SharedArrayBuffer): void {
    const shareId = this.#shared.get(buffer);
    if (shareId === undefined) return;
    this.#shared.delete(buffer);
    this.submit(IoOp.Unshare, 0, shareId).catch(ignore);
  }

  /** Posts what is queued now. */
  flush(): void {
    if (this.#timer !== undefined) {
      if (this.#batchMs === 0) clearImmediate(this.#timer as NodeJS.Immediate);
      else clearTimeout(this.#timer as NodeJS.Timeout);
      this.#timer = undefined;
    }
    if (this.#queue.length === 0) return;
    const ops = this.#queue;
    this.#queue = [];
    const worker = this.#start();
    worker.ref();
    try {
      worker.postMessage(ops);
    } catch (error) {
      // Nothing a caller passes should fail to clone, but if it does, that batch fails, not the
      // process (this runs in a timer). Its waiters are the last ones queued.
      const failed = this.#waiting.splice(this.#waiting.length - ops.length);
      const cause = error instanceof Error ? error : new Error(String(error));
      for (const waiter of failed) waiter.reject(cause);
      this.#whenAllSettled();
    }
  }

  #start(): Worker {
    if (this.#worker !== undefined) return this.#worker;
    const worker = new Worker(this.#source, { eval: true });
    worker.on('message', (reply: IoReply) => this.#settle(reply));
    const died = (error: Error): void => {
      if (this.#worker !== worker) return;
      this.#worker = undefined;
      this.generation++;
      this.#shared.clear();
      this.#onWorkerError?.(error);
      this.#failAll(error);
    };
    worker.on('error', died);
    worker.on('exit', (code) => died(new Error(`the recording I/O worker exited (${code})`)));
    this.#worker = worker;
    return worker;
  }

  #settle(reply: IoReply): void {
    const failed = new Map(reply.errors);
    const waiting = this.#waiting;
    let settled = 0;
    while (settled < waiting.length && (waiting[settled] as Waiter).id <= reply.upTo) settled++;
    // One splice per reply: a `shift` per operation moves the whole array each time once it is
    // a large object for V8 (tens of thousands of waiters, as in a write backlog: 28 µs per
    // shift at 50,000 here).
    for (const waiter of waiting.splice(0, settled)) {
      const error = failed.get(waiter.id);
      if (error === undefined) waiter.resolve();
      else waiter.reject(fromShape(error));
    }
    this.#whenAllSettled();
  }

  /** Once nothing is outstanding: the thread no longer holds the process open, `whenIdle` wakes. */
  #whenAllSettled(): void {
    if (this.#waiting.length > 0) return;
    this.#worker?.unref();
    for (const wake of this.#idle.splice(0)) wake();
  }

  #failAll(cause: Error): void {
    const waiting = this.#waiting;
    this.#waiting = [];
    this.#queue = [];
    const error = new ServerError(
      ServerErrorCode.RecordingFailed,
      'the recording I/O worker died',
      {
        cause,
      },
    );
    for (const waiter of waiting) waiter.reject(error);
    for (const wake of this.#idle.splice(0)) wake();
  }

  /** Starts the worker thread now rather than with the first batch. */
  start(): void {
    if (this.#worker === undefined) this.#start().unref();
  }

  /** Resolves once every operation submitted so far has settled. */
  whenIdle(): Promise<void> {
    this.flush();
    if (this.#waiting.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  async stop(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    this.generation++;
    this.#shared.clear();
    if (worker !== undefined) await worker.terminate();
  }
}

class WorkerFile implements RecordingFile {
  readonly #lane: IoLane;
  readonly #handle: number;
  readonly #generation: number;
  readonly #shared: ReadonlySet<SharedArrayBuffer>;
  #closed = false;

  constructor(lane: IoLane, handle: number, path: string, shared: ReadonlySet<SharedArrayBuffer>) {
    this.#lane = lane;
    this.#handle = handle;
    this.#shared = shared;
    this.#generation = lane.generation;
    // The open's own error also fails the first write, which every caller makes.
    lane.submit(IoOp.Open, handle, path).catch(() => undefined);
  }

  #usable(): Error | undefined {
    if (this.#closed) return new Error('the recording file is closed');
    if (this.#lane.generation !== this.#generation) {
      return new ServerError(
        ServerErrorCode.RecordingFailed,
        'the recording I/O worker holding this file died',
      );
    }
    return undefined;
  }

  write(data: Uint8Array | string, position?: number): Promise<void> {
    const unusable = this.#usable();
    if (unusable !== undefined) return Promise.reject(unusable);
    if (typeof data === 'string' || !ArrayBuffer.isView(data)) {
      return this.#lane.submit(IoOp.Write, this.#handle, data, position ?? -1);
    }
    const buffer = data.buffer;
    if (buffer instanceof SharedArrayBuffer && this.#shared.has(buffer)) {
      return this.#lane.writeShared(
        this.#handle,
        buffer,
        data.byteOffset,
        data.byteLength,
        position ?? -1,
      );
    }
    return this.#lane.submit(IoOp.Write, this.#handle, compact(data), position ?? -1);
  }

  close(): Promise<void> {
    const unusable = this.#usable();
    if (unusable !== undefined) return this.#closed ? Promise.resolve() : Promise.reject(unusable);
    this.#closed = true;
    return this.#lane.submit(IoOp.Close, this.#handle);
  }
}

/**
 * Recording file operations on worker threads, batched.
 *
 * @example
 * ```ts
 * const io = new WorkerIo({ threads: 1, batchMs: 50 });
 * const file = io.open('/rec/x.json');
 * await file.write('{"header":{}}');
 * await file.close();
 * await io.rename('/rec/x.json', '/done/x.json');
 * await io.close();
 * ```
 */
export class WorkerIo implements RecordingIo {
  readonly #lanes: IoLane[];
  readonly #shared = new Set<SharedArrayBuffer>();
  #nextHandle = 1;
  #closed = false;

  constructor(options: WorkerIoOptions = {}) {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`threads must be a positive integer, got ${threads}`);
    }
    this.#lanes = Array.from({ length: threads }, () => new IoLane(options));
  }

  #lane(handle: number): IoLane {
    return this.#lanes[handle % this.#lanes.length] as IoLane;
  }

  /**
   * Starts the worker threads now (a server does at start-up, so that their memory is part of
   * its baseline and the first recording does not wait for a thread); otherwise the first
   * operation of each thread starts it.
   */
  start(): void {
    if (this.#closed) return;
    for (const lane of this.#lanes) lane.start();
  }

  open(path: string): RecordingFile {
    if (this.#closed)
      throw new ServerError(ServerErrorCode.RecordingFailed, 'recording I/O is closed');
    const handle = this.#nextHandle++;
    return new WorkerFile(this.#lane(handle), handle, path, this.#shared);
  }

  /**
   * Writes from `buffer` will name it instead of sending it: each worker thread is sent it once,
   * with the first such write, and keeps it until {@link unshare}. For memory written from again
   * and again (the chunk pool's arenas); other buffers are sent with each write.
   */
  share(buffer: SharedArrayBuffer): void {
    this.#shared.add(buffer);
  }

  /** The worker threads let go of `buffer` once the operations queued before are done. */
  unshare(buffer: SharedArrayBuffer): void {
    if (!this.#shared.delete(buffer)) return;
    for (const lane of this.#lanes) lane.unshare(buffer);
  }

  rename(from: string, to: string): Promise<void> {
    if (this.#closed) {
      return Promise.reject(
        new ServerError(ServerErrorCode.RecordingFailed, 'recording I/O is closed'),
      );
    }
    return this.#lane(this.#nextHandle++).submit(IoOp.Rename, 0, from, to);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#lanes.map((lane) => lane.whenIdle()));
    await Promise.all(this.#lanes.map((lane) => lane.stop()));
  }
}

let shared: WorkerIo | undefined;

/**
 * The process's shared {@link WorkerIo} (one thread, 50 ms batches), for recorders made without
 * one. Its thread holds the process open only while operations are under way.
 */
export function defaultRecordingIo(): RecordingIo {
  shared ??= new WorkerIo();
  return shared;
}
