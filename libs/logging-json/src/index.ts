export { createLogger, type Logger, type LoggerOptions, type LogFormat } from './logger';
export { redact, REDACTED } from './redact';
export { getRequestId, runWithRequestId, requestContextMiddleware } from './request-context';
export { accessLogMiddleware } from './access-log';
