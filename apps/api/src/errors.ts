import type { ErrorBody, ErrorCode, ErrorDetail } from '@fleet/contracts';
import { isTransientDatabaseError } from '@fleet/db';
import { InvalidPositionsError } from '@fleet/ingest';
import type { Logger } from '@fleet/logging-json';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { ZodError } from 'zod';

/** A failure the client can act on; mapped to HTTP in one place (errorHandler). */
export class AppError extends Error {
  readonly details?: ErrorDetail[];
  readonly headers?: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    extra: { details?: ErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.details = extra.details;
    this.headers = extra.headers;
  }
}

// Named factories: every error the API answers is made by one of these (never `new AppError` by hand).
export const badRequest = (message: string, details?: ErrorDetail[]) =>
  new AppError(400, 'bad_request', message, { details });
/** 400 `validation_failed`: `details` names each field, parameter or header at fault. */
export const invalid = (message: string, details?: ErrorDetail[]) =>
  new AppError(400, 'validation_failed', message, { details });
/** 401 with the challenge that tells the client which credential to send. */
export const unauthorized = (message: string, challenge?: string) =>
  new AppError(401, 'unauthorized', message, { headers: challenge ? { 'WWW-Authenticate': challenge } : undefined });
export const forbidden = (message: string, details?: ErrorDetail[]) =>
  new AppError(403, 'forbidden', message, { details });
export const notFound = (what = 'resource') => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, details?: ErrorDetail[]) =>
  new AppError(409, 'conflict', message, { details });
export const payloadTooLarge = (message: string) => new AppError(413, 'payload_too_large', message);
/** 405: the path exists, not with this method (OsmAnd answers it as Traccar does). */
export const methodNotAllowed = (message: string) => new AppError(405, 'method_not_allowed', message);
/** 429 with the seconds after which a retry may succeed. */
export const rateLimited = (message: string, retryAfterSeconds: number, details?: ErrorDetail[]) =>
  new AppError(429, 'rate_limited', message, { details, headers: retryAfter(retryAfterSeconds) });
/** 503: nothing was done; retry after the given seconds (possibly on another replica). */
export const unavailable = (message: string, retryAfterSeconds: number) =>
  new AppError(503, 'unavailable', message, { headers: retryAfter(retryAfterSeconds) });
const retryAfter = (seconds: number) => ({ 'Retry-After': String(Math.max(1, Math.ceil(seconds))) });

/** The Bearer challenge of user endpoints. */
export const BEARER_CHALLENGE = 'Bearer realm="fleet"';

export function zodDetails(error: ZodError): ErrorDetail[] {
  return error.issues.flatMap((issue) =>
    // An unknown field (body) or parameter (query string) is named in `path` itself, one detail each.
    issue.code === 'unrecognized_keys'
      ? issue.keys.map((key) => ({
          path: [...issue.path, key].join('.'),
          message: 'unknown field: not part of this request',
        }))
      : [{ path: issue.path.join('.') || '(body)', message: issue.message }],
  );
}

// body-parser signals its failures with a `type`; each gets a code a client can act on.
const BODY_PARSER_ERRORS: Record<string, { status: number; code: ErrorCode; message: string }> = {
  'entity.parse.failed': { status: 400, code: 'bad_request', message: 'request body is not valid JSON' },
  'entity.too.large': { status: 413, code: 'payload_too_large', message: 'request body is too large' },
  'encoding.unsupported': { status: 415, code: 'unsupported_media_type', message: 'unsupported content encoding' },
  'charset.unsupported': { status: 415, code: 'unsupported_media_type', message: 'unsupported charset' },
  'request.aborted': { status: 400, code: 'bad_request', message: 'request aborted by the client' },
  'parameters.too.many': { status: 413, code: 'payload_too_large', message: 'too many parameters' },
};

function toAppError(err: unknown): AppError | undefined {
  if (err instanceof AppError) return err;
  // Nothing was accepted: the client should retry later.
  if (isTransientDatabaseError(err)) {
    return unavailable('the database is unavailable; nothing was accepted, retry later', 5);
  }
  if (err instanceof ZodError) return invalid('request is not valid', zodDetails(err));
  if (err instanceof InvalidPositionsError) return invalid(err.message, err.details);
  // The router could not percent-decode a path parameter (`/vehicles/%E0%A4%A`).
  if (err instanceof URIError && (err as { status?: unknown }).status === 400)
    return badRequest('a path parameter is not valid percent-encoded UTF-8');
  const type = (err as { type?: unknown })?.type;
  if (typeof type === 'string' && BODY_PARSER_ERRORS[type]) {
    const known = BODY_PARSER_ERRORS[type];
    return new AppError(known.status, known.code, known.message);
  }
  // Any other body that cannot be read (a "gzip" body that is not gzip): body-parser marks it a 4xx.
  const status = (err as { status?: unknown })?.status;
  if ((err as { expose?: unknown })?.expose === true && typeof status === 'number' && status >= 400 && status < 500)
    return new AppError(
      status,
      status === 413 ? 'payload_too_large' : status === 415 ? 'unsupported_media_type' : 'bad_request',
      'request body could not be read (does it match its Content-Encoding and Content-Type?)',
    );
  return undefined;
}

/**
 * The one place an error becomes an HTTP answer: status, extra headers and the error body. Unknown
 * errors are logged and answered as a bare 500 with the request id, never their internals.
 */
export function errorResponse(
  err: unknown,
  context: { logger: Logger; requestId?: string; method: string; path: string },
): { status: number; headers: Record<string, string>; body: ErrorBody } {
  const appError = toAppError(err);
  if (!appError || appError.status >= 500) {
    context.logger.error(appError ? appError.message : 'unhandled error', {
      err,
      method: context.method,
      path: context.path,
    });
  }
  const error = appError ?? new AppError(500, 'internal', 'internal server error');
  return {
    status: error.status,
    headers: error.headers ?? {},
    body: {
      error: { code: error.code, message: error.message, ...(error.details ? { details: error.details } : {}) },
      requestId: context.requestId,
    },
  };
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const { status, headers, body } = errorResponse(err, {
      logger,
      requestId: res.locals['requestId'] as string | undefined,
      method: req.method,
      path: req.path,
    });
    for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
    res.status(status).json(body);
  };
}

export const notFoundHandler: RequestHandler = (req, _res, next) => {
  next(new AppError(404, 'not_found', `no route for ${req.method} ${req.path}`));
};
