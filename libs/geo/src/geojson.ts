import { fixed } from './format';
import { toEpochMs } from './time';
import { GeoInputError, type LonLat, type TrackPoint } from './types';
import { isValidCoordinate } from './units';

export interface PointGeometry {
  type: 'Point';
  coordinates: LonLat;
}
export interface LineStringGeometry {
  type: 'LineString';
  coordinates: LonLat[];
}
export type GeoJsonProperties = Record<string, unknown>;
export interface Feature<G = PointGeometry | LineStringGeometry, P extends GeoJsonProperties = GeoJsonProperties> {
  type: 'Feature';
  geometry: G;
  properties: P;
}
export interface FeatureCollection<G = PointGeometry | LineStringGeometry> {
  type: 'FeatureCollection';
  features: Feature<G>[];
}

/** Options shared by the encoders: extra properties per point (vehicle id, battery…). */
export interface PointEncodeOptions<T extends TrackPoint> {
  properties?: (point: T, index: number) => GeoJsonProperties;
}

const present = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

function position(p: TrackPoint, path: string): LonLat {
  if (!isValidCoordinate(p)) throw new GeoInputError(path, 'lat/lon missing or out of range');
  return present(p.altitude) ? [p.lon, p.lat, p.altitude] : [p.lon, p.lat];
}

const iso = (ts: Date | number | string, path: string) => new Date(toEpochMs(ts, `${path}.ts`)).toISOString();

/** The fields a point carries besides its position, as GeoJSON properties (`ts` in ISO-8601). */
function pointProperties(p: TrackPoint, path: string): GeoJsonProperties {
  const props: GeoJsonProperties = {};
  if (p.ts !== undefined) props['ts'] = iso(p.ts, path);
  if (present(p.speedKmh)) props['speedKmh'] = p.speedKmh;
  if (present(p.heading)) props['heading'] = p.heading;
  if (present(p.accuracy)) props['accuracy'] = p.accuracy;
  return props;
}

/** One fix as a Point Feature. */
export function toPointFeature<T extends TrackPoint>(
  point: T,
  extra: GeoJsonProperties = {},
  path = 'point',
): Feature<PointGeometry> {
  return {
    type: 'Feature',
    geometry: { type: 'Point', coordinates: position(point, path) },
    properties: { ...pointProperties(point, path), ...extra },
  };
}

/** Fixes as a FeatureCollection of Points, one Feature each. */
export function toFeatureCollection<T extends TrackPoint>(
  points: Iterable<T>,
  options: PointEncodeOptions<T> = {},
): FeatureCollection<PointGeometry> {
  const features: Feature<PointGeometry>[] = [];
  let i = 0;
  for (const p of points) {
    features.push(toPointFeature(p, options.properties?.(p, i) ?? {}, `points.${i}`));
    i++;
  }
  return { type: 'FeatureCollection', features };
}

/**
 * A track as one LineString Feature. Times go into `properties.coordTimes` (the convention of
 * Mapbox's togeojson, read by most tools) when every point has one; altitude as a third coordinate.
 */
export function toLineString(
  track: Iterable<TrackPoint>,
  properties: GeoJsonProperties = {},
): Feature<LineStringGeometry> {
  const coordinates: LonLat[] = [];
  const times: string[] = [];
  let allTimed = true;
  let i = 0;
  for (const p of track) {
    coordinates.push(position(p, `points.${i}`));
    if (p.ts === undefined) allTimed = false;
    else times.push(iso(p.ts, `points.${i}`));
    i++;
  }
  return {
    type: 'Feature',
    geometry: { type: 'LineString', coordinates },
    properties: allTimed && times.length ? { ...properties, coordTimes: times } : { ...properties },
  };
}

/**
 * A FeatureCollection of Point features as string chunks, in one pass: the streamed GeoJSON export
 * of a history of any length. Coordinates keep 7 decimals (1 cm).
 */
export async function* encodeGeoJsonPoints<T extends TrackPoint>(
  points: AsyncIterable<T> | Iterable<T>,
  options: PointEncodeOptions<T> & { pointsPerChunk?: number } = {},
): AsyncGenerator<string> {
  const size = Math.max(1, Math.floor(options.pointsPerChunk ?? 500));
  let chunk = '{"type":"FeatureCollection","features":[';
  let i = 0;
  let n = 0;
  for await (const p of points) {
    const path = `points.${i}`;
    const [lon, lat, alt] = position(p, path);
    const coords = `${fixed(lon, 7)},${fixed(lat, 7)}${alt === undefined ? '' : ',' + fixed(alt, 2)}`;
    const props = { ...pointProperties(p, path), ...options.properties?.(p, i) };
    chunk += `${i ? ',' : ''}\n{"type":"Feature","geometry":{"type":"Point","coordinates":[${coords}]},"properties":${JSON.stringify(props)}}`;
    i++;
    if (++n >= size) {
      yield chunk;
      chunk = '';
      n = 0;
    }
  }
  yield chunk + '\n]}\n';
}

