// Hostile gRPC clients of the BYOVA gateway: garbage protobuf, streams that never end, dropped
// connections, and huge messages.

import { randomBytes, randomUUID } from 'node:crypto';
import { pool } from '../audiohook/client';
import { eventually, sleep } from '../proc';
import type { Attack } from '../suite';
import type { GatewayService } from './gateway';
import {
  audio,
  encodeRequest,
  ended,
  frame,
  RawConnection,
  sessionEnd,
  sessionStart,
  describeEnd,
  type RawStream,
} from './grpc-raw';
import { verifyCallerRecordings, type CallerExpectation } from './recordings';
import { cycle, gauge } from '../util';

async function streamsSettled(service: GatewayService, timeoutMs: number): Promise<number> {
  let active = NaN;
  await eventually(async () => {
    active = gauge(await service.metrics(), 'byova_streams_active');
    return active === 0;
  }, timeoutMs);
  return active;
}

/** Ends conversations the way WxCC does when the caller hangs up. */
async function hangUp(service: GatewayService, ids: readonly string[]): Promise<void> {
  const connection = new RawConnection(service.grpc);
  try {
    await pool(ids, 20, async (id) => {
      const stream = connection.stream();
      await stream.send(sessionEnd(id));
      stream.end();
      await ended(stream, 5000);
    });
  } finally {
    await connection.close();
  }
}

/** Garbage for one stream; `id` names the conversation if the bytes happen to open one. */
const GARBAGE: readonly [string, (id: string) => Buffer][] = [
  ['random bytes', () => frame(randomBytes(1 + Math.floor(Math.random() * 4096)))],
  ['length prefix past the end', () => frame(randomBytes(64), 4096)],
  // grpc-js reads a message flagged compressed without grpc-encoding as plain: it opens `id`.
  [
    'compressed flag without encoding',
    (id) => frame(encodeRequest(sessionStart(id)), undefined, 1),
  ],
  ['3 bytes, no frame', () => randomBytes(3)],
  ['wrong wire types', () => frame(Buffer.from([0x08, 0x96, 0x01, 0x12, 0x7f, 0x41]))],
  ['20 KB of one tag byte', () => frame(Buffer.alloc(20_000, 0x42))],
  ['empty message', () => frame(Buffer.alloc(0))],
];

export const garbageProtobuf: Attack<GatewayService> = {
  name: 'garbage protobuf',
  expected:
    'every stream ends with a gRPC status within 5 s (13 for undecodable bytes, 3 for invalid fields); no stream left, no conversation once hung up',
  async run(service, mode) {
    const before = gauge(await service.metrics(), 'byova_conversations_active');
    const n = mode.byova.garbageStreams;
    const byKind = new Map<string, Set<string>>();
    const ids: string[] = [];
    let hung = 0;
    const connections = Array.from({ length: 5 }, () => new RawConnection(service.grpc));
    try {
      await pool(
        Array.from({ length: n }, (_, i) => i),
        50,
        async (i) => {
          const stream = cycle(connections, i).stream();
          const [kind, make] = cycle(GARBAGE, i);
          const id = `adv-garbage-${i}-${randomUUID().slice(0, 8)}`;
          ids.push(id);
          await stream.writeRaw(make(id));
          stream.end();
          const end = await ended(stream, 5000);
          if (end === undefined) {
            hung += 1;
            stream.cancel();
          }
          const seen = byKind.get(kind) ?? new Set<string>();
          seen.add(describeEnd(end));
          byKind.set(kind, seen);
        },
      );
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
    const streams = await streamsSettled(service, 5000);
    await hangUp(
      service,
      ids.filter((_, i) => cycle(GARBAGE, i)[0].startsWith('compressed')),
    );
    const after = gauge(await service.metrics(), 'byova_conversations_active');
    const undecodable = [...(byKind.get('random bytes') ?? [])];
    const seen = [...byKind].map(([k, v]) => `${k}: ${[...v].join('/')}`).join('; ');
    return {
      ok:
        hung === 0 &&
        undecodable.every((s) => s === 'status 13' || s === 'status 3') &&
        streams === 0 &&
        after === before,
      observed: `${n} streams (${seen}); streams active ${streams}, conversations ${before}→${after}`,
    };
  },
};

/** Opens `count` conversations, each with a stream that starts the session and streams silence. */
async function openStreams(
  connections: readonly RawConnection[],
  count: number,
  tag: string,
): Promise<{ id: string; stream: RawStream; bytes: number }[]> {
  return pool(
    Array.from({ length: count }, (_, i) => i),
    50,
    async (i) => {
      const id = `adv-${tag}-${i}-${randomUUID().slice(0, 8)}`;
      const stream = cycle(connections, i).stream();
      await stream.send(sessionStart(id));
      return { id, stream, bytes: 0 };
    },
  );
}

async function streamFor(
  calls: { stream: RawStream; id: string; bytes: number }[],
  ms: number,
): Promise<void> {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    await Promise.all(
      calls.map(async (call) => {
        await call.stream.send(audio(call.id, 160));
        call.bytes += 160;
      }),
    );
    await sleep(20);
  }
}

