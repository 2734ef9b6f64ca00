// Set-up shared by the server session specs: a session with a raw client on a manual clock and
// a log collector.

import { type AudioHookLogger, type ServerSessionOptions } from '../src';
import { ManualClock } from '../src/testing';
import { openParameters, serverWithRawClient, settle } from './helpers';

export function setup(options: Partial<ServerSessionOptions> = {}) {
  const clock = new ManualClock(1_700_000_000_000);
  const lines: { level: string; fields: Record<string, unknown>; message: string }[] = [];
  const logger: AudioHookLogger = {
    debug: (fields, message) => lines.push({ level: 'debug', fields, message }),
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
  return { ...serverWithRawClient({ clock, logger, ...options }), clock, lines };
}

export async function opened(options: Partial<ServerSessionOptions> = {}, open = openParameters()) {
  const context = setup(options);
  context.client.send('open', open);
  await settle();
  return context;
}

export function disconnectInfo(message: Record<string, unknown> | undefined): unknown {
  expect(message?.['type']).toBe('disconnect');
  return (message?.['parameters'] as { info?: string }).info;
}
