import type { RequestListener } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import type { Logger } from '@fleet/logging-json';
import type { Metrics } from '@fleet/metrics';
import { payloadTooLarge } from '../errors';
import { apiError, httpIngest } from '../routes/ingest';
import { acceptOsmAnd, FieldDrops, flattenParams, type DeviceDirectory, type IngestPipeline } from '@fleet/ingest';
import { answer, bareListener, mediaType, parseJson, readBody, type BareListenerOptions } from './bare-http';

const MAX_BODY = 64 * 1024;

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
  const options: BareListenerOptions = {
    ...deps,
    // Any path, as Traccar: users paste server URLs with a path (`http://host:5055/osmand`).
    path: () => '/',
    route: '/',
    log: ({ requestId, method, path }, status) => {
      if (status >= 400 && deps.logger.isLevelEnabled('warn'))
        deps.logger.warn('request', { requestId, method, path, status, port: 'osmand' });
    },
  };
  const tooLarge = () => payloadTooLarge(`bodies up to ${MAX_BODY} bytes`);

  return bareListener(options, async (exchange) => {
    const { req, method } = exchange;
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
      const body = await readBody(req, MAX_BODY, tooLarge);
      const contentType = mediaType(headers['content-type']);
      if (contentType === 'application/json' && body) json = parseJson(body);
      else if (contentType === 'application/x-www-form-urlencoded' && body) form = parseQuery(body);
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
    answer(options, exchange, 200);
  });
}
