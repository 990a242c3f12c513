import { IncomingMessage, ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import { Socket } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { INGEST_ENDPOINTS as E, successStatus, type Endpoint } from '@fleet/contracts';
import type { Logger } from '@fleet/logging-json';
import type { Metrics } from '@fleet/metrics';
import type { Express, RequestHandler } from 'express';
import { acceptFleetJson, acceptOverland, type HttpIngest } from '@fleet/ingest';
import { bearerToken } from '../auth/credentials';
import { badRequest, payloadTooLarge } from '../errors';
import { apiError } from '../routes/ingest';
import {
  answer,
  bareListener,
  newRequestId,
  parseJson,
  readBody,
  type BareListenerOptions,
  type Exchange,
} from './bare-http';

/**
 * The main port's fast path for the device-authenticated JSON ingest endpoints (POST /api/v1/positions,
 * POST /api/v1/overland): answered on node:http directly, in front of the Express app, which serves
 * everything else unchanged. The Express chain (router walk, helmet's middlewares, cors, the request
 * context's AsyncLocalStorage, body-parser) cost most of a single-position request: ~440 µs of CPU a
 * request through Express, ~150 µs here (`nx run tools:bench-positions-cpu`, bundles A/B).
 *
 * It answers exactly as the Express app does (ingest-fast-path.int-spec.ts compares the two): the same
 * status, body and headers — X-Request-Id (the client's when acceptable), helmet's and cors' headers
 * (computed once from the configured middleware on a stub request, per allowed origin), JSON as
 * express.json reads it (application/json and application/*+json, the body limit, strict, an empty
 * body as `{}`), the same error bodies, route label and access log line. Requests it would have to
 * decode first (a Content-Encoding, a charset other than UTF-8, parameters it does not know) and any
 * other method or spelling of the path go to Express.
 */

export interface FastPathDeps {
  ingest: HttpIngest;
  logger: Logger;
  metrics: Metrics;
  isDraining: () => boolean;
  /** express.json's limit (BODY_LIMIT: `512kb`, `1mb`…). */
  bodyLimit: string;
  /** The Express app of the port: its `trust proxy` gives the client address the access log names. */
  app: Express;
  /** The app's security headers (helmet) and CORS middleware, run once here on stub requests. */
  securityHeaders: RequestHandler;
  cors: RequestHandler;
  /** The origins CORS allows (the others get no CORS headers). */
  corsOrigins: readonly string[];
}

/** A fast endpoint: its declaration and how its body and credential reach the protocol. */
interface Route {
  endpoint: Endpoint;
  /** The Express route label of its answer (mount + route path) and of its errors (the route path). */
  label: string;
  errorLabel: string;
  status: number;
  accept(ingest: HttpIngest, req: IncomingMessage, query: string, body: unknown): Promise<unknown>;
}

/** Where the Express app mounts the ingest router. */
const MOUNT = '/api/v1';

const queryToken = (query: string): string | undefined => {
  if (!query) return undefined;
  const token = parseQuery(query)['token'];
  return typeof token === 'string' ? token : undefined;
};

const route = (endpoint: Endpoint, accept: Route['accept']): Route => ({
  endpoint,
  label: endpoint.path,
  // Express's errorHandler runs at the app, where req.baseUrl is '' again: the label loses the mount.
  errorLabel: endpoint.path.slice(MOUNT.length),
  status: successStatus(endpoint),
  accept,
});

const ROUTES: ReadonlyMap<string, Route> = new Map(
  [
    // Fleet JSON (protocols/fleet-json.ts): bearer device token.
    route(E.ingestPositions, (ingest, req, _query, body) =>
      acceptFleetJson(ingest, { token: bearerToken(req.headers.authorization), body }),
    ),
    // Overland (protocols/overland.ts): bearer device token, or ?token=.
    route(E.ingestOverland, (ingest, req, query, body) =>
      acceptOverland(ingest, { token: bearerToken(req.headers.authorization) ?? queryToken(query), body }),
    ),
  ].map((r) => [r.endpoint.path, r]),
);

/** The fast path's endpoints (method and path as declared), for the spec. */
export const FAST_INGEST_ENDPOINTS: readonly Endpoint[] = [...ROUTES.values()].map((r) => r.endpoint);

/** express.json's size (the `bytes` package's units that BODY_LIMIT allows). */
export function bodyLimitBytes(limit: string): number {
  const m = /^(\d+)(b|kb|mb)$/i.exec(limit.trim());
  if (!m) throw new Error(`BODY_LIMIT ${limit}: expected a size such as 512kb or 2mb`);
  return Number(m[1]) * { b: 1, kb: 1024, mb: 1024 * 1024 }[m[2].toLowerCase() as 'b' | 'kb' | 'mb'];
}

// What express.json (type-is) takes for application/json or application/*+json: the media type before
// any `;`, space- and tab-trimmed, lower-cased, valid per media-typer.
const MEDIA_TYPE = /^[a-z0-9][a-z0-9!#$&^_-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;
const isJsonType = (type: string) =>
  type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json') && MEDIA_TYPE.test(type));
// The only parameter read here; any other goes to Express (body-parser reads the charset among them).
const UTF8_CHARSET = /^;[ \t]*charset[ \t]*=[ \t]*(?:utf-8|"utf-8")[ \t]*$/i;
const trimOws = (s: string) => s.replace(/^[ \t]+|[ \t]+$/g, '');

/** How the body is read: as JSON, not at all (express.json skips it), or not here (Express decodes it). */
function bodyKind(req: IncomingMessage): 'json' | 'none' | 'express' {
  const headers = req.headers;
  const encoding = headers['content-encoding'];
  if (encoding !== undefined && encoding.toLowerCase() !== 'identity') return 'express';
  // type-is's hasBody: a Transfer-Encoding, or a Content-Length that is a number.
  if (headers['transfer-encoding'] === undefined && Number.isNaN(Number(headers['content-length']))) return 'none';
  const contentType = headers['content-type'];
  if (!contentType) return 'none';
  const semi = contentType.indexOf(';');
  if (!isJsonType(trimOws(semi < 0 ? contentType : contentType.slice(0, semi)).toLowerCase())) return 'none';
  return semi < 0 || UTF8_CHARSET.test(contentType.slice(semi)) ? 'json' : 'express';
}

/** The headers a middleware sets on a response, run on a stub request with `headers`. */
function headersSetBy(middlewares: RequestHandler[], headers: Record<string, string>): OutgoingHttpHeaders {
  const req = new IncomingMessage(new Socket());
  req.method = 'POST';
  req.url = '/';
  req.headers = headers;
  const res = new ServerResponse(req);
  // The names' case as set (getHeaders() lower-cases them), so the answers' bytes are Express's.
  const names = new Map<string, string>();
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => {
    names.set(name.toLowerCase(), name);
    return setHeader(name, value);
  };
  for (const middleware of middlewares) {
    let called = false;
    void middleware(req as never, res as never, (err?: unknown) => {
      if (err) throw err instanceof Error ? err : new Error(String(err));
      called = true;
    });
    if (!called) throw new Error('ingest fast path: a header middleware did not call next() at once');
  }
  return Object.fromEntries(Object.entries(res.getHeaders()).map(([name, value]) => [names.get(name) ?? name, value]));
}

// The Express app's request id (logging-json's requestContextMiddleware): the client's when short and plain.
const ACCEPTABLE_ID = /^[A-Za-z0-9._-]{1,128}$/;

/**
 * A function that answers the fast endpoints' requests and returns true, or returns false (having
 * done nothing) for Express to serve the request.
 */
export function ingestFastPath(deps: FastPathDeps): (req: IncomingMessage, res: ServerResponse) => boolean {
  const limit = bodyLimitBytes(deps.bodyLimit);
  const middlewares = [deps.securityHeaders, deps.cors];
  // Per Origin: helmet's headers then cors', as the app sets them (cors adds nothing for other origins).
  const otherOrigin = headersSetBy(middlewares, {});
  const byOrigin = new Map(deps.corsOrigins.map((origin) => [origin, headersSetBy(middlewares, { origin })]));
  const tooLarge = () => payloadTooLarge('request body is too large');
  const { logger, app } = deps;
  const clientIp = (req: IncomingMessage): string | undefined =>
    // Express's req.ip (proxy-addr with the app's `trust proxy`), on a view of the request.
    (Object.create(app.request, { headers: { value: req.headers }, socket: { value: req.socket } }) as { ip?: string })
      .ip;

  const options: BareListenerOptions = {
    metrics: deps.metrics,
    logger,
    isDraining: deps.isDraining,
    requestId: (req) => {
      const incoming = req.headers['x-request-id'];
      return typeof incoming === 'string' && ACCEPTABLE_ID.test(incoming) ? incoming : newRequestId();
    },
    // Until routed (Express's body-parser and drain gate run before the route matches).
    route: 'unmatched',
    // logging-json's accessLogMiddleware: successes at `http`, 4xx at `warn`, 5xx at `error`.
    log: (exchange, status) => {
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'http';
      if (!logger.isLevelEnabled(level)) return;
      const { req } = exchange;
      logger.log(level, 'request', {
        requestId: exchange.requestId,
        method: exchange.method,
        path: exchange.path,
        status,
        durationMs: Math.round(Number(process.hrtime.bigint() - exchange.started) / 1e5) / 10,
        ip: clientIp(req),
        userAgent: req.headers['user-agent'],
      });
    },
  };

  const serve = (r: Route) =>
    bareListener(options, async (exchange: Exchange) => {
      const { req } = exchange;
      const origin = req.headers.origin;
      exchange.headers = (origin !== undefined && byOrigin.get(origin)) || otherOrigin;
      const kind = bodyKind(req);
      let body: unknown;
      if (kind === 'json') body = jsonBody(await readBody(req, limit, tooLarge));
      exchange.route = r.label;
      const url = req.url ?? '';
      const q = url.indexOf('?');
      let result: unknown;
      try {
        result = await r.accept(deps.ingest, req, q < 0 ? '' : url.slice(q + 1), body);
      } catch (err) {
        exchange.route = r.errorLabel;
        throw apiError(err);
      }
      answer(options, exchange, r.status, result);
    });
  const handlers = new Map([...ROUTES].map(([path, r]) => [path, serve(r)]));

  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const handler = handlers.get(q < 0 ? url : url.slice(0, q));
    if (!handler || bodyKind(req) === 'express') return false;
    handler(req, res);
    return true;
  };
}

/** express.json's reading (strict): an empty body is `{}`, anything but an object or array a 400. */
function jsonBody(text: string): unknown {
  // iconv-lite, which body-parser decodes with, drops a byte order mark.
  const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (json.length === 0) return {};
  if (json[0] !== '{' && json[0] !== '[') {
    const first = /^[ \t\n\r]*([^ \t\n\r])/.exec(json)?.[1];
    if (first !== '{' && first !== '[') throw badRequest('request body is not valid JSON');
  }
  return parseJson(json);
}
