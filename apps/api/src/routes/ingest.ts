import {
  INGEST_ENDPOINTS as E,
  IngestRequest,
  type ErrorDetail,
  type GpxImportResult,
  type PositionInput,
  type PositionsAccepted,
} from '@fleet/contracts';
import express, { type Request, type Router } from 'express';
import type { Pool } from 'pg';
import type { TokenService } from '@fleet/auth';
import { basicCredentials, bearerToken } from '../auth/credentials';
import { verifyAccess } from '../auth/middleware';
import {
  AppError,
  badRequest,
  forbidden,
  invalid,
  methodNotAllowed,
  notFound,
  payloadTooLarge,
  unauthorized,
  zodDetails,
} from '../errors';
import { EndpointRouter, Reply } from '../http/serve';
import { isUuid } from '../sql';
import {
  decodeOsmAnd,
  decodeOverland,
  decodeOwnTracks,
  decodeTraccarJson,
  flattenParams,
  identifierProblem,
  InvalidPositionsError,
  osmandToken,
  parseTimestamp,
  readGpx,
  storableFix,
  type Device,
  type DeviceDirectory,
  type FieldDrops,
  type FieldNames,
  type FieldProblem,
  type IngestItem,
  type IngestPipeline,
  type RawFix,
} from '@fleet/ingest';

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

const disabled = () => forbidden('this device is disabled: its positions are refused');

/** The device a token belongs to, or a 401/403 that says why not. */
async function deviceForToken(
  deps: IngestRouteDeps,
  protocol: string,
  token: string | undefined,
  challenge?: string,
): Promise<Device> {
  if (!token) {
    deps.pipeline.reject(protocol, 'unauthorized');
    throw unauthorized('a device token is required (Authorization header)', challenge);
  }
  const device = await deps.devices.byToken(token);
  if (!device) {
    deps.pipeline.reject(protocol, 'unauthorized');
    throw unauthorized('unknown device token', challenge);
  }
  if (device.disabled) {
    deps.pipeline.reject(protocol, 'disabled_device');
    throw disabled();
  }
  return device;
}

const looksLikeJwt = (token: string | undefined): token is string =>
  token !== undefined && /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(token);

/** The device of a vehicle the signed-in user may write to (admin or operator of its organization). */
async function deviceForUser(deps: IngestRouteDeps, req: Request, vehicleId: string): Promise<Device> {
  // A refused token is a 401; a session store that cannot answer is a 503 (nothing accepted), not a 401.
  const claims = await verifyAccess(req, deps.tokens);
  if (claims.role === 'viewer') throw forbidden('needs the role admin or operator');
  const device = isUuid(vehicleId) ? await deps.devices.byVehicle(vehicleId) : undefined;
  if (!device || device.organizationId !== claims.org) throw notFound('vehicle');
  return device;
}

/** The positions of a request, and how to name the i-th in an error (`positions.3`, `3`, or none). */
function positionsOf(body: IngestRequest): { list: PositionInput[]; pathOf: (i: number) => string } {
  if (Array.isArray(body)) return { list: body, pathOf: (i) => String(i) };
  if ('positions' in body) return { list: body.positions, pathOf: (i) => `positions.${i}` };
  return { list: [body], pathOf: () => '' };
}

const join = (path: string, field: string) => (path ? `${path}.${field}` : field);

/**
 * What each protocol does with a field storage cannot hold (docs/ingestion.md, "Validation"):
 * `reject` refuses the request with 400 naming each field (our own JSON API: the sender can fix it);
 * `drop` leaves the field out, stores the rest of the fix and counts the field (phone and batch
 * protocols, whose apps would otherwise resend the same point forever).
 */
type FieldPolicy = 'reject' | 'drop';

/**
 * Step (0): every item made storable (storableFix) or the request refused, before the pipeline sees it.
 * With `drop`, each dropped field is counted and returned for the answer (GPX reports them).
 */
function storableItems(
  deps: Pick<IngestRouteDeps, 'pipeline' | 'fieldDrops'>,
  protocol: string,
  items: IngestItem[],
  policy: FieldPolicy,
  names?: FieldNames,
): { items: IngestItem[]; dropped: FieldProblem[] } {
  const dropped: FieldProblem[] = [];
  const out = items.map((item) => {
    const checked = storableFix(item.fix, { path: item.path, names });
    if (!checked.problems.length) return item;
    dropped.push(...checked.problems);
    return { ...item, fix: checked.fix };
  });
  if (dropped.length && policy === 'reject') {
    deps.pipeline.reject(protocol, 'invalid', items.length);
    throw invalid(
      'some values cannot be stored; nothing was stored',
      dropped.slice(0, 50).map(({ path, message }) => ({ path, message })),
    );
  }
  deps.fieldDrops.record(protocol, dropped);
  return { items: out, dropped };
}

