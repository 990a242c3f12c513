import { randomUUID } from 'node:crypto';
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Logger } from '@fleet/logging-json';
import type { Metrics } from '@fleet/metrics';
import { badRequest, errorResponse, unavailable, type AppError } from '../errors';

/**
 * The skeleton of the API's listeners on bare node:http, without Express: the OsmAnd port
 * (osmand-listener.ts) and the ingest fast path of the main port (ingest-fast-path.ts). Per request:
 * a request id, the in-flight gauge and the duration histogram, the drain gate (503 + Connection:
 * close), the body read with a limit (413), JSON (400), error answers through errorResponse (the same
 * bodies as the Express app's errorHandler) and one log line per answer as the listener chooses.
 *
 * No AsyncLocalStorage context: entering one turns on Node's promise hooks for the whole process, a
 * cost on every promise of every request; lines logged here carry the request id as a field instead.
 */

/** One request being served. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly requestId: string;
  readonly method: string;
  /** The path without the query string, as logs and error lines name it. */
  readonly path: string;
  readonly started: bigint;
  /** The route label of http_request_duration_seconds (a handler may change it, e.g. once "routed"). */
  route: string;
  /** Headers of every answer from here on, besides X-Request-Id (e.g. security headers). */
  headers: OutgoingHttpHeaders;
}

export interface BareListenerOptions {
  metrics: Metrics;
  logger: Logger;
  isDraining: () => boolean;
  /** The request's id: a new UUID unless given (the main port keeps an acceptable X-Request-Id). */
  requestId?: (req: IncomingMessage) => string;
  /** The path logged and given to errorResponse (default: the URL's path). */
  path?: (url: string) => string;
  /** The route label to start with. */
  route: string;
  /** Called once the answer is written (the listener's access log). */
  log(exchange: Exchange, status: number): void;
}

export const newRequestId = (): string => randomUUID();
const NO_HEADERS: OutgoingHttpHeaders = Object.freeze({});
const urlPath = (url: string) => {
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
};

/** A listener's request loop: `handle` answers with `answer`, or throws (the error answer follows). */
export function bareListener(
  options: BareListenerOptions,
  handle: (exchange: Exchange) => Promise<void>,
): (req: IncomingMessage, res: ServerResponse) => void {
  const { metrics, isDraining } = options;
  const requestIdOf = options.requestId ?? newRequestId;
  const pathOf = options.path ?? urlPath;
  return (req, res) => {
    const started = process.hrtime.bigint();
    metrics.inFlight.inc();
    const method = req.method ?? 'GET';
    const exchange: Exchange = {
      req,
      res,
      requestId: requestIdOf(req),
      method,
      path: pathOf(req.url ?? '/'),
      started,
      route: options.route,
      headers: NO_HEADERS,
    };
    res.once('close', () => {
      metrics.inFlight.dec();
      metrics.observe(method, exchange.route, res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    if (isDraining()) {
      res.setHeader('Connection', 'close');
      return fail(options, exchange, unavailable('server is shutting down, retry', 1));
    }
    handle(exchange).catch((err: unknown) => fail(options, exchange, err));
  };
}

/** Answers `status` with `body` as JSON (none: an empty body), the exchange's headers and its request id. */
export function answer(
  options: Pick<BareListenerOptions, 'log'>,
  exchange: Exchange,
  status: number,
  body?: unknown,
  headers?: OutgoingHttpHeaders,
): void {
  const { res } = exchange;
  if (body === undefined) {
    res.writeHead(
      status,
      headers === undefined && exchange.headers === NO_HEADERS
        ? { 'X-Request-Id': exchange.requestId, 'Content-Length': '0' }
        : { ...exchange.headers, ...headers, 'X-Request-Id': exchange.requestId, 'Content-Length': '0' },
    );
    res.end();
  } else {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'X-Request-Id': exchange.requestId,
      ...exchange.headers,
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }
  options.log(exchange, status);
}

/** The error's answer (errorResponse: the Express app's status, headers and body); 5xx are logged there. */
function fail(options: BareListenerOptions, exchange: Exchange, err: unknown): void {
  const { status, headers, body } = errorResponse(err, {
    // The request id on the line errorResponse logs (5xx), as the main app's context gives it.
    logger: options.logger.child({ requestId: exchange.requestId }),
    requestId: exchange.requestId,
    method: exchange.method,
    path: exchange.path,
  });
  if (exchange.res.headersSent) return void exchange.res.destroy();
  answer(options, exchange, status, body, headers);
}

/**
 * The body as text (UTF-8), up to `limit` bytes. Past that it rejects with `tooLarge()` at once (a
 * declared Content-Length over the limit before reading anything) and reads the rest without keeping
 * it, so the client gets the 413 instead of a connection reset; Node then reuses or closes the
 * connection once the request is read.
 */
export function readBody(req: IncomingMessage, limit: number, tooLarge: () => AppError): Promise<string> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    if (declared > limit) {
      req.resume();
      return reject(tooLarge());
    }
    let size = 0;
    let over = false;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(tooLarge());
      } else chunks.push(chunk);
    });
    req.on('end', () =>
      resolve(chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8')),
    );
    req.on('error', reject);
  });
}

/** JSON.parse, its failure a 400 as the Express app answers it. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw badRequest('request body is not valid JSON');
  }
}

/** The request's Content-Type without parameters, lower-cased and trimmed ('' when absent). */
export function mediaType(header: string | undefined): string {
  if (!header) return '';
  const semi = header.indexOf(';');
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}
