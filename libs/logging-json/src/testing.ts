import { PassThrough } from 'node:stream';
import { createLogger, type Logger, type LoggerOptions } from './logger';

/** A logger whose lines are kept for the test to read back (after pending writes flush). */
export function captureLogger(options: Omit<LoggerOptions, 'stream'>): { logger: Logger; lines(): Promise<string[]> } {
  const stream = new PassThrough();
  const lines: string[] = [];
  let buffer = '';
  stream.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop() ?? '';
    lines.push(...parts.filter(Boolean));
  });
  return {
    logger: createLogger({ ...options, stream }),
    lines: () => new Promise((resolve) => setImmediate(() => resolve([...lines]))),
  };
}