/** A 400 naming an identifier that cannot be looked up or stored, before any database query. */
function refuseIdentifiers(
  deps: Pick<IngestRouteDeps, 'pipeline'>,
  protocol: string,
  problems: Array<ErrorDetail | undefined>,
  count = 1,
): void {
  const found = problems.filter((p): p is ErrorDetail => p !== undefined);
  if (!found.length) return;
  deps.pipeline.reject(protocol, 'invalid', count);
  throw invalid('an identifier cannot be stored', found.slice(0, 10));
}

/** Fixes of one vehicle sharing a timestamp with an earlier one in `seen` (which is updated). */
function duplicateTimestamps(items: IngestItem[], seen: Set<number>): number {
  let duplicates = 0;
  for (const { fix } of items) {
    const ts = fix.ts?.getTime();
    if (ts === undefined) continue;
    if (seen.has(ts)) duplicates += 1;
    else seen.add(ts);
  }
  return duplicates;
}

/**
 * A body whatever its Content-Type: OwnTracks sends JSON, and some setups (proxies, older apps, curl
 * tests) label it `text/plain`, form-encoded or not at all. Parsed JSON passes through.
 */
function jsonBody(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  try {
    return JSON.parse(body);
  } catch {
    throw badRequest('request body is not valid JSON', [{ path: '(body)', message: 'not valid JSON' }]);
  }
}

// Matched as Express matches routes: any case, an optional trailing slash.
const OSMAND_PATH = /^\/osmand\/?$/i;
const OWNTRACKS_PATH = /^\/owntracks\/?$/i;

export function ingestRoutes(deps: IngestRouteDeps): Router {
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

  const osmand = async (_input: unknown, { req }: { req: Request }) => {
    const json = req.is('application/json') ? (req.body as unknown) : undefined;
    await acceptOsmAnd(deps, {
      method: req.method,
      json,
      params: json === undefined ? flattenParams(req.query, req.body) : {},
      token: typeof req.query['token'] === 'string' ? req.query['token'] : undefined,
      authorization: req.get('authorization'),
    });
  };

  endpoints
    // Our own JSON: one position, an array, or {positions: [...]}; a device token authorises it.
    .serve(E.ingestPositions, async ({ body }, { req }) => ingestPositions(deps, req, body))
    // OsmAnd / Traccar Client: the identifier is the credential. Also served on its own port at `/`.
    .serve(E.osmandQuery, osmand)
    .serve(E.osmandPost, osmand)
    // OwnTracks HTTP mode: Basic auth with the device token as password; answers friends' positions.
    .serve(E.ingestOwnTracks, async ({ body }, { req }) => ingestOwnTracks(deps, req, body))
    // Overland: GeoJSON batch, bearer token (or ?token=); skips bad points so the app never loops on them.
    .serve(E.ingestOverland, async ({ body }, { req }) => ingestOverland(deps, req, body))
    // GPX upload, streamed (staged in batches of 1,000 points as the file is read): by the vehicle's
    // own device token, or by a signed-in admin or operator of its organization.
    .serve(E.importGpx, async (_input, { req }) => {
      const result = await uploadGpx(deps, req);
      return new Reply(result.imported > 0 ? 202 : 200, result);
    });
  // Any other method: 405, as Traccar (and the OsmAnd port) answer it.
  endpoints.router.use((req, _res, next) =>
    next(OSMAND_PATH.test(req.path) ? methodNotAllowed('use GET or POST') : undefined),
  );
  return endpoints.router;
}

