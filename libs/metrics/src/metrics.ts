import type { NextFunction, Request, RequestHandler, Response } from 'express';
import client from 'prom-client';
import { HTTP_BUCKETS, METRIC } from './names';

export interface Metrics {
  registry: client.Registry;
  /** Records duration and in-flight count of every request, labelled by route template. */
  httpMiddleware: RequestHandler;
  /** Serves the registry in Prometheus text format. */
  handler: RequestHandler;
  /** For servers outside Express: record one request as the middleware would. */
  observe(method: string, route: string, status: number, seconds: number): void;
  inFlight: client.Gauge;
}

/**
 * The route template that matched (`/api/v1/vehicles/:id`), never the raw path, so label
 * cardinality stays bounded whatever clients send. Unmatched requests share one label.
 */
function routeLabel(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (route && typeof route.path === 'string') return `${req.baseUrl}${route.path}`;
  return 'unmatched';
}

/** One registry per process, with the default process metrics labelled by service. */
export function createMetrics(options: { service: string; prefix?: string }): Metrics {
  const registry = new client.Registry();
  registry.setDefaultLabels({ service: options.service });
  client.collectDefaultMetrics({ register: registry });

  const duration = new client.Histogram({
    name: METRIC.httpDuration,
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: HTTP_BUCKETS,
    registers: [registry],
  });
  const inFlight = new client.Gauge({
    name: METRIC.httpInFlight,
    help: 'HTTP requests being served right now',
    registers: [registry],
  });

  const httpMiddleware: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const end = duration.startTimer();
    inFlight.inc();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      inFlight.dec();
      end({ method: req.method, route: routeLabel(req), status_code: String(res.statusCode) });
    };
    res.once('finish', finish);
    res.once('close', finish);
    next();
  };

  const handler: RequestHandler = async (_req, res) => {
    res.setHeader('Content-Type', registry.contentType);
    res.end(await registry.metrics());
  };

  const observe = (method: string, route: string, status: number, seconds: number) =>
    duration.observe({ method, route, status_code: String(status) }, seconds);

  return { registry, httpMiddleware, handler, observe, inFlight };
}
