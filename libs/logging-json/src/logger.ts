import winston from 'winston';
import { redact } from './redact';
import { getRequestId } from './request-context';

export type LogFormat = 'json' | 'plain';
export type Logger = winston.Logger;

export interface LoggerOptions {
  service: string;
  format?: LogFormat;
  level?: string;
  /** Exact secret values scrubbed from every line (e.g. JWT_SECRET). */
  secrets?: readonly string[];
  /** Where lines go; defaults to stdout. Tests pass a stream to read them back. */
  stream?: NodeJS.WritableStream;
}

const enrich = (service: string, secrets: readonly string[]) =>
  winston.format((info) => {
    const requestId = info['requestId'] ?? getRequestId();
    const { level, message, ...fields } = info;
    const clean = redact({ ...fields, message }, { secrets }) as Record<string, unknown>;
    const out: winston.Logform.TransformableInfo = { level, message: clean['message'] as string };
    out['time'] = new Date().toISOString();
    out['service'] = service;
    if (requestId) out['requestId'] = requestId;
    for (const [key, value] of Object.entries(clean)) {
      if (key !== 'message' && key !== 'time' && key !== 'service' && key !== 'requestId') out[key] = value;
    }
    // winston keeps its bookkeeping under symbols; carry them over.
    for (const sym of Object.getOwnPropertySymbols(info))
      (out as unknown as Record<symbol, unknown>)[sym] = (info as unknown as Record<symbol, unknown>)[sym];
    return out;
  });

const jsonLine = winston.format.printf((info) => {
  const { level, message, time, service, requestId, ...fields } = info;
  return JSON.stringify({ time, level, service, msg: message, requestId, ...fields });
});

const plainLine = winston.format.printf((info) => {
  const { level, message, time, service, requestId, ...fields } = info;
  const extra = Object.keys(fields).length ? ` ${JSON.stringify(fields)}` : '';
  const rid = requestId ? ` [${String(requestId).slice(0, 8)}]` : '';
  return `${String(time).slice(11, 23)} ${level.padEnd(5)} ${service}${rid} ${message}${extra}`;
});

/** One logger per process: JSON lines for machines, or plain lines for people, never a secret. */
export function createLogger(options: LoggerOptions): Logger {
  const format = options.format ?? 'json';
  return winston.createLogger({
    level: options.level ?? 'info',
    format: winston.format.combine(
      winston.format.errors({ stack: true }),
      winston.format.splat(),
      enrich(options.service, options.secrets ?? [])(),
      format === 'json' ? jsonLine : plainLine,
    ),
    transports: [
      options.stream ? new winston.transports.Stream({ stream: options.stream }) : new winston.transports.Console(),
    ],
  });
}
