// A pino logger that keeps its lines in memory, for assertions on what was (not) logged.

import { Writable } from 'node:stream';
import pino from 'pino';
import type { AppLogger } from '../../src/lib/logging';

export interface MemoryLogger {
  readonly logger: AppLogger;
  readonly lines: () => Record<string, unknown>[];
  readonly text: () => string;
}

export function memoryLogger(level = 'debug'): MemoryLogger {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = pino({ level }, stream);
  const text = (): string => chunks.join('');
  return {
    logger,
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
