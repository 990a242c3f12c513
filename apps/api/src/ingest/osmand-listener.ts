import { randomUUID } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { runWithRequestId, type Logger } from '@fleet/logging-json';
import type { Metrics } from '@fleet/metrics';
import { badRequest, errorResponse, payloadTooLarge, unavailable } from '../errors';
import { answer, httpIngest } from '../routes/ingest';
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

/**
 * The port Traccar Client points at (5055), on Node's HTTP server directly rather than through
 * Express: it serves one protocol at thousands of requests a second, and the router, parsers and
 * middleware chain would cost several times the work of the request itself. It keeps what matters
 * from the main app: request ids, the same error bodies, metrics, the drain gate.
 */
export function osmandListener(deps: {
  pipeline: IngestPipeline;
  devices: DeviceDirectory;
  logger: Logger;
  metrics: Metrics;
  isDraining: () => boolean;
}): RequestListener {
  const ingest = httpIngest({ ...deps, fieldDrops: new FieldDrops(deps.metrics.registry) });
  const handle = async (req: IncomingMessage, res: ServerResponse, requestId: string) => {
    if (deps.isDraining()) {
      res.setHeader('Connection', 'close');
      throw unavailable('server is shutting down, retry', 1);
    }
    // Any path, as Traccar: users paste server URLs with a path (`http://host:5055/osmand`).
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const contentType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    const hasBody =
      req.method === 'POST' &&
      (Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined);
    const body = hasBody ? await readBody(req) : '';
    let json: unknown;
    if (contentType === 'application/json' && body) {
      try {
        json = JSON.parse(body);
      } catch {
        throw badRequest('request body is not valid JSON');
      }
    }
    const form = contentType === 'application/x-www-form-urlencoded' && body ? parseQuery(body) : undefined;
    const query = q < 0 ? {} : parseQuery(url.slice(q + 1));
    await answer(
      acceptOsmAnd(ingest, {
        method: req.method ?? 'GET',
        json,
        params: json === undefined ? flattenParams(query, form) : {},
        token: typeof query['token'] === 'string' ? query['token'] : undefined,
        authorization: req.headers.authorization,
      }),
    );
    res.writeHead(200, { 'X-Request-Id': requestId, 'Content-Length': '0' });
    res.end();
  };

  return (req, res) => {
    const started = process.hrtime.bigint();
    deps.metrics.inFlight.inc();
    const requestId = randomUUID();
    res.once('close', () => {
      deps.metrics.inFlight.dec();
      deps.metrics.observe(req.method ?? 'GET', '/', res.statusCode, Number(process.hrtime.bigint() - started) / 1e9);
    });
    runWithRequestId(requestId, () =>
      handle(req, res, requestId).catch((err: unknown) => {
        const { status, headers, body } = errorResponse(err, {
          logger: deps.logger,
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
          deps.logger.warn('request', { method: req.method, path: '/', status, port: 'osmand' });
        }
      }),
    );
  };
}
