import { IngestRequest, type ErrorDetail, type GpxImportResult, type PositionInput } from '@fleet/contracts';
import express, { Router, type Request, type RequestHandler, type Response } from 'express';
import type { Pool } from 'pg';
import type { TokenService } from '@fleet/auth';
import { AppError, notFound, zodDetails } from '../errors';
import { isUuid } from '../sql';
import type { Device, DeviceDirectory } from '../ingest/devices';
import { parseTimestamp, type RawFix } from '../ingest/fix';
import { readGpx } from '../ingest/gpx';
import type { IngestItem, IngestPipeline } from '../ingest/pipeline';
import { decodeOsmAnd, decodeOverland, decodeOwnTracks, decodeTraccarJson, flattenParams } from '../ingest/protocols';

export interface IngestRouteDeps {
  pipeline: IngestPipeline;
  devices: DeviceDirectory;
  pool: Pool;
  bodyLimit: string;
  gpxMaxBytes: number;
  /** Verifies signed-in users (GPX upload by an operator). */
  tokens: TokenService;
}

function bearerToken(req: Request): string | undefined {
  const header = req.get('authorization');
  const match = header && /^Bearer\s+(\S+)$/i.exec(header);
  return match ? match[1] : undefined;
}

function basicCredentials(req: Request): { user: string; password: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(req.get('authorization') ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const unauthorized = (message: string, headers?: Record<string, string>) =>
  new AppError(401, 'unauthorized', message, undefined, headers);
const disabled = () => new AppError(403, 'forbidden', 'this device is disabled: its positions are refused');

/** The device a token belongs to, or a 401/403 that says why not. */
async function deviceForToken(
  deps: IngestRouteDeps,
  protocol: string,
  token: string | undefined,
  challenge?: Record<string, string>,
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

const looksLikeJwt = (token: string | undefined) => token !== undefined && /^eyJ[\w-]*\.[\w-]+\.[\w-]*$/.test(token);

/** The device of a vehicle the signed-in user may write to (admin or operator of its organization). */
async function deviceForUser(deps: IngestRouteDeps, token: string, vehicleId: string): Promise<Device> {
  let claims;
  try {
    claims = await deps.tokens.verify(token);
  } catch {
    throw unauthorized('access token invalid or expired', { 'WWW-Authenticate': 'Bearer realm="fleet"' });
  }
  if (claims.role === 'viewer') throw new AppError(403, 'forbidden', 'needs the role admin or operator');
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

export function ingestRoutes(deps: IngestRouteDeps): Router {
  const router = Router();
  const form = express.urlencoded({ extended: false, limit: deps.bodyLimit, parameterLimit: 200 });

  // Our own JSON: one position, an array, or {positions: [...]}; a device token authorises it.
  router.post('/positions', async (req, res) => {
    const device = await deviceForToken(deps, 'json', bearerToken(req));
    const parsed = IngestRequest.safeParse(req.body);
    if (!parsed.success) {
      deps.pipeline.reject('json', 'invalid', Array.isArray(req.body) ? req.body.length : 1);
      throw new AppError(400, 'validation_failed', 'request is not valid', zodDetails(parsed.error));
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
      throw new AppError(403, 'forbidden', 'positions for another vehicle cannot be sent with this token', mismatches);
    }
    const { accepted, batchId } = await deps.pipeline.ingest('json', items);
    res.status(202).json({ accepted, batchId });
  });

  // OsmAnd / Traccar Client: the identifier is the credential. Also served on its own port at `/`.
  router.all('/osmand', form, osmandHandler(deps));

  // OwnTracks HTTP mode: Basic auth with the device token as password; answers friends' positions.
  router.post('/owntracks', async (req, res) => {
    const challenge = { 'WWW-Authenticate': 'Basic realm="fleet", charset="UTF-8"' };
    const device = await deviceForToken(deps, 'owntracks', basicCredentials(req)?.password, challenge);
    const messages: unknown[] = Array.isArray(req.body) ? req.body : [req.body];
    const items: IngestItem[] = [];
    messages.forEach((message, i) => {
      const decoded = decodeOwnTracks(message);
      if (!decoded.fix) return; // transition, waypoint, lwt, card, status…: acknowledged, not positions
      const user = req.get('x-limit-u');
      const dev = req.get('x-limit-d');
      if (user)
        decoded.fix.attributes = {
          ...decoded.fix.attributes,
          user: user.slice(0, 64),
          ...(dev && { device: dev.slice(0, 64) }),
        };
      items.push({ device, fix: decoded.fix, path: messages.length > 1 ? String(i) : '' });
    });
    if (items.length) await deps.pipeline.ingest('owntracks', items);
    res.status(200).json(await friendsOf(deps.pool, device));
  });

  // Overland: GeoJSON batch, bearer token (or ?token=); skips bad points so the app never loops on them.
  router.post('/overland', async (req, res) => {
    const token = bearerToken(req) ?? (typeof req.query['token'] === 'string' ? req.query['token'] : undefined);
    const device = await deviceForToken(deps, 'overland', token);
    const decoded = decodeOverland(req.body);
    if (!decoded) {
      deps.pipeline.reject('overland', 'invalid');
      throw new AppError(400, 'validation_failed', 'expected {"locations": [GeoJSON Point features]}', [
        { path: 'locations', message: 'missing or not an array' },
      ]);
    }
    const items = decoded.fixes.map(({ deviceId, fix }, i) => ({
      device,
      fix: deviceId ? { ...fix, attributes: { ...fix.attributes, device_id: deviceId.slice(0, 64) } } : fix,
      path: `locations.${i}`,
    }));
    if (items.length) await deps.pipeline.ingest('overland', items, { partial: true });
    res.status(200).json({ result: 'ok' });
  });

  // GPX upload, streamed: staged in batches of 1,000 points as the file is read.
  // GPX upload: by the vehicle's own device token, or by a signed-in admin or operator of its organization.
  router.post('/vehicles/:id/import', async (req, res) => {
    const token = bearerToken(req);
    const vehicleId = req.params['id'] as string;
    const device = looksLikeJwt(token)
      ? await deviceForUser(deps, token!, vehicleId)
      : await deviceForToken(deps, 'gpx', token);
    if (device.vehicleId !== vehicleId) throw notFound('vehicle');
    const declared = Number(req.get('content-length') ?? 0);
    if (declared > deps.gpxMaxBytes)
      throw new AppError(413, 'payload_too_large', `GPX files up to ${deps.gpxMaxBytes} bytes`);
    const result = await importGpx(deps, device, req);
    res.status(result.imported > 0 ? 202 : 200).json(result);
  });

  return router;
}

async function importGpx(deps: IngestRouteDeps, device: Device, req: Request): Promise<GpxImportResult> {
  const result: GpxImportResult = { imported: 0, skipped: 0, batches: 0, skippedReasons: {} };
  const skip = (reason: string, n = 1) => {
    result.skipped += n;
    result.skippedReasons[reason] = (result.skippedReasons[reason] ?? 0) + n;
  };
  let bytes = 0;
  async function* limited() {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > deps.gpxMaxBytes)
        throw new AppError(413, 'payload_too_large', `GPX files up to ${deps.gpxMaxBytes} bytes`);
      yield chunk;
    }
  }
  let batch: IngestItem[] = [];
  const flush = async () => {
    if (!batch.length) return;
    const { accepted, rejected } = await deps.pipeline.ingest('gpx', batch, { partial: true }).catch((err: unknown) => {
      if (err instanceof AppError && err.code === 'validation_failed')
        return { accepted: 0, rejected: err.details ?? [] };
      throw err;
    });
    const invalidPoints = new Set(rejected.map((e) => e.path.split('.')[0])).size;
    if (invalidPoints) skip('invalid', invalidPoints);
    result.imported += accepted;
    if (accepted) result.batches += 1;
    batch = [];
  };
  for await (const item of readGpx(limited())) {
    if (item.kind === 'error') {
      if (result.imported === 0 && batch.length === 0) throw new AppError(400, 'bad_request', item.message);
      skip('truncated_xml');
      break;
    }
    if (!item.fix.ts) {
      skip('no_time');
      continue;
    }
    batch.push({ device, fix: item.fix, path: `trkpt${item.index}` });
    if (batch.length >= 1000) await flush();
  }
  await flush();
  return result;
}

function osmandHandler(deps: IngestRouteDeps): RequestHandler {
  return async (req: Request, res: Response) => {
    const json = req.is('application/json') ? req.body : undefined;
    await acceptOsmAnd(deps, {
      method: req.method,
      json,
      params: json === undefined ? flattenParams(req.query, req.body) : {},
    });
    res.status(200).end();
  };
}

/**
 * The OsmAnd protocol, whatever carries it (the express route or the lean listener on port 5055):
 * resolves when the fix is staged, throws an AppError with the status Traccar would answer.
 */
export async function acceptOsmAnd(
  deps: Pick<IngestRouteDeps, 'pipeline' | 'devices'>,
  request: { method: string; json?: unknown; params: Record<string, string> },
): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'POST')
    throw new AppError(405, 'method_not_allowed', 'use GET or POST');
  if (request.json !== undefined) {
    // Traccar Client 9+: JSON body; an unknown device is a 404, as Traccar answers it.
    const decoded = decodeTraccarJson(request.json);
    if (!decoded?.identifier) {
      deps.pipeline.reject('traccar_json', 'invalid');
      throw new AppError(400, 'validation_failed', 'device_id is missing', [
        { path: 'device_id', message: 'required' },
      ]);
    }
    const device = await deps.devices.byIdentifier(decoded.identifier);
    if (!device) {
      deps.pipeline.reject('traccar_json', 'unknown_device', decoded.fixes.length);
      throw new AppError(404, 'not_found', 'unknown device');
    }
    if (device.disabled) {
      deps.pipeline.reject('traccar_json', 'disabled_device', decoded.fixes.length);
      throw disabled();
    }
    const paths = decoded.fixes.length > 1;
    await deps.pipeline.ingest(
      'traccar_json',
      decoded.fixes.map((fix, i) => ({ device, fix, path: paths ? `location.${i}` : 'location' })),
    );
    return;
  }
  const { identifier, fix } = decodeOsmAnd(request.params, new Date());
  if (!identifier) {
    deps.pipeline.reject('osmand', 'invalid');
    throw new AppError(400, 'validation_failed', 'id is missing', [{ path: 'id', message: 'required' }]);
  }
  const device = await deps.devices.byIdentifier(identifier);
  if (!device) {
    // Traccar answers an unknown device of the query form with 400.
    deps.pipeline.reject('osmand', 'unknown_device');
    throw new AppError(400, 'bad_request', 'unknown device');
  }
  if (device.disabled) {
    deps.pipeline.reject('osmand', 'disabled_device');
    throw disabled();
  }
  await deps.pipeline.ingest('osmand', [{ device, fix, path: '' }]);
}

/** What the OwnTracks recorder answers: the other devices' last locations (and cards with names). */
async function friendsOf(pool: Pool, device: Device): Promise<unknown[]> {
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
