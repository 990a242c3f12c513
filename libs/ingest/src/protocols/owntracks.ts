import type { ErrorDetail } from '@fleet/contracts';
import type { Pool } from 'pg';
import type { Device } from '../devices';
import { BASIC_CHALLENGE } from '../device-auth';
import { headingOf, nonNegative, num, parseTimestamp, percent, type RawFix } from '../fix';
import type { IngestItem } from '../pipeline';
import { identifierProblem, type FieldNames } from '../storable-fix';
import { isObject, join, MAX_ATTRIBUTES, refuse, refuseIdentifiers, storableItems, type HttpIngest } from './http';

/**
 * OwnTracks in HTTP mode, on `/api/v1/owntracks`: one JSON message or an array, under any Content-Type;
 * HTTP Basic auth with the device token as the password (any user name). Only `location` messages are
 * positions; the others (transition, waypoint, lwt, card, status…) are acknowledged. Fields storage
 * cannot hold are dropped. The answer is what the OwnTracks recorder answers: the organization's other
 * vehicles as cards and locations, so the app shows them as friends.
 */

/** Error paths in the protocol's own names (other fields are attributes under their own key). */
export const OWNTRACKS_NAMES: FieldNames = {
  speed: 'vel',
  heading: 'cog',
  altitude: 'alt',
  accuracy: 'acc',
  battery: 'batt',
  attributes: '',
};

const OWNTRACKS_KNOWN = new Set(['_type', 'lat', 'lon', 'tst', 'acc', 'alt', 'vel', 'cog', 'batt']);

/**
 * An OwnTracks HTTP-mode message. Only `_type: location` is a position; `vel` is km/h, `tst` epoch s,
 * `batt` percent; `tid`, `vac`, `bs`, `t`, `conn`, `topic` and the rest are kept as attributes.
 */
export function decodeOwnTracks(body: unknown): { type: string; fix?: RawFix } {
  if (!isObject(body) || typeof body['_type'] !== 'string') return { type: 'unknown' };
  const type = body['_type'];
  if (type !== 'location') return { type };
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (OWNTRACKS_KNOWN.has(key) || Object.keys(attributes).length >= MAX_ATTRIBUTES || key.length > 64) continue;
    if (['string', 'number', 'boolean'].includes(typeof value) || Array.isArray(value)) attributes[key] = value;
  }
  return {
    type,
    fix: {
      ts: parseTimestamp(num(body['tst'])),
      lat: num(body['lat']) ?? Number.NaN,
      lon: num(body['lon']) ?? Number.NaN,
      speedKmh: nonNegative(num(body['vel'])),
      heading: headingOf(num(body['cog'])),
      altitude: num(body['alt']),
      accuracy: nonNegative(num(body['acc'])),
      battery: percent(num(body['batt'])),
      attributes,
    },
  };
}

export type OwnTracksMessage = { _type: string } & Record<string, unknown>;

export interface OwnTracksRequest {
  /** The HTTP Basic password: the device token. */
  token: string | undefined;
  /** The body as read: parsed JSON, or text under any other Content-Type. */
  body: unknown;
  /** The `X-Limit-U` and `X-Limit-D` headers (the app's user and device names), kept as attributes. */
  limitUser?: string;
  limitDevice?: string;
}

/** Stages the request's location messages and answers the friends' positions. */
export async function acceptOwnTracks(
  ctx: HttpIngest & { pool: Pool },
  request: OwnTracksRequest,
): Promise<OwnTracksMessage[]> {
  const device = await ctx.auth.byToken('owntracks', request.token, BASIC_CHALLENGE);
  const body = jsonBody(request.body);
  if (body === undefined) {
    ctx.pipeline.reject('owntracks', 'invalid');
    throw refuse.invalid('expected an OwnTracks JSON message', [{ path: '(body)', message: 'required' }]);
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
    if (request.limitUser)
      decoded.fix.attributes = {
        ...decoded.fix.attributes,
        user: request.limitUser.slice(0, 64),
        ...(request.limitDevice && { device: request.limitDevice.slice(0, 64) }),
      };
    items.push({ device, fix: decoded.fix, path: at });
  });
  refuseIdentifiers(ctx, 'owntracks', identifiers, items.length);
  if (items.length)
    await ctx.pipeline.ingest('owntracks', storableItems(ctx, 'owntracks', items, 'drop', OWNTRACKS_NAMES).items);
  return friendsOf(ctx.pool, device);
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
    throw refuse.badRequest('request body is not valid JSON', [{ path: '(body)', message: 'not valid JSON' }]);
  }
}

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
