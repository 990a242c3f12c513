import type { HistoryFeatureCollection } from '@fleet/contracts';

/**
 * A vehicle's history as typed arrays, sorted by time: what the replay reads 60 times a second.
 * Built once from the API's GeoJSON answer (Point features with `ts`, checked by the client against
 * the contract's HistoryFeatureCollection).
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
  /** Metres, from the GeoJSON point's third coordinate (raw exports and simplified tracks carry it when the fixes have it). */
  altitude: Float32Array;
  /** The attributes of each fix, null when it had none. */
  extra: (Record<string, unknown> | null)[];
}

type Feature = HistoryFeatureCollection['features'][number];

const orNaN = (v: number | undefined) => (v === undefined ? NaN : v);

export function readTrack(history: HistoryFeatureCollection): Track {
  // The server answers oldest first; sorting again costs little and guards the binary search.
  const points: { t: number; feature: Feature }[] = [];
  for (const feature of history.features) {
    const [lon, lat] = feature.geometry.coordinates;
    const t = Date.parse(feature.properties.ts);
    if (Number.isFinite(t) && Number.isFinite(lat) && Number.isFinite(lon)) points.push({ t, feature });
  }
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
    altitude: new Float32Array(n),
    extra: new Array(n),
  };
  points.forEach(({ t, feature }, i) => {
    const p = feature.properties;
    track.t[i] = t;
    track.lon[i] = feature.geometry.coordinates[0];
    track.lat[i] = feature.geometry.coordinates[1];
    track.speedKmh[i] = orNaN(p.speedKmh);
    track.heading[i] = orNaN(p.heading);
    track.accuracy[i] = orNaN(p.accuracy);
    track.battery[i] = orNaN(p.battery);
    const altitude = feature.geometry.coordinates[2];
    track.altitude[i] = Number.isFinite(altitude) ? altitude : NaN;
    track.extra[i] = p.attributes && Object.keys(p.attributes).length ? p.attributes : null;
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