async function ingestPositions(deps: IngestRouteDeps, req: Request, body: unknown): Promise<PositionsAccepted> {
  const device = await deviceForToken(deps, 'json', bearerToken(req.get('authorization')));
  const parsed = IngestRequest.safeParse(body);
  if (!parsed.success) {
    deps.pipeline.reject('json', 'invalid', Array.isArray(body) ? body.length : 1);
    throw invalid('request is not valid', zodDetails(parsed.error));
  }
  const { list, pathOf } = positionsOf(parsed.data);
  const mismatches: ErrorDetail[] = [];
  const items: IngestItem[] = list.map((p, i) => {
    if (p.vehicle && p.vehicle !== device.vehicleId)
      mismatches.push({ path: join(pathOf(i), 'vehicle'), message: "is not this device token's vehicle" });
    if (p.deviceId && p.deviceId !== device.identifier)
      mismatches.push({ path: join(pathOf(i), 'deviceId'), message: "is not this device token's identifier" });
    const fix: RawFix = {
      ts: parseTimestamp(p.ts),
      lat: p.lat,
      lon: p.lon,
      speedKmh: p.speed,
      heading: p.heading === undefined ? undefined : p.heading % 360,
      altitude: p.altitude,
      accuracy: p.accuracy,
      battery: p.battery,
      valid: p.valid,
      attributes: p.attributes,
    };
    return { device, fix, path: pathOf(i) };
  });
  if (mismatches.length) {
    deps.pipeline.reject('json', 'unauthorized', list.length);
    throw forbidden('positions for another vehicle cannot be sent with this token', mismatches);
  }
  const storable = storableItems(deps, 'json', items, 'reject').items;
  const duplicates = duplicateTimestamps(storable, new Set());
  const { accepted, batchId } = await deps.pipeline.ingest('json', storable);
  return { accepted: accepted - duplicates, duplicates, batchId };
}

async function ingestOwnTracks(deps: IngestRouteDeps, req: Request, raw: unknown): Promise<OwnTracksMessage[]> {
  const device = await deviceForToken(
    deps,
    'owntracks',
    basicCredentials(req.get('authorization'))?.password,
    BASIC_CHALLENGE,
  );
  const body = jsonBody(raw);
  if (body === undefined) {
    deps.pipeline.reject('owntracks', 'invalid');
    throw invalid('expected an OwnTracks JSON message', [{ path: '(body)', message: 'required' }]);
  }
  const messages: unknown[] = Array.isArray(body) ? body : [body];
  const items: IngestItem[] = [];
  const identifiers: Array<ErrorDetail | undefined> = [];
  messages.forEach((message, i) => {
    const decoded = decodeOwnTracks(message);
    if (!decoded.fix) return; // transition, waypoint, lwt, card, status…: acknowledged, not positions
    const at = messages.length > 1 ? String(i) : '';
    for (const key of ['tid', 'topic'])
      identifiers.push(identifierProblem(join(at, key), decoded.fix.attributes?.[key]));
    const user = req.get('x-limit-u');
    const dev = req.get('x-limit-d');
    if (user)
      decoded.fix.attributes = {
        ...decoded.fix.attributes,
        user: user.slice(0, 64),
        ...(dev && { device: dev.slice(0, 64) }),
      };
    items.push({ device, fix: decoded.fix, path: at });
  });
  refuseIdentifiers(deps, 'owntracks', identifiers, items.length);
  if (items.length)
    await deps.pipeline.ingest('owntracks', storableItems(deps, 'owntracks', items, 'drop', OWNTRACKS_NAMES).items);
  return friendsOf(deps.pool, device);
}

async function ingestOverland(deps: IngestRouteDeps, req: Request, body: unknown): Promise<{ result: 'ok' }> {
  const token =
    bearerToken(req.get('authorization')) ?? (typeof req.query['token'] === 'string' ? req.query['token'] : undefined);
  const device = await deviceForToken(deps, 'overland', token);
  const decoded = decodeOverland(body);
  if (!decoded) {
    deps.pipeline.reject('overland', 'invalid');
    throw invalid('expected {"locations": [GeoJSON Point features]}', [
      { path: 'locations', message: 'missing or not an array' },
    ]);
  }
  refuseIdentifiers(
    deps,
    'overland',
    decoded.fixes.map(({ deviceId }, i) => identifierProblem(`locations.${i}.properties.device_id`, deviceId)),
    decoded.fixes.length,
  );
  const items = decoded.fixes.map(({ deviceId, fix }, i) => ({
    device,
    fix: deviceId ? { ...fix, attributes: { ...fix.attributes, device_id: deviceId.slice(0, 64) } } : fix,
    path: `locations.${i}`,
  }));
  if (items.length)
    await deps.pipeline.ingest('overland', storableItems(deps, 'overland', items, 'drop', OVERLAND_NAMES).items, {
      partial: true,
    });
  return { result: 'ok' };
}

