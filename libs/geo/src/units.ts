import type { LatLon } from './types';

// Read once: this guards every fix of a history, and a global lookup is slow inside a vm context.
const { isFinite: finite } = Number;

export type SpeedUnit = 'kmh' | 'mps' | 'knots' | 'mph';

/** Metres per second in one of each unit (exact by definition: 1 knot = 1852 m/h, 1 mile = 1609.344 m). */
const MPS: Record<SpeedUnit, number> = {
  kmh: 1000 / 3600,
  mps: 1,
  knots: 1852 / 3600,
  mph: 1609.344 / 3600,
};

/** Converts a speed between km/h, m/s, knots and mph. */
export function convertSpeed(value: number, from: SpeedUnit, to: SpeedUnit): number {
  return from === to ? value : (value * MPS[from]) / MPS[to];
}

export const knotsToKmh = (knots: number) => convertSpeed(knots, 'knots', 'kmh');
export const kmhToKnots = (kmh: number) => convertSpeed(kmh, 'kmh', 'knots');
export const mpsToKmh = (mps: number) => mps * 3.6;
export const kmhToMps = (kmh: number) => kmh / 3.6;
export const mphToKmh = (mph: number) => convertSpeed(mph, 'mph', 'kmh');
export const kmhToMph = (kmh: number) => convertSpeed(kmh, 'kmh', 'mph');

export interface CoordinateOptions {
  /**
   * Refuse exactly 0,0 ("null island"): what many trackers send before their first fix. Off by
   * default because it is a real place; ingestion turns it on unless the fix says it is valid.
   */
  rejectNullIsland?: boolean;
}

/** A finite latitude in [-90, 90] and longitude in [-180, 180]. Accepts anything, so it can guard input. */
export function isValidCoordinate(value: unknown, options: CoordinateOptions = {}): value is LatLon {
  if (typeof value !== 'object' || value === null) return false;
  const { lat, lon } = value as { lat?: unknown; lon?: unknown };
  if (typeof lat !== 'number' || typeof lon !== 'number') return false;
  if (!finite(lat) || !finite(lon)) return false;
  if (lat < -90 || lat > 90 || lon < -180 || lon > 180) return false;
  return !(options.rejectNullIsland && lat === 0 && lon === 0);
}

/** A finite latitude in [-90, 90] (a check per field, for answers that name the field at fault). */
export const isLatitude = (value: unknown): value is number =>
  typeof value === 'number' && finite(value) && value >= -90 && value <= 90;

/** A finite longitude in [-180, 180]. */
export const isLongitude = (value: unknown): value is number =>
  typeof value === 'number' && finite(value) && value >= -180 && value <= 180;
