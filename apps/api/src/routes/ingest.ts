import { INGEST_ENDPOINTS as E } from '@fleet/contracts';
import express, { type Router } from 'express';
import { createDb } from '@fleet/db';
import type { Pool } from 'pg';
import type { TokenService } from '@fleet/auth';
import { basicCredentials, bearerToken } from '../auth/credentials';
import { verifyAccess } from '../auth/middleware';
import {
  badRequest,
  forbidden,
  invalid,
  methodNotAllowed,
  notFound,
  payloadTooLarge,
  unauthorized,
  type AppError,
} from '../errors';
import { findVehicle, readScope } from '../groups/scope';
import { EndpointRouter, Reply } from '../http/serve';
import {
  acceptFleetJson,
  acceptOsmAnd,
  acceptOverland,
  acceptOwnTracks,
  DeviceAuth,
  flattenParams,
  importGpx,
  Refusal,
  type DeviceDirectory,
  type FieldDrops,
  type HttpIngest,
  type IngestPipeline,
} from '@fleet/ingest';

/**
 * The HTTP wiring of the ingestion protocols: one handler per endpoint declared in
 * libs/contracts/src/endpoints/ingest.ts, each reading the request's credential and body and calling its
 * protocol module in @fleet/ingest (libs/ingest/src/protocols/*.ts), whose refusals become the API's
 * errors here (apiError).
 */

export interface IngestRouteDeps {
  pipeline: IngestPipeline;
  devices: DeviceDirectory;
  pool: Pool;
  bodyLimit: string;
  gpxMaxBytes: number;
  /** Verifies signed-in users (GPX upload by an operator). */
  tokens: TokenService;
  /** Counts fields dropped at the edge (positions_fields_dropped_total). */
  fieldDrops: FieldDrops;
}

/** A protocol's refusal as the API's error (errors.ts factories); anything else unchanged. */
export function apiError(err: unknown): unknown {
  if (!(err instanceof Refusal)) return err;
  const { details, challenge, subject } = err.extra;
  const answers: Record<Refusal['kind'], () => AppError> = {
    bad_request: () => badRequest(err.message, details),
    invalid: () => invalid(err.message, details),
    unauthorized: () => unauthorized(err.message, challenge),
    forbidden: () => forbidden(err.message, details),
    not_found: () => notFound(subject),
    method_not_allowed: () => methodNotAllowed(err.message),
    payload_too_large: () => payloadTooLarge(err.message),
  };
  return answers[err.kind]();
}

/** The protocol's answer, or its refusal thrown as the API's error. */
export const answer = <T>(work: Promise<T>): Promise<T> =>
  work.catch((err: unknown) => {
    throw apiError(err);
  });

/** What the protocol modules share: the pipeline, device authentication, dropped-field counts. */
export const httpIngest = (deps: Pick<IngestRouteDeps, 'pipeline' | 'devices' | 'fieldDrops'>): HttpIngest => ({
  pipeline: deps.pipeline,
  fieldDrops: deps.fieldDrops,
  auth: new DeviceAuth(deps.devices, deps.pipeline),
});

// Matched as Express matches routes: any case, an optional trailing slash.
const OSMAND_PATH = /^\/osmand\/?$/i;
const OWNTRACKS_PATH = /^\/owntracks\/?$/i;

const queryToken = (value: unknown) => (typeof value === 'string' ? value : undefined);

export function ingestRoutes(deps: IngestRouteDeps): Router {
  const ctx = httpIngest(deps);
  const endpoints = new EndpointRouter('/api/v1');
  // Read before the handlers (as middleware: the router has a route only for each declaration): the
  // OsmAnd form, and OwnTracks' JSON under any Content-Type or none (express.json read application/json).
  const form = express.urlencoded({ extended: false, limit: deps.bodyLimit, parameterLimit: 200 });
  const anyBody = express.text({ type: () => true, limit: deps.bodyLimit });
  endpoints.router.use((req, res, next) => {
    if (OSMAND_PATH.test(req.path)) return form(req, res, next);
    if (OWNTRACKS_PATH.test(req.path) && req.method === 'POST') return anyBody(req, res, next);
    next();
  });

  // OsmAnd / Traccar Client (protocols/osmand.ts, traccar-json.ts): the identifier is the credential.
  // Also served on its own port at `/` (ingest/osmand-listener.ts).
  const osmand = async (_input: unknown, { req }: { req: express.Request }) => {
    const json = req.is('application/json') ? (req.body as unknown) : undefined;
    await answer(
      acceptOsmAnd(ctx, {
        method: req.method,
        json,
        params: json === undefined ? flattenParams(req.query, req.body) : {},
        token: queryToken(req.query['token']),
        authorization: req.get('authorization'),
      }),
    );
  };

  endpoints
    // Our own JSON (protocols/fleet-json.ts): one position, an array, or {positions: [...]}; device token.
    .serve(E.ingestPositions, async ({ body }, { req }) =>
      answer(acceptFleetJson(ctx, { token: bearerToken(req.get('authorization')), body })),
    )
    .serve(E.osmandQuery, osmand)
    .serve(E.osmandPost, osmand)
    // OwnTracks HTTP mode (protocols/owntracks.ts): Basic auth with the device token as password.
    .serve(E.ingestOwnTracks, async ({ body }, { req }) =>
      answer(
        acceptOwnTracks(
          { ...ctx, pool: deps.pool },
          {
            token: basicCredentials(req.get('authorization'))?.password,
            body,
            limitUser: req.get('x-limit-u'),
            limitDevice: req.get('x-limit-d'),
          },
        ),
      ),
    )
    // Overland (protocols/overland.ts): GeoJSON batch, bearer device token or ?token=.
    .serve(E.ingestOverland, async ({ body }, { req }) =>
      answer(
        acceptOverland(ctx, {
          token: bearerToken(req.get('authorization')) ?? queryToken(req.query['token']),
          body,
        }),
      ),
    )
    // GPX upload (protocols/gpx.ts), streamed: the vehicle's device token, or a signed-in admin/operator.
    .serve(E.importGpx, async (_input, { req }) => {
      const result = await answer(
        importGpx(ctx, {
          vehicleId: req.params['id'] as string,
          token: bearerToken(req.get('authorization')),
          // A signed-in uploader's vehicle must also be within their vehicle groups (404 otherwise).
          verifyUser: async () => {
            const user = await verifyAccess(req, deps.tokens);
            if (user.role === 'operator')
              await findVehicle(createDb(deps.pool), await readScope(deps.pool, user), req.params['id'] as string);
            return user;
          },
          contentLength: Number(req.get('content-length') ?? 0),
          maxBytes: deps.gpxMaxBytes,
          body: req as AsyncIterable<Buffer>,
        }),
      );
      return new Reply(result.imported > 0 ? 202 : 200, result);
    });
  // Any other method: 405, as Traccar (and the OsmAnd port) answer it.
  endpoints.router.use((req, _res, next) =>
    next(OSMAND_PATH.test(req.path) ? methodNotAllowed('use GET or POST') : undefined),
  );
  return endpoints.router;
}