export const neverEndingStreams: Attack<GatewayService> = {
  name: 'streams that never end',
  expected:
    'after the client cancels, no stream stays active; the calls, hung up, leave parseable recordings',
  async run(service, mode) {
    const connections = Array.from({ length: 4 }, () => new RawConnection(service.grpc));
    let streams = NaN;
    let calls: Awaited<ReturnType<typeof openStreams>> = [];
    try {
      calls = await openStreams(connections, mode.byova.neverEndingStreams, 'endless');
      await streamFor(calls, mode.byova.neverEndingMs);
      for (const call of calls) call.stream.cancel();
      streams = await streamsSettled(service, 5000);
    } finally {
      await Promise.all(connections.map((c) => c.close()));
    }
    await hangUp(
      service,
      calls.map((c) => c.id),
    );
    const recordings = await verifyCallerRecordings(
      service.recordings,
      calls.map((c): CallerExpectation => ({
        conversationId: c.id,
        ulawBytes: c.bytes,
        match: 'at-most',
      })),
      10_000,
    );
    return {
      ok: streams === 0 && recordings.ok,
      observed: `${calls.length} streams × ${mode.byova.neverEndingMs} ms of audio, then cancelled: ${streams} still active; ${recordings.text}`,
    };
  },
};

export const droppedStreams: Attack<GatewayService> = {
  name: 'connections dropped mid-stream',
  expected:
    'the gateway notices the dropped TCP connections: no stream stays active; recordings parse',
  async run(service, mode) {
    const connections = Array.from({ length: 8 }, () => new RawConnection(service.grpc));
    const calls = await openStreams(connections, mode.byova.droppedStreams, 'dropped');
    await streamFor(calls, 300);
    await sleep(100);
    for (const connection of connections) connection.drop();
    const streams = await streamsSettled(service, 5000);
    await hangUp(
      service,
      calls.map((c) => c.id),
    );
    const recordings = await verifyCallerRecordings(
      service.recordings,
      calls.map((c): CallerExpectation => ({
        conversationId: c.id,
        ulawBytes: c.bytes,
        match: 'at-most',
      })),
      10_000,
    );
    return {
      ok: streams === 0 && recordings.ok,
      observed: `${calls.length} streams on ${connections.length} dropped connections: ${streams} still active; ${recordings.text}`,
    };
  },
};

export const hugeChunks: Attack<GatewayService> = {
  name: 'huge audio messages',
  expected:
    'messages up to the 50 MB limit are recorded in full; larger ones end the stream with an error status; a length prefix that lies ends the stream unanswered',
  async run(service, mode) {
    const connection = new RawConnection(service.grpc);
    const results: string[] = [];
    const expectations: CallerExpectation[] = [];
    let ok = true;
    try {
      for (const size of mode.byova.hugeChunkBytes) {
        const id = `adv-huge-${size}-${randomUUID().slice(0, 8)}`;
        const stream = connection.stream();
        await stream.send(sessionStart(id));
        await stream.send(audio(id, size));
        stream.end();
        const end = await ended(stream, 30_000);
        const tooBig = size > 50 * 1024 * 1024 - 1024;
        const good = tooBig ? end !== undefined && end.status !== 0 : end?.status === 0;
        ok &&= good;
        if (!tooBig) expectations.push({ conversationId: id, ulawBytes: size, match: 'exact' });
        results.push(`${(size / 2 ** 20).toFixed(0)} MB → ${describeEnd(end)}`);
      }
      const liar = connection.stream();
      await liar.writeRaw(frame(encodeRequest(sessionStart('adv-liar')), 40 << 20));
      liar.end();
      const end = await ended(liar, 10_000);
      // grpc-js drops a message cut short by the half-close: the stream ends, nothing answered.
      ok &&= end !== undefined && end.responses === 0;
      results.push(
        `40 MB announced, 60 B sent → ${describeEnd(end)}, ${end?.responses ?? 0} answers`,
      );
    } finally {
      await connection.close();
    }
    await hangUp(service, [...expectations.map((e) => e.conversationId), 'adv-liar']);
    const recordings = await verifyCallerRecordings(service.recordings, expectations, 15_000);
    return { ok: ok && recordings.ok, observed: `${results.join('; ')}; ${recordings.text}` };
  },
};
