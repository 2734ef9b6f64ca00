// Helpers shared by the specs: raw client-side message builders and a scripted peer.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ServerSessionOptions, ServerSession } from '../src';
import { createTransportPair, flushMicrotasks, type InMemoryTransport } from '../src/testing';

export const SESSION_ID = '6e1c4f3a-2b5d-4c8e-9f01-23456789abcd';
export const ORG_ID = 'd7934305-0972-4844-938e-9060eef73d05';
export const CONVERSATION_ID = '90b0e395-84d3-4570-ac13-9a62d8f514c0';
export const PARTICIPANT_ID = '883efee8-3d6c-4537-b500-6d7ca4b92fa0';

export function fixture<T = unknown>(name: string): T {
  return JSON.parse(readFileSync(join(__dirname, 'fixtures', name), 'utf8')) as T;
}

export const STEREO = {
  type: 'audio',
  format: 'PCMU',
  rate: 8000,
  channels: ['external', 'internal'],
} as const;
export const MONO = { type: 'audio', format: 'PCMU', rate: 8000, channels: ['external'] } as const;

export function openParameters(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    organizationId: ORG_ID,
    conversationId: CONVERSATION_ID,
    participant: { id: PARTICIPANT_ID, ani: '+15555551234', aniName: 'Jane', dnis: '+18005556789' },
    media: [STEREO, MONO],
    language: 'en-US',
    ...overrides,
  };
}

/** A fake Genesys client that writes raw frames and collects what the server sends. */
export class RawClient {
  seq = 0;
  serverseq = 0;
  position = 'PT0S';
  constructor(
    readonly transport: InMemoryTransport,
    readonly received: Record<string, unknown>[] = [],
    readonly id = SESSION_ID,
  ) {
    transport.attach({
      onText: (text) => {
        const message = JSON.parse(text) as Record<string, unknown>;
        this.serverseq = message['seq'] as number;
        this.received.push(message);
      },
      onBinary: () => undefined,
      onClose: () => undefined,
    });
  }

  message(
    type: string,
    parameters: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> {
    return {
      version: '2',
      id: this.id,
      type,
      seq: ++this.seq,
      serverseq: this.serverseq,
      position: this.position,
      parameters,
      ...extra,
    };
  }

  send(
    type: string,
    parameters: Record<string, unknown> = {},
    extra: Record<string, unknown> = {},
  ): void {
    this.transport.sendText(JSON.stringify(this.message(type, parameters, extra)));
  }

  sendRaw(text: string): void {
    this.transport.sendText(text);
  }

  sendAudio(bytes: number, fill = 0xff): void {
    this.transport.sendBinary(new Uint8Array(bytes).fill(fill));
  }

  last(): Record<string, unknown> | undefined {
    return this.received[this.received.length - 1];
  }

  types(): string[] {
    return this.received.map((m) => m['type'] as string);
  }
}

/** A server session wired to a raw client over an in-memory pair. */
export function serverWithRawClient(options: Partial<ServerSessionOptions> = {}): {
  session: ServerSession;
  client: RawClient;
  serverSide: InMemoryTransport;
} {
  const [serverSide, clientSide] = createTransportPair();
  const session = new ServerSession({
    transport: serverSide,
    id: SESSION_ID,
    unauthorizedDelayMs: 0,
    ...options,
  });
  const client = new RawClient(clientSide);
  return { session, client, serverSide };
}

export async function settle(): Promise<void> {
  await flushMicrotasks(50);
}
