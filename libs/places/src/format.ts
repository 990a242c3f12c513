const COMPASS = ['N', 'NE', 'E', 'SE', 'S', 'SW', 'W', 'NW'] as const;
export type Compass = (typeof COMPASS)[number];

/** The 8-point compass direction of a bearing (degrees clockwise from north). */
export function compass8(bearingDeg: number): Compass {
  const normalized = ((bearingDeg % 360) + 360) % 360;
  return COMPASS[Math.round(normalized / 45) % 8];
}

/** Closer than this to a place's centre, the place's name alone. */
export const AT_PLACE_M = 100;

/**
 * "2.3 km NE of Alcobendas": the distance (one decimal under 10 km, whole km beyond) and the
 * direction from the place to the point; the name alone within AT_PLACE_M.
 */
export function formatNear(name: string, distanceM: number, bearingDeg: number): string {
  if (distanceM < AT_PLACE_M) return name;
  const km = distanceM / 1000;
  const shown = km < 9.95 ? km.toFixed(1) : String(Math.round(km));
  return `${shown} km ${compass8(bearingDeg)} of ${name}`;
}

/** A point with no place near it: its coordinates, 5 decimals (about a metre). */
export const formatCoordinates = (lat: number, lon: number) => `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
