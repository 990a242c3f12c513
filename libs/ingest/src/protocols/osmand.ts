import { basicCredentials } from '@fleet/auth';
import { DRIVER_UNIQUE_ID_ATTRIBUTE } from '@fleet/contracts';
import { knotsToKmh } from '@fleet/geo';
import { headingOf, nonNegative, num, parseTimestamp, percent, speedKmh, type RawFix } from '../fix';
import { identifierProblem, type FieldNames } from '../storable-fix';
import { MAX_ATTRIBUTES, refuse, refuseIdentifiers, storableItems, textAttribute, type HttpIngest } from './http';
import { acceptTraccarJson } from './traccar-json';

/**
 * The OsmAnd protocol (Traccar Client, OsmAnd, GPSLogger…), on `/api/v1/osmand` and on its own port at
 * any path: GET or POST, the fix in the query string or a form, or Traccar Client 9+'s JSON body
 * (protocols/traccar-json.ts). The identifier is the credential; the device token is needed when sent
 * or when the organization requires it. Fields storage cannot hold are dropped (the app would resend the
 * point forever); the answer is an empty 200.
 */

/** Error paths in the protocol's own names (unknown parameters are attributes under their own key). */
export const OSMAND_NAMES: FieldNames = { heading: 'bearing', battery: 'batt', attributes: '' };

const OSMAND_KNOWN = new Set([
  'id',
  'deviceid',
  'timestamp',
  'lat',
  'lon',
  'location',
  'speed',
  'bearing',
  'heading',
  'altitude',
  'accuracy',
  'batt',
  'valid',
]);

/**
 * The OsmAnd protocol as Traccar Client speaks it (query string or form): `id`/`deviceid`,
 * `timestamp` (epoch s or ms, ISO, `yyyy-MM-dd HH:mm:ss`; the server's clock when absent, as Traccar),
 * `lat`/`lon` or `location=lat,lon`, `speed` in knots, `bearing`/`heading`, `altitude`, `accuracy`,
 * `hdop`, `batt`, `charge`, `valid`; any other key becomes an attribute (`driverUniqueId`, the driver's
 * RFID / iButton identifier, as text).
 */
export function decodeOsmAnd(params: Record<string, string>, now: Date): { identifier?: string; fix: RawFix } {
  const identifier = (params['id'] ?? params['deviceid'])?.trim() || undefined;
  let lat = num(params['lat']);
  let lon = num(params['lon']);
  if (params['location'] !== undefined) {
    const [a, b] = params['location'].split(',');
    lat = num(a);
    lon = num(b);
  }
  const attributes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params)) {
    if (OSMAND_KNOWN.has(key) || Object.keys(attributes).length >= MAX_ATTRIBUTES || key.length > 64) continue;
    // A driver's card or key is an identifier, not a number: "00042" and 20-digit ids kept exact.
    attributes[key] = key === DRIVER_UNIQUE_ID_ATTRIBUTE ? value.trim().slice(0, 256) : textAttribute(value);
  }
  const valid = params['valid'] === undefined ? undefined : !['false', '0'].includes(params['valid'].toLowerCase());
  if (valid === false) attributes['valid'] = false;
  return {
    identifier,
    fix: {
      ts: params['timestamp'] === undefined ? now : parseTimestamp(params['timestamp']),
      lat: lat ?? Number.NaN,
      lon: lon ?? Number.NaN,
      speedKmh: speedKmh(params['speed'], knotsToKmh),
      heading: headingOf(num(params['bearing'] ?? params['heading'])),
      altitude: num(params['altitude']),
      accuracy: nonNegative(num(params['accuracy'])),
      battery: percent(num(params['batt'])),
      valid,
      attributes,
    },
  };
}

/**
 * The device token an OsmAnd request carries, if any: the `token` parameter (query string or form),
 * else the password of HTTP Basic auth (any user name), as Traccar Client can be configured to send.
 */
export function osmandToken(param: string | undefined, authorization: string | undefined): string | undefined {
  if (param) return param;
  return basicCredentials(authorization)?.password || undefined;
}

export interface OsmAndRequest {
  method: string;
  /** A parsed `application/json` body (Traccar Client 9+); undefined for the query and form. */
  json?: unknown;
  /** The query string and form, flattened (flattenParams); empty with a JSON body. */
  params: Record<string, string>;
  /** The `token` query parameter (JSON bodies; a form's is in params) and the Authorization header. */
  token?: string;
  authorization?: string;
}

/**
 * The OsmAnd protocol, whatever carries it (the API's route or the lean listener on port 5055):
 * resolves when the fix is staged, throws a Refusal with the status Traccar would answer.
 */
export async function acceptOsmAnd(ctx: HttpIngest, request: OsmAndRequest): Promise<void> {
  if (request.method !== 'GET' && request.method !== 'POST') throw refuse.methodNotAllowed('use GET or POST');
  // The device token, when sent (organizations with osmandTokenRequired need it): never an attribute.
  const { token: tokenParam, ...params } = request.params;
  const token = osmandToken(tokenParam ?? request.token, request.authorization);
  if (request.json !== undefined) return acceptTraccarJson(ctx, request.json, token);
  const { identifier, fix } = decodeOsmAnd(params, new Date());
  if (!identifier) {
    ctx.pipeline.reject('osmand', 'invalid');
    throw refuse.invalid('id is missing', [{ path: 'id', message: 'required' }]);
  }
  refuseIdentifiers(ctx, 'osmand', [
    identifierProblem(request.params['id'] === undefined ? 'deviceid' : 'id', identifier),
  ]);
  const device = await ctx.auth.forOsmAnd('osmand', {
    identifier,
    token,
    count: 1,
    // Traccar answers an unknown device of the query form with 400.
    unknown: () => refuse.badRequest('unknown device'),
  });
  await ctx.pipeline.ingest(
    'osmand',
    storableItems(ctx, 'osmand', [{ device, fix, path: '' }], 'drop', OSMAND_NAMES).items,
  );
}