// --- Decoding --------------------------------------------------------------------------------------

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function readPosition(value: unknown, path: string): TrackPoint {
  if (!Array.isArray(value) || value.length < 2 || value.length > 3 || !value.every((n) => typeof n === 'number'))
    throw new GeoInputError(path, 'must be a position [lon, lat] or [lon, lat, altitude]');
  const [lon, lat, altitude] = value as [number, number, number?];
  const p: TrackPoint = { lat, lon };
  if (!isValidCoordinate(p))
    throw new GeoInputError(path, 'longitude must be in [-180, 180] and latitude in [-90, 90]');
  if (altitude !== undefined) {
    if (!Number.isFinite(altitude)) throw new GeoInputError(path, 'altitude must be a finite number');
    p.altitude = altitude;
  }
  return p;
}

function readTime(value: unknown, path: string): Date {
  if (typeof value !== 'string' && typeof value !== 'number') throw new GeoInputError(path, 'must be an ISO-8601 time');
  return new Date(toEpochMs(value, path));
}

function readNumber(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new GeoInputError(path, 'must be a finite number');
  return value;
}

/** Known fields of a Point's properties; anything else is left to the caller. */
function applyProperties(p: TrackPoint, props: Record<string, unknown>, path: string): void {
  const ts = props['ts'] ?? props['time'] ?? props['timestamp'];
  if (ts !== undefined && ts !== null) p.ts = readTime(ts, `${path}.ts`);
  for (const key of ['speedKmh', 'heading', 'accuracy'] as const) {
    const v = props[key];
    if (v !== undefined && v !== null) p[key] = readNumber(v, `${path}.${key}`);
  }
}

function readFeature(f: unknown, path: string, out: TrackPoint[]): void {
  if (!isObject(f) || f['type'] !== 'Feature') throw new GeoInputError(path, 'must be a Feature');
  const props = f['properties'] ?? {};
  if (!isObject(props)) throw new GeoInputError(`${path}.properties`, 'must be an object or null');
  readGeometry(f['geometry'], `${path}.geometry`, props, `${path}.properties`, out);
}

function readGeometry(
  g: unknown,
  path: string,
  props: Record<string, unknown>,
  propsPath: string,
  out: TrackPoint[],
): void {
  if (!isObject(g)) throw new GeoInputError(path, 'must be a Point or LineString geometry');
  if (g['type'] === 'Point') {
    const p = readPosition(g['coordinates'], `${path}.coordinates`);
    applyProperties(p, props, propsPath);
    out.push(p);
  } else if (g['type'] === 'LineString') {
    const coords = g['coordinates'];
    if (!Array.isArray(coords)) throw new GeoInputError(`${path}.coordinates`, 'must be an array of positions');
    const times = props['coordTimes'] ?? props['times'];
    if (times !== undefined && (!Array.isArray(times) || times.length !== coords.length))
      throw new GeoInputError(`${propsPath}.coordTimes`, 'must have one time per coordinate');
    coords.forEach((c, i) => {
      const p = readPosition(c, `${path}.coordinates.${i}`);
      if (Array.isArray(times)) p.ts = readTime(times[i], `${propsPath}.coordTimes.${i}`);
      out.push(p);
    });
  } else {
    throw new GeoInputError(`${path}.type`, 'must be Point or LineString');
  }
}

/**
 * Fixes from GeoJSON: a FeatureCollection or Feature of Points (properties `ts`, `speedKmh`,
 * `heading`, `accuracy`) or of a LineString (times from `coordTimes`), or a bare geometry. Accepts
 * the parsed object or JSON text; throws GeoInputError with the path of the first problem.
 */
export function decodeGeoJson(input: unknown): TrackPoint[] {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch {
      throw new GeoInputError('geojson', 'is not valid JSON');
    }
  }
  const out: TrackPoint[] = [];
  if (!isObject(value)) throw new GeoInputError('geojson', 'must be a GeoJSON object');
  if (value['type'] === 'FeatureCollection') {
    const features = value['features'];
    if (!Array.isArray(features)) throw new GeoInputError('features', 'must be an array');
    features.forEach((f, i) => readFeature(f, `features.${i}`, out));
  } else if (value['type'] === 'Feature') {
    readFeature(value, 'feature', out);
  } else {
    readGeometry(value, 'geometry', {}, 'properties', out);
  }
  return out;
}
