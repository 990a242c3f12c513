/**
 * A vehicle's history as typed arrays, sorted by time: what the replay reads 60 times a second.
 * Built once from the API's GeoJSON (Point features with `ts`, or a LineString with `coordTimes`).
 */
export interface Track {
  length: number;
  t: Float64Array;
  lat: Float64Array;
  lon: Float64Array;
  /** NaN where the device did not say. */
  speedKmh: Float32Array;
  heading: Float32Array;
  accuracy: Float32Array;
  battery: Float32Array;
  /** Other properties of each point (attributes of the fix), null when none. */
  extra: (Record<string, unknown> | null)[];
}

interface RawPoint {
  t: number;
  lat: number;
  lon: number;
  props: Record<string, unknown>;
}

const KNOWN = new Set([
  'ts',
  'time',
  'timestamp',
  'speedKmh',
  'heading',
  'accuracy',
  'battery',
  'altitude',
  'vehicleId',
]);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const numberOr = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

function timeOf(props: Record<string, unknown>): number {
  const v = props['ts'] ?? props['time'] ?? props['timestamp'];
  if (typeof v === 'number') return v < 1e12 ? v * 1000 : v;
  if (typeof v === 'string') return Date.parse(v);
  return NaN;
}

function collect(feature: unknown, out: RawPoint[]) {
  if (!isObject(feature)) return;
  const props = isObject(feature['properties']) ? feature['properties'] : {};
  const geometry = feature['geometry'];
  if (!isObject(geometry) || !Array.isArray(geometry['coordinates'])) return;
  if (geometry['type'] === 'Point') {
    const [lon, lat] = geometry['coordinates'] as number[];
    out.push({ t: timeOf(props), lat, lon, props });
  } else if (geometry['type'] === 'LineString') {
    const coords = geometry['coordinates'] as number[][];
    const times = (props['coordTimes'] ?? props['times']) as unknown[] | undefined;
    coords.forEach(([lon, lat], i) => {
      const ts = times?.[i];
      out.push({ t: timeOf({ ts }), lat, lon, props: {} });
    });
  }
}

export function readTrack(geojson: unknown): Track {
  const raw: RawPoint[] = [];
  if (isObject(geojson) && Array.isArray(geojson['features'])) for (const f of geojson['features']) collect(f, raw);
  else collect(geojson, raw);
  const points = raw.filter((p) => Number.isFinite(p.t) && Number.isFinite(p.lat) && Number.isFinite(p.lon));
  points.sort((a, b) => a.t - b.t);
  const n = points.length;
  const track: Track = {
    length: n,
    t: new Float64Array(n),
    lat: new Float64Array(n),
    lon: new Float64Array(n),
    speedKmh: new Float32Array(n),
    heading: new Float32Array(n),
    accuracy: new Float32Array(n),
    battery: new Float32Array(n),
    extra: new Array(n),
  };
  points.forEach((p, i) => {
    track.t[i] = p.t;
    track.lat[i] = p.lat;
    track.lon[i] = p.lon;
    track.speedKmh[i] = numberOr(p.props['speedKmh']);
    track.heading[i] = numberOr(p.props['heading']);
    track.accuracy[i] = numberOr(p.props['accuracy']);
    track.battery[i] = numberOr(p.props['battery']);
    const attrs = isObject(p.props['attributes']) ? { ...p.props['attributes'] } : {};
    for (const [k, v] of Object.entries(p.props)) if (!KNOWN.has(k) && k !== 'attributes') attrs[k] = v;
    track.extra[i] = Object.keys(attrs).length ? attrs : null;
  });
  return track;
}

/** Index of the last point at or before `tMs` (0 before the first): a binary search, O(log n). */
export function indexAt(track: Track, tMs: number): number {
  let lo = 0;
  let hi = track.length - 1;
  if (hi < 0 || tMs <= track.t[0]) return 0;
  if (tMs >= track.t[hi]) return hi;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (track.t[mid] <= tMs) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export interface CursorPoint {
  index: number;
  tMs: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  heading: number | null;
  accuracy: number | null;
  battery: number | null;
  attributes: Record<string, unknown> | null;
}

const orNull = (v: number) => (Number.isNaN(v) ? null : v);

/** Longer than this without a fix, the vehicle is shown where it was, not slid along a straight line. */
export const INTERPOLATE_MAX_GAP_MS = 5 * 60_000;

/**
 * Where the vehicle was at `tMs`: between two fixes its position is interpolated (smooth replay),
 * its attributes are those of the last fix at or before the cursor.
 */
export function pointAt(track: Track, tMs: number): CursorPoint | null {
  if (track.length === 0) return null;
  const i = indexAt(track, tMs);
  let lat = track.lat[i];
  let lon = track.lon[i];
  const j = i + 1;
  if (j < track.length && tMs > track.t[i] && track.t[j] - track.t[i] <= INTERPOLATE_MAX_GAP_MS) {
    const f = (tMs - track.t[i]) / (track.t[j] - track.t[i]);
    lat += (track.lat[j] - lat) * f;
    lon += (track.lon[j] - lon) * f;
  }
  return {
    index: i,
    tMs: Math.min(Math.max(tMs, track.t[0]), track.t[track.length - 1]),
    lat,
    lon,
    speedKmh: orNull(track.speedKmh[i]),
    heading: orNull(track.heading[i]),
    accuracy: orNull(track.accuracy[i]),
    battery: orNull(track.battery[i]),
    attributes: track.extra[i],
  };
}

/** The track as Leaflet lat/lng pairs (for the polyline). */
export function latLngs(track: Track): [number, number][] {
  const out: [number, number][] = new Array(track.length);
  for (let i = 0; i < track.length; i++) out[i] = [track.lat[i], track.lon[i]];
  return out;
}
