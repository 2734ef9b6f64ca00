// Set-up shared by the client session specs: a client on a manual clock with a scripted raw
// server.

import { join } from 'node:path';
import {
  type AudioHookLogger,
  type ClientMessage,
  ClientSession,
  type ClientSessionOptions,
  ServerSession,
  type ServerSessionOptions,
} from '../src';
import { ManualClock, createTransportPair, type InMemoryTransport } from '../src/testing';
import { ORG_ID, SESSION_ID, settle } from './helpers';

export const FIXTURES = join(__dirname, 'fixtures');

/** A scripted server that writes raw server messages and records the client's. */
export class RawServer {
  seq = 0;
  readonly received: Record<string, unknown>[] = [];
  readonly audio: Uint8Array[] = [];
  constructor(readonly transport: InMemoryTransport) {
    transport.attach({
      onText: (text) => this.received.push(JSON.parse(text) as Record<string, unknown>),
      onBinary: (data) => this.audio.push(data),
      onClose: () => undefined,
    });
  }
  lastClientSeq(): number {
    return (this.received.at(-1)?.['seq'] as number | undefined) ?? 0;
  }
  send(
    type: string,
    parameters: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ): void {
    this.transport.sendText(
      JSON.stringify({
        version: '2',
        id: SESSION_ID,
        type,
        seq: ++this.seq,
        clientseq: this.lastClientSeq(),
        parameters,
        ...extra,
      }),
    );
  }
  types(): string[] {
    return this.received.map((m) => m['type'] as string);
  }
  last(): Record<string, unknown> | undefined {
    return this.received.at(-1);
  }
  errors(): unknown[] {
    return this.received.filter((m) => m['type'] === 'error').map((m) => m['parameters']);
  }
}

export function setup(options: Partial<ClientSessionOptions> = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const [serverSide, clientSide] = createTransportPair();
  const server = new RawServer(serverSide);
  const client = new ClientSession({
    transport: clientSide,
    organizationId: ORG_ID,
    sessionId: SESSION_ID,
    clock,
    ...options,
  });
  return { client, server, clock, serverSide, clientSide };
}

export async function open(
  options: Partial<ClientSessionOptions> = {},
  media: unknown[] = options.media?.offeredMedia.slice(0, 1) ?? [],
  extra: Record<string, unknown> = {},
) {
  const context = setup(options);
  const opened = context.client.start();
  await settle();
  context.server.send('opened', { media, ...extra });
  await settle();
  return { ...context, opened: await opened };
}

/**
 * A client and a library `ServerSession` talking on one manual clock (no pings); `options` may
 * use that clock (e.g. for a tone source).
 */
export function withServer(
  options: (clock: ManualClock) => Partial<ClientSessionOptions> = () => ({}),
  serverOptions: Partial<ServerSessionOptions> = {},
) {
  const clock = new ManualClock(1_700_000_000_000);
  const [serverSide, clientSide] = createTransportPair();
  const server = new ServerSession({
    transport: serverSide,
    clock,
    id: SESSION_ID,
    ...serverOptions,
  });
  const client = new ClientSession({
    transport: clientSide,
    organizationId: ORG_ID,
    sessionId: SESSION_ID,
    clock,
    pingIntervalMs: 0,
    ...options(clock),
  });
  const sent: ClientMessage[] = [];
  client.on('clientMessage', (message) => sent.push(message));
  /** The client's messages after `open`, as `type` or `type parameters`. */
  const script = (): string[] =>
    sent
      .slice(1)
      .map((m) =>
        Object.keys(m.parameters).length === 0
          ? m.type
          : `${m.type} ${JSON.stringify(m.parameters)}`,
      );
  return { clock, server, client, sent, script };
}

/** A logger that records every line. */
export function recordingLogger() {
  const lines: { level: string; message: string; fields: Record<string, unknown> }[] = [];
  const at =
    (level: string) =>
    (fields: Record<string, unknown>, message: string): void => {
      lines.push({ level, message, fields });
    };
  const logger: AudioHookLogger = {
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
  };
  return { logger, lines };
}
