import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from '@fleet/logging-json';
import type { Metrics } from '@fleet/metrics';
import { badRequest, errorResponse, payloadTooLarge, unavailable } from '../errors';
import { apiError, httpIngest } from '../routes/ingest';
import { acceptOsmAnd, FieldDrops, flattenParams, type DeviceDirectory, type IngestPipeline } from '@fleet/ingest';

const MAX_BODY = 64 * 1024;

/**
 * The body, up to MAX_BODY bytes. Past that it answers 413 at once and reads the rest without keeping
 * it (as body-parser does), so the client gets the 413 instead of a connection reset; Node then reuses
 * or closes the connection once the request is read.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    let tooLarge = false;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY) {
        tooLarge = true;
        chunks.length = 0;
        reject(payloadTooLarge(`bodies up to ${MAX_BODY} bytes`));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The request's Content-Type without parameters, lower-cased ('' when absent). */
function mediaType(header: string | undefined): string {
  if (!header) return '';
  const semi = header.indexOf(';');
  return (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
}

/**
 * The port Traccar Client points at (5055), on Node's HTTP server directly rather than through
 * Express: it serves one protocol at thousands of requests a second, and the router, parsers and
 * middleware chain would cost several times the work of the request itself. It keeps what matters
 * from the main app: request ids, the same error bodies, metrics, the drain gate.
 *
 * Per request it does no more than the protocol needs (measured with `nx run tools:bench-osmand-cpu`,
 * docs/performance.md): no AsyncLocalStorage context — entering one turns on Node's promise hooks for
 * the whole process, a cost on every promise of every request — so the lines logged here carry the
 * request id as a field instead; no promise wrapping the protocol's own (its refusals mapped in a catch).
 */
export function osmandListener(deps: {
  pipeline: IngestPipeline;
  devices: DeviceDirectory;
  logger: Logger;
  metrics: Metrics;
  isDraining: () => boolean;
}): RequestListener {
  const ingest = httpIngest({ ...deps, fieldDrops: new FieldDrops(deps.metrics.registry) });

  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string): Promise<void> => {
    if (deps.isDraining()) {
      res.setHeader('Connection', 'close');
      throw unavailable('server is shutting down, retry', 1);
    }
    const method = req.method ?? 'GET';
    // Any path, as Traccar: users paste server URLs with a path (`http://host:5055/osmand`).
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const query = q < 0 ? {} : parseQuery(url.slice(q + 1));
    const headers = req.headers;
    let json: unknown;
    let form: ReturnType<typeof parseQuery> | undefined;
    if (
      method === 'POST' &&
      (Number(headers['content-length'] ?? 0) > 0 || headers['transfer-encoding'] !== undefined)
    ) {
      const body = await readBody(req);
      const contentType = mediaType(headers['content-type']);
      if (contentType === 'application/json' && body) {
        try {
          json = JSON.parse(body);
        } catch {
          throw badRequest('request body is not valid JSON');
        }
      } else if (contentType === 'application/x-www-form-urlencoded' && body) form = parseQuery(body);
    }
    try {
      await acceptOsmAnd(ingest, {
        method,
        json,
        params: json === undefined ? flattenParams(query, form) : {},
        token: typeof query['token'] === 'string' ? query['token'] : undefined,
        authorization: headers.authorization,
      });
    } catch (err) {
      throw apiError(err);
    }
    res.writeHead(200, { 'X-Request-Id': requestId, 'Content-Length': '0' });
    res.end();
  };

  const fail = (req: IncomingMessage, res: ServerResponse, requestId: string, err: unknown): void => {
    const { status, headers, body } = errorResponse(err, {
      // The request id on the line errorResponse logs (5xx), as the main app's context gives it.
      logger: deps.logger.child({ requestId }),
      requestId,
      method: req.method ?? 'GET',
      path: '/',
    });
    if (res.headersSent) return void res.destroy();
    const text = JSON.stringify(body);
    res.writeHead(status, {
      ...headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
      'X-Request-Id': requestId,
    });
    res.end(text);
    if (status >= 400 && deps.logger.isLevelEnabled('warn')) {
      deps.logger.warn('request', { requestId, method: req.method, path: '/', status, port: 'osmand' });
    }
  };

  return (req, res) => {
    const started = process.hrtime.bigint();
    deps.metrics.inFlight.inc();
    const requestId = randomUUID();
    res.once('close', () => {
      deps.metrics.inFlight.dec();
      deps.metrics.observe(req.method ?? 'GET', '/', res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    handle(req, res, requestId).catch((err: unknown) => fail(req, res, requestId, err));
  };
}