async function uploadGpx(deps: IngestRouteDeps, req: Request): Promise<GpxImportResult> {
  const token = bearerToken(req.get('authorization'));
  const vehicleId = req.params['id'] as string;
  const device = looksLikeJwt(token)
    ? await deviceForUser(deps, req, vehicleId)
    : await deviceForToken(deps, 'gpx', token);
  if (device.vehicleId !== vehicleId) throw notFound('vehicle');
  const declared = Number(req.get('content-length') ?? 0);
  if (declared > deps.gpxMaxBytes) throw payloadTooLarge(`GPX files up to ${deps.gpxMaxBytes} bytes`);
  return importGpx(deps, device, req);
}

async function importGpx(deps: IngestRouteDeps, device: Device, req: Request): Promise<GpxImportResult> {
  const result: GpxImportResult = {
    imported: 0,
    duplicates: 0,
    skipped: 0,
    batches: 0,
    skippedReasons: {},
    droppedFields: {},
  };
  const seen = new Set<number>();
  const skip = (reason: string, n = 1) => {
    result.skipped += n;
    result.skippedReasons[reason] = (result.skippedReasons[reason] ?? 0) + n;
  };
  let bytes = 0;
  async function* limited() {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > deps.gpxMaxBytes) throw payloadTooLarge(`GPX files up to ${deps.gpxMaxBytes} bytes`);
      yield chunk;
    }
  }
  let batch: IngestItem[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const storable = storableItems(deps, 'gpx', batch, 'drop', GPX_NAMES);
    for (const { field } of storable.dropped) result.droppedFields[field] = (result.droppedFields[field] ?? 0) + 1;
    const { accepted, rejected } = await deps.pipeline
      .ingest('gpx', storable.items, { partial: true })
      .catch((err: unknown) => {
        if (err instanceof InvalidPositionsError) return { accepted: 0, rejected: err.details };
        throw err;
      });
    const invalid = new Set(rejected.map((e) => e.path.split('.')[0]));
    if (invalid.size) skip('invalid', invalid.size);
    const duplicates = accepted
      ? duplicateTimestamps(
          storable.items.filter((item) => !invalid.has(item.path)),
          seen,
        )
      : 0;
    result.duplicates += duplicates;
    result.imported += accepted - duplicates;
    if (accepted) result.batches += 1;
    batch = [];
  };
  for await (const item of readGpx(limited())) {
    if (item.kind === 'error') {
      if (result.imported === 0 && batch.length === 0) throw badRequest(item.message);
      skip('truncated_xml');
      break;
    }
    if (!item.fix.ts) {
      skip(item.hasTime ? 'invalid_time' : 'no_time');
      continue;
    }
    batch.push({ device, fix: item.fix, path: `trkpt${item.index}` });
    if (batch.length >= 1000) await flush();
  }
  await flush();
  return result;
}

// Error paths in each protocol's own names.
const OSMAND_NAMES: FieldNames = { heading: 'bearing', battery: 'batt', attributes: '' };
const TRACCAR_NAMES: FieldNames = {
  speed: 'coords.speed',
  heading: 'coords.heading',
  altitude: 'coords.altitude',
  accuracy: 'coords.accuracy',
  battery: 'battery.level',
  attributes: 'extras',
};
const OWNTRACKS_NAMES: FieldNames = {
  speed: 'vel',
  heading: 'cog',
  altitude: 'alt',
  accuracy: 'acc',
  battery: 'batt',
  attributes: '',
};
const OVERLAND_NAMES: FieldNames = {
  speed: 'properties.speed',
  heading: 'properties.course',
  altitude: 'properties.altitude',
  accuracy: 'properties.horizontal_accuracy',
  battery: 'properties.battery_level',
  attributes: 'properties',
};
const GPX_NAMES: FieldNames = { speed: 'speed', heading: 'course', altitude: 'ele', attributes: 'extensions' };

/** OwnTracks and the OsmAnd token both use HTTP Basic auth (the device token as the password). */
const BASIC_CHALLENGE = 'Basic realm="fleet", charset="UTF-8"';

/**
 * The device an OsmAnd / Traccar Client request names, or the refusal Traccar would answer: 401 when
 * its token is missing or wrong, `unknown` (404 for JSON, 400 for the query form) for an unknown
 * identifier, 403 for a disabled device; each counted for `count` positions.
 */
async function osmandDevice(
  deps: Pick<IngestRouteDeps, 'pipeline' | 'devices'>,
  protocol: 'osmand' | 'traccar_json',
  lookup: { identifier: string; token: string | undefined; count: number; unknown: () => AppError },
): Promise<Device> {
  const found = await deps.devices.forOsmAnd(lookup.identifier, lookup.token);
  if (found.unauthorized !== undefined) {
    deps.pipeline.reject(protocol, 'unauthorized', lookup.count);
    throw unauthorized(found.unauthorized, BASIC_CHALLENGE);
  }
  if (!found.device) {
    deps.pipeline.reject(protocol, 'unknown_device', lookup.count);
    throw lookup.unknown();
  }
  if (found.device.disabled) {
    deps.pipeline.reject(protocol, 'disabled_device', lookup.count);
    throw disabled();
  }
  return found.device;
}

