import { mpsToKmh } from '@fleet/geo';
import { headingOf, nonNegative, num, parseTimestamp, speedKmh, type RawFix } from '../fix';
import { identifierProblem, type FieldNames } from '../storable-fix';
import { isObject, percentFromFraction, refuse, refuseIdentifiers, storableItems, type HttpIngest } from './http';

/**
 * Traccar Client 9+: the OsmAnd endpoint with a JSON body (served by acceptOsmAnd, protocols/osmand.ts).
 * The identifier is the credential, with the device token when sent or required; an unknown device is a
 * 404, as Traccar answers it. Fields storage cannot hold are dropped (the app would resend the point
 * forever); the answer is an empty 200.
 */

/** Error paths in the protocol's own names. */
export const TRACCAR_NAMES: FieldNames = {
  speed: 'coords.speed',
  heading: 'coords.heading',
  altitude: 'coords.altitude',
  accuracy: 'coords.accuracy',
  battery: 'battery.level',
  attributes: 'extras',
};

/**
 * The JSON body of Traccar Client 9+: `device_id` and `location` (one object, or an array) with
 * `timestamp`, `coords.{latitude, longitude, accuracy, speed (m/s), heading, altitude}`,
 * `battery.{level (0–1), is_charging}`, `is_moving`, `odometer`, `event`, `mock`, and `extras` flattened
 * into attributes.
 */
export function decodeTraccarJson(body: unknown): { identifier?: string; fixes: RawFix[] } | undefined {
  if (!isObject(body) || !('location' in body || 'device_id' in body)) return undefined;
  const identifier =
    typeof body['device_id'] === 'string' || typeof body['device_id'] === 'number'
      ? String(body['device_id']).trim()
      : undefined;
  const locations = Array.isArray(body['location']) ? body['location'] : [body['location']];
  const fixes = locations.map((location): RawFix => {
    const loc = isObject(location) ? location : {};
    const coords = isObject(loc['coords']) ? loc['coords'] : {};
    const battery = isObject(loc['battery']) ? loc['battery'] : {};
    // `extras` (whatever the app adds) become attributes under their own names, as Traccar stores
    // them; the decoded fields below win a name clash. storableFix bounds them like any attributes.
    const extras = isObject(loc['extras']) ? loc['extras'] : {};
    const attributes: Record<string, unknown> = Object.fromEntries(Object.entries(extras));
    if (typeof loc['mock'] === 'boolean') attributes['mock'] = loc['mock'];
    if (typeof battery['is_charging'] === 'boolean') attributes['charge'] = battery['is_charging'];
    if (typeof loc['is_moving'] === 'boolean') attributes['motion'] = loc['is_moving'];
    const odometer = num(loc['odometer']);
    if (odometer !== undefined) attributes['odometer'] = odometer;
    if (typeof loc['event'] === 'string') attributes['event'] = loc['event'].slice(0, 64);
    if (isObject(loc['activity']) && typeof loc['activity']['type'] === 'string')
      attributes['activity'] = loc['activity']['type'];
    const level = num(battery['level']);
    return {
      ts: parseTimestamp(loc['timestamp']),
      lat: num(coords['latitude']) ?? Number.NaN,
      lon: num(coords['longitude']) ?? Number.NaN,
      speedKmh: speedKmh(coords['speed'], mpsToKmh),
      heading: headingOf(num(coords['heading'])),
      altitude: num(coords['altitude']),
      accuracy: nonNegative(num(coords['accuracy'])),
      battery: percentFromFraction(level),
      attributes,
    };
  });
  return { identifier, fixes };
}

/** Stages a Traccar Client JSON body, or throws the refusal Traccar would answer. */
export async function acceptTraccarJson(ctx: HttpIngest, json: unknown, token: string | undefined): Promise<void> {
  const decoded = decodeTraccarJson(json);
  if (!decoded?.identifier) {
    ctx.pipeline.reject('traccar_json', 'invalid');
    throw refuse.invalid('device_id is missing', [{ path: 'device_id', message: 'required' }]);
  }
  refuseIdentifiers(ctx, 'traccar_json', [identifierProblem('device_id', decoded.identifier)], decoded.fixes.length);
  const device = await ctx.auth.forOsmAnd('traccar_json', {
    identifier: decoded.identifier,
    token,
    count: decoded.fixes.length,
    unknown: () => refuse.notFound('device'),
  });
  const paths = decoded.fixes.length > 1;
  const items = decoded.fixes.map((fix, i) => ({ device, fix, path: paths ? `location.${i}` : 'location' }));
  await ctx.pipeline.ingest('traccar_json', storableItems(ctx, 'traccar_json', items, 'drop', TRACCAR_NAMES).items);
}
