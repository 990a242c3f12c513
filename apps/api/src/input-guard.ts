import { jsonProblems, textProblem, type ErrorDetail, type JsonLimits } from '@fleet/contracts';
import type { Request, RequestHandler } from 'express';
import { invalid } from './errors';
import { ENDPOINTS } from '@fleet/contracts';

/**
 * Bounds of a JSON request body or query string as a whole. The largest legitimate body is a geofence
 * polygon of 10,000 vertices (~30,000 numbers, depth 5); a vehicle's attributes add 8 levels. Anything
 * deeper or wider is hostile: refused before it reaches zod, SQL or `JSON.stringify` (a RangeError at
 * a few thousand levels).
 */
const REQUEST_JSON_LIMITS: JsonLimits = { maxDepth: 32, maxEntries: 100_000, maxStringLength: 1_000_000 };

/**
 * The ingestion protocols answer their devices in their own way (documented per protocol: refuse or
 * drop a field), so they are left to their own edge checks.
 */
const INGESTION = [/^\/(positions|owntracks|overland)\/?$/i, /^\/vehicles\/[^/]+\/import\/?$/i, /^\/osmand(\/.*)?$/i];

export const isIngestionPath = (path: string) => INGESTION.some((pattern) => pattern.test(path));

/**
 * Refuses (400, each problem named: `query.q`, `params.id`, `body.attributes.note`) text that PostgreSQL
 * cannot store (NUL, lone UTF-16 surrogates), path segments that are not valid percent-encoding, and
 * JSON nested or sized beyond REQUEST_JSON_LIMITS, anywhere in the query string, the path or the JSON
 * body. One check for every route under /api/v1, so no handler meets such input and none can turn it
 * into a 500. Mounted after the JSON parser; ingestion paths are skipped (see INGESTION).
 */
export function inputGuard(options: { mountPath: string; limits?: JsonLimits }): RequestHandler {
  const limits = options.limits ?? REQUEST_JSON_LIMITS;
  const names = paramNames(options.mountPath);
  return (req, _res, next) => {
    if (isIngestionPath(req.path)) return next();
    const problems = [
      ...pathProblems(req, names),
      ...jsonProblems(req.query, 'query', limits),
      ...(req.body !== null && typeof req.body === 'object' ? jsonProblems(req.body, 'body', limits) : []),
    ];
    if (problems.length === 0) return next();
    next(invalid('request is not valid', problems.slice(0, 10)));
  };
}

/** For each path segment: its parameter name in the documented route it belongs to, or undefined. */
type ParamNamer = (method: string, segments: string[]) => Array<string | undefined>;

/** Parameter names (`id` in /vehicles/:id) from the route table, which a test keeps equal to the router. */
function paramNames(mountPath: string): ParamNamer {
  const routes = Object.values(ENDPOINTS)
    .filter((r) => r.path.startsWith(`${mountPath}/`))
    .map((r) => ({
      method: r.method.toUpperCase(),
      segments: r.path.slice(mountPath.length).split('/').slice(1),
    }));
  return (method, segments) => {
    const fits = (route: (typeof routes)[number]) =>
      route.segments.length === segments.length &&
      route.segments.every((s, i) => s.startsWith(':') || s.toLowerCase() === segments[i].toLowerCase());
    const route = routes.find((r) => r.method === method && fits(r)) ?? routes.find(fits);
    return route?.segments.map((s) => (s.startsWith(':') ? s.slice(1) : undefined)) ?? [];
  };
}

function pathProblems(req: Request, names: ParamNamer): ErrorDetail[] {
  if (!req.path.includes('%')) return [];
  const segments = req.path.split('/').slice(1);
  const named = names(req.method, segments);
  const problems: ErrorDetail[] = [];
  segments.forEach((segment, i) => {
    if (!segment.includes('%')) return;
    const path = named[i] ? `params.${named[i]}` : 'path';
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      problems.push({ path, message: 'is not valid percent-encoded UTF-8' });
      return;
    }
    const problem = textProblem(decoded);
    if (problem) problems.push({ path, message: problem });
  });
  return problems;
}