/**
 * The OsmAnd protocol, whatever carries it (the express route or the lean listener on port 5055):
 * resolves when the fix is staged, throws an AppError with the status Traccar would answer.
 */
export async function acceptOsmAnd(
  deps: Pick<IngestRouteDeps, 'pipeline' | 'devices' | 'fieldDrops'>,
  request: {
    method: string;
    json?: unknown;
    params: Record<string, string>;
    /** The `token` query parameter (JSON bodies; a form's is in params) and the Authorization header. */
    token?: string;
    authorization?: string;
  },
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'POST') throw methodNotAllowed('use GET or POST');
  // The device token, when sent (organizations with osmandTokenRequired need it): never an attribute.
  const { token: tokenParam, ...params } = request.params;
  const token = osmandToken(tokenParam ?? request.token, request.authorization);
  if (request.json !== undefined) {
    // Traccar Client 9+: JSON body; an unknown device is a 404, as Traccar answers it.
    const decoded = decodeTraccarJson(request.json);
    if (!decoded?.identifier) {
      deps.pipeline.reject('traccar_json', 'invalid');
      throw invalid('device_id is missing', [{ path: 'device_id', message: 'required' }]);
    }
    refuseIdentifiers(deps, 'traccar_json', [identifierProblem('device_id', decoded.identifier)], decoded.fixes.length);
    const device = await osmandDevice(deps, 'traccar_json', {
      identifier: decoded.identifier,
      token,
      count: decoded.fixes.length,
      unknown: () => notFound('device'),
    });
    const paths = decoded.fixes.length > 1;
    const items = decoded.fixes.map((fix, i) => ({ device, fix, path: paths ? `location.${i}` : 'location' }));
    await deps.pipeline.ingest('traccar_json', storableItems(deps, 'traccar_json', items, 'drop', TRACCAR_NAMES).items);
    return;
  }
  const { identifier, fix } = decodeOsmAnd(params, new Date());
  if (!identifier) {
    deps.pipeline.reject('osmand', 'invalid');
    throw invalid('id is missing', [{ path: 'id', message: 'required' }]);
  }
  refuseIdentifiers(deps, 'osmand', [
    identifierProblem(request.params['id'] === undefined ? 'deviceid' : 'id', identifier),
  ]);
  const device = await osmandDevice(deps, 'osmand', {
    identifier,
    token,
    count: 1,
    // Traccar answers an unknown device of the query form with 400.
    unknown: () => badRequest('unknown device'),
  });
  await deps.pipeline.ingest(
    'osmand',
    storableItems(deps, 'osmand', [{ device, fix, path: '' }], 'drop', OSMAND_NAMES).items,
  );
}

type OwnTracksMessage = { _type: string } & Record<string, unknown>;

/** What the OwnTracks recorder answers: the other devices' last locations (and cards with names). */
async function friendsOf(pool: Pool, device: Device): Promise<OwnTracksMessage[]> {
  const res = await pool.query<{
    identifier: string;
    name: string;
    lat: number;
    lon: number;
    tst: number;
    speed: number | null;
  }>(
    `SELECT v.device_identifier AS identifier, v.name, ST_Y(s.point) AS lat, ST_X(s.point) AS lon,
            extract(epoch FROM s.ts)::bigint AS tst, s.speed_kmh AS speed
       FROM vehicle_state s JOIN vehicles v ON v.id = s.vehicle_id
      WHERE s.organization_id = $1 AND s.vehicle_id <> $2
      ORDER BY s.ts DESC LIMIT 100`,
    [device.organizationId, device.vehicleId],
  );
  return res.rows.flatMap((r) => {
    const tid =
      r.name
        .replace(/[^A-Za-z0-9]/g, '')
        .slice(-2)
        .toUpperCase() || 'XX';
    const topic = `owntracks/fleet/${r.identifier}`;
    return [
      { _type: 'card', name: r.name, tid, topic },
      {
        _type: 'location',
        lat: r.lat,
        lon: r.lon,
        tst: Number(r.tst),
        tid,
        topic,
        ...(r.speed !== null && { vel: Math.round(r.speed) }),
      },
    ];
  });
}
