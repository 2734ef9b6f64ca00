// Replays recorded exchanges against a ServerSession: every message the session sends must
// equal the recorded one, byte for byte after JSON normalization.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ServerSession } from '../src';
import { createTransportPair } from '../src/testing';
import { SESSION_ID, fixture, settle } from './helpers';

type Step =
  | { in: Record<string, unknown> }
  | { out: Record<string, unknown> }
  | { binary: number }
  | { action: 'pause' | 'resume' };

const files = readdirSync(join(__dirname, 'fixtures/exchanges')).sort();

describe('conformance replays', () => {
  it.each(files)('reproduces %s', async (file) => {
    const { steps } = fixture<{ steps: Step[] }>(`exchanges/${file}`);
    const [serverSide, clientSide] = createTransportPair();
    const session = new ServerSession({
      transport: serverSide,
      id: SESSION_ID,
      supportedLanguages: ['en-US', 'fr-FR'],
      unauthorizedDelayMs: 0,
    });
    const sent: Record<string, unknown>[] = [];
    clientSide.attach({
      onText: (text) => sent.push(JSON.parse(text) as Record<string, unknown>),
      onBinary: () => undefined,
      onClose: () => undefined,
    });
    const expected: Record<string, unknown>[] = [];
    for (const step of steps) {
      if ('in' in step) clientSide.sendText(JSON.stringify(step.in));
      else if ('binary' in step) clientSide.sendBinary(new Uint8Array(step.binary).fill(0xff));
      else if ('action' in step) session[step.action]();
      else expected.push(step.out);
      await settle();
      // Everything recorded so far has been sent, in order (replies may still be due).
      expect(sent.slice(0, expected.length)).toEqual(expected);
    }
    expect(sent).toEqual(expected);
    clientSide.close();
    await session.finished;
  });
});
