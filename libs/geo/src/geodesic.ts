import { Constants, Geodesic } from 'geographiclib-geodesic';
import type { LatLon } from './types';

// Math and Number read once: inside a vm context (jest runs every suite in one) each global lookup
// goes through an interceptor and costs more than the arithmetic of these loops.
const { abs, cos, sin, sqrt, PI } = Math;

// Every exact answer comes from GeographicLib (Karney 2013): accurate to round-off on WGS84, for any
// pair of points, including nearly antipodal ones where Vincenty's method fails to converge.
const wgs84 = Geodesic.WGS84;
const DISTANCE = Geodesic.DISTANCE;
const DISTANCE_AZIMUTH = Geodesic.DISTANCE | Geodesic.AZIMUTH;
const POSITION = Geodesic.LATITUDE | Geodesic.LONGITUDE;

const normalizeBearing = (deg: number) => {
  const b = deg % 360;
  return b < 0 ? b + 360 : b === 360 ? 0 : b;
};

/** Longitude folded into [-180, 180). */
export const normalizeLon = (lon: number) => {
  const l = (((lon + 180) % 360) + 360) % 360;
  return l - 180;
};

export interface Inverse {
  distanceM: number;
  /** Direction of travel at the start, degrees clockwise from north in [0, 360). */
  initialBearingDeg: number;
  /** Direction of travel on arrival, degrees clockwise from north in [0, 360). */
  finalBearingDeg: number;
}

/** Geodesic distance and bearings between two points on WGS84 (GeographicLib's inverse problem). */
export function inverse(a: LatLon, b: LatLon): Inverse {
  const r = wgs84.Inverse(a.lat, a.lon, b.lat, b.lon, DISTANCE_AZIMUTH);
  return {
    distanceM: r.s12 ?? Number.NaN,
    initialBearingDeg: normalizeBearing(r.azi1 ?? Number.NaN),
    finalBearingDeg: normalizeBearing(r.azi2 ?? Number.NaN),
  };
}

/** Shortest distance in metres along the WGS84 ellipsoid. */
export function distanceM(a: LatLon, b: LatLon): number {
  return wgs84.Inverse(a.lat, a.lon, b.lat, b.lon, DISTANCE).s12 ?? Number.NaN;
}

/** Initial bearing (forward azimuth) from `a` towards `b`, degrees clockwise from north in [0, 360). */
export function initialBearingDeg(a: LatLon, b: LatLon): number {
  return inverse(a, b).initialBearingDeg;
}

/** The point reached travelling `distanceM` metres from `origin` along the geodesic with `bearingDeg`. */
export function destination(origin: LatLon, bearingDeg: number, distanceM: number): LatLon {
  const r = wgs84.Direct(origin.lat, origin.lon, bearingDeg, distanceM, POSITION);
  return { lat: r.lat2 ?? Number.NaN, lon: normalizeLon(r.lon2 ?? Number.NaN) };
}

// --- Fast distance between nearby fixes ----------------------------------------------------------
// GeographicLib's inverse costs ~1.4 µs; a month of 1 Hz fixes is 2.6 million hops. For points a few
// kilometres apart the ellipsoid is locally flat: scaling the latitude and longitude differences by
// the meridional (M) and prime-vertical (N) radii of curvature at the mid-latitude stays within one
// part per million of the geodesic up to 5 km below 80° of latitude (checked against GeographicLib
// in geodesic.spec.ts). Anything longer or closer to a pole goes to GeographicLib.
const A = Constants.WGS84.a;
const E2 = Constants.WGS84.f * (2 - Constants.WGS84.f);
const RAD = PI / 180;
/** Beyond this the flat approximation is not trusted and GeographicLib answers. */
const FAST_LIMIT_M = 5_000;
const FAST_MAX_LAT = 80;

/** Metres per degree of latitude and of longitude at a latitude (degrees), on WGS84. */
export function metresPerDegree(latDeg: number): { lat: number; lon: number } {
  const s = sin(latDeg * RAD);
  const w = 1 - E2 * s * s;
  const n = A / sqrt(w);
  const m = (A * (1 - E2)) / (w * sqrt(w));
  return { lat: m * RAD, lon: n * cos(latDeg * RAD) * RAD };
}

/** Longitude difference b − a in degrees, folded into [-180, 180] so tracks crossing ±180° work. */
export const lonDelta = (aLon: number, bLon: number) => {
  let d = bLon - aLon;
  if (d > 180) d -= 360;
  else if (d < -180) d += 360;
  return d;
};

/**
 * Distance in metres between two fixes, fast for nearby points (consecutive GPS fixes, a point and
 * a stop's centre) and exact (GeographicLib) for far ones. Use `distanceM` when one call is all.
 */
export function fastDistanceM(a: LatLon, b: LatLon): number {
  const midLat = (a.lat + b.lat) / 2;
  if (abs(midLat) < FAST_MAX_LAT) {
    const k = metresPerDegree(midLat);
    const dy = (b.lat - a.lat) * k.lat;
    const dx = lonDelta(a.lon, b.lon) * k.lon;
    const d = sqrt(dx * dx + dy * dy);
    if (d <= FAST_LIMIT_M) return d;
  }
  return distanceM(a, b);
}

/** Length in metres of a path through the points, in order. */
export function pathLengthM(points: readonly LatLon[]): number {
  let total = 0;
  for (let i = 1; i < points.length; i++) total += fastDistanceM(points[i - 1], points[i]);
  return total;
}
