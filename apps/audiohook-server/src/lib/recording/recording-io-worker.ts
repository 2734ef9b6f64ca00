// The source of a recording I/O worker thread (see recording-io.ts), kept as plain JavaScript
// text and started with `eval: true`: the server is one bundled file, and a worker built from a
// function's `toString()` would break under bundler helpers or coverage instrumentation.
//
// Messages in: arrays of operations `[kind, id, handle, a, b]`, done in order with the
// synchronous file system calls (no thread-pool round trip per operation). Message out, one per
// batch: `{ upTo, errors }`, the id of the batch's last operation and `[id, error]` for each
// one that failed. A file whose open failed fails every later write with the open's error;
// its close succeeds (there is nothing to close).

/** Operation kinds of the worker's messages. */
export const IoOp = { Open: 1, Write: 2, Close: 3, Rename: 4 } as const;

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
function shape(error) {
  const e = error === null || typeof error !== 'object' ? { message: String(error) } : error;
  const out = { message: String(e.message) };
  for (const key of ['code', 'errno', 'syscall', 'path', 'dest']) {
    if (e[key] !== undefined) out[key] = e[key];
  }
  return out;
}
function writeAll(fd, data, position) {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  let done = 0;
  while (done < bytes.length) {
    done += fs.writeSync(fd, bytes, done, bytes.length - done, position < 0 ? null : position + done);
  }
}
function run(op) {
  const kind = op[0];
  const handle = op[2];
  if (kind === ${IoOp.Rename}) return fs.renameSync(op[3], op[4]);
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
  writeAll(file.fd, op[3], op[4]);
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
