/** A position in degrees on WGS84: latitude north, longitude east. */
export interface LatLon {
  lat: number;
  lon: number;
}

/** GeoJSON axis order (RFC 7946): longitude first, then latitude, then an optional altitude. */
export type LonLat = [lon: number, lat: number] | [lon: number, lat: number, alt: number];

/** GeoJSON bounding box order: `[west, south, east, north]` in degrees. */
export type BBox = [west: number, south: number, east: number, north: number];

/**
 * A fix as stored and exported: position plus the optional fields the platform keeps. `ts` is a
 * Date, epoch milliseconds or an ISO-8601 string; speed in km/h, heading and altitude as in
 * `@fleet/contracts` (degrees, metres), accuracy in metres.
 */
export interface TrackPoint extends LatLon {
  ts?: Date | number | string;
  altitude?: number | null;
  speedKmh?: number | null;
  heading?: number | null;
  accuracy?: number | null;
}

/**
 * Input the library refuses, with `path` naming what is wrong (`points.12.ts`, `gpx`, …), so an
 * API can answer 400 with a detail a client can act on instead of a 500.
 */
export class GeoInputError extends RangeError {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'GeoInputError';
  }
}
