// The app's logger (the service kit's format) keeping its lines in memory, for assertions on
// what was (not) logged.

import { Writable } from 'node:stream';
import type { LogLevel } from '@org/service-kit';
import { createLogger, type AppLogger } from '../../src/lib/logging';

export interface MemoryLogger {
  readonly logger: AppLogger;
  readonly lines: () => Record<string, unknown>[];
  readonly text: () => string;
}

export function memoryLogger(level: LogLevel = 'debug'): MemoryLogger {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk.toString('utf8'));
      callback();
    },
  });
  const logger = createLogger({ level, destination: stream });
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
