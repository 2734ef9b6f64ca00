// The source of a recording I/O worker thread (see recording-io.ts), kept as plain JavaScript
// text and started with `eval: true`: the server is one bundled file, and a worker built from a
// function's `toString()` would break under bundler helpers or coverage instrumentation.
//
// Messages in: arrays of operations `[kind, id, handle, a, b]`, done in order with the
// synchronous file system calls (no thread-pool round trip per operation). Message out, one per
// batch: `{ upTo, errors }`, the id of the batch's last operation and `[id, error]` for each
// one that failed. A file whose open failed fails every later write with the open's error;
// its close succeeds (there is nothing to close). `Share` hands the worker a SharedArrayBuffer
// under a number that later `WriteShared` operations name (with an offset and a length) until
// `Unshare`.

/** Operation kinds of the worker's messages. */
export const IoOp = {
  Open: 1,
  Write: 2,
  Close: 3,
  Rename: 4,
  /** `[Share, id, 0, shareId, buffer]` */
  Share: 5,
  /** `[Unshare, id, 0, shareId]` */
  Unshare: 6,
  /** `[WriteShared, id, handle, shareId, position, offset, length]` */
  WriteShared: 7,
} as const;

/** A failed operation's error as it crosses the thread boundary. */
export interface IoErrorShape {
  readonly message: string;
  readonly code?: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly path?: string;
  readonly dest?: string;
}

/** The worker's reply to one batch. */
export interface IoReply {
  readonly upTo: number;
  /** The operations that failed: id and error. */
  readonly errors: readonly (readonly [id: number, error: IoErrorShape])[];
}

export const RECORDING_IO_WORKER_SOURCE = `'use strict';
const { parentPort } = require('node:worker_threads');
const fs = require('node:fs');
const files = new Map();
const shared = new Map();
function shape(error) {
  const e = error === null || typeof error !== 'object' ? { message: String(error) } : error;
  const out = { message: String(e.message) };
  for (const key of ['code', 'errno', 'syscall', 'path', 'dest']) {
    if (e[key] !== undefined) out[key] = e[key];
  }
  return out;
}
function writeRange(fd, bytes, offset, length, position) {
  let done = 0;
  while (done < length) {
    done += fs.writeSync(fd, bytes, offset + done, length - done, position < 0 ? null : position + done);
  }
}
function sharedBytes(shareId) {
  const bytes = shared.get(shareId);
  if (bytes === undefined) {
    throw Object.assign(new Error('no shared recording buffer ' + shareId), { code: 'EFAULT' });
  }
  return bytes;
}
function run(op) {
  const kind = op[0];
  const handle = op[2];
  if (kind === ${IoOp.Rename}) return fs.renameSync(op[3], op[4]);
  if (kind === ${IoOp.Share}) return void shared.set(op[3], new Uint8Array(op[4]));
  if (kind === ${IoOp.Unshare}) return void shared.delete(op[3]);
  if (kind === ${IoOp.Open}) {
    try {
      files.set(handle, { fd: fs.openSync(op[3], 'w') });
    } catch (error) {
      files.set(handle, { error });
      throw error;
    }
    return;
  }
  const file = files.get(handle);
  if (file === undefined) {
    throw Object.assign(new Error('no open recording file ' + handle), { code: 'EBADF' });
  }
  if (kind === ${IoOp.Close}) {
    files.delete(handle);
    if (file.error === undefined) fs.closeSync(file.fd);
    return;
  }
  if (file.error !== undefined) throw file.error;
  if (kind === ${IoOp.WriteShared}) return writeRange(file.fd, sharedBytes(op[3]), op[5], op[6], op[4]);
  const bytes = typeof op[3] === 'string' ? Buffer.from(op[3], 'utf8') : op[3];
  writeRange(file.fd, bytes, 0, bytes.length, op[4]);
}
parentPort.on('message', (ops) => {
  const errors = [];
  let upTo = 0;
  for (const op of ops) {
    upTo = op[1];
    try {
      run(op);
    } catch (error) {
      errors.push([op[1], shape(error)]);
    }
  }
  parentPort.postMessage({ upTo, errors });
});
`;
