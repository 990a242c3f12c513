import type { RawFix } from './fix';
import { knotsToKmh, mpsToKmh } from '@fleet/geo';
import { headingOf, nonNegative, num, parseTimestamp, percent, speedKmh } from './fix';

const MAX_ATTRIBUTES = 50;

/** Battery levels sent as a 0–1 fraction (Traccar Client JSON, Overland) as a percentage. */
const percentFromFraction = (level: number | undefined) =>
  level !== undefined && level >= 0 && level <= 1 ? Math.round(level * 1000) / 10 : undefined;
type Params = Record<string, unknown>;

/** Query-string and form values: the first of repeated keys, as a string. */
export function flattenParams(...sources: unknown[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const source of sources) {
    if (!source || typeof source !== 'object' || Array.isArray(source)) continue;
    for (const [key, value] of Object.entries(source as Params)) {
      const first = Array.isArray(value) ? value[0] : value;
      if (typeof first === 'string' || typeof first === 'number' || typeof first === 'boolean')
        out[key] = String(first);
    }
  }
  return out;
}

/** Unknown keys are kept as attributes, typed the way Traccar would (number, boolean, text). */
function attribute(value: string): unknown {
  if (value === 'true' || value === 'false') return value === 'true';
  const n = num(value);
  return n !== undefined && !/^0\d/.test(value) ? n : value.slice(0, 256);
}

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
 * `hdop`, `batt`, `charge`, `valid`; any other key becomes an attribute.
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
    attributes[key] = attribute(value);
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

const isObject = (v: unknown): v is Params => typeof v === 'object' && v !== null && !Array.isArray(v);

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

/**
 * Overland's batch: `{"locations": [GeoJSON Point features]}` with `properties.timestamp`, `speed`
 * (m/s), `altitude`, `horizontal_accuracy`, `battery_level` (0–1), `course`, `device_id`…
 */
export function decodeOverland(body: unknown): { fixes: Array<{ deviceId?: string; fix: RawFix }> } | undefined {
  if (!isObject(body) || !Array.isArray(body['locations'])) return undefined;
  return {
    fixes: body['locations'].map((feature) => {
      const f = isObject(feature) ? feature : {};
      const geometry = isObject(f['geometry']) ? f['geometry'] : {};
      const coordinates =
        geometry['type'] === 'Point' && Array.isArray(geometry['coordinates']) ? geometry['coordinates'] : [];
      const props = isObject(f['properties']) ? f['properties'] : {};
      const attributes: Record<string, unknown> = {};
      for (const key of [
        'motion',
        'battery_state',
        'wifi',
        'vertical_accuracy',
        'speed_accuracy',
        'activity',
        'pauses',
        'deferred',
        'significant_change',
        'locations_in_payload',
      ]) {
        if (props[key] !== undefined) attributes[key] = props[key];
      }
      const level = num(props['battery_level']);
      return {
        deviceId: typeof props['device_id'] === 'string' ? props['device_id'] : undefined,
        fix: {
          ts: parseTimestamp(props['timestamp']),
          lat: num(coordinates[1]) ?? Number.NaN,
          lon: num(coordinates[0]) ?? Number.NaN,
          speedKmh: speedKmh(props['speed'], mpsToKmh),
          heading: headingOf(num(props['course'])),
          altitude: num(props['altitude']),
          accuracy: nonNegative(num(props['horizontal_accuracy'])),
          battery: percentFromFraction(level),
          attributes,
        },
      };
    }),
  };
}
