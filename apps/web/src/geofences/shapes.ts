import { GEOFENCE_LIMITS, type Geofence, type GeofenceInput } from '@fleet/contracts';

/** What a drawn layer is, in the API's terms (without the name). */
export type DrawnShape =
  | { kind: 'polygon'; polygon: { type: 'Polygon'; coordinates: number[][][] } }
  | { kind: 'circle'; center: { lat: number; lon: number }; radiusM: number };

/**
 * A drawn shape as the API's geofence input, or the i18n key of why it cannot be one (too small or
 * large a circle, a polygon with too few corners or too many vertices).
 */
export function shapeInput(name: string, shape: DrawnShape): GeofenceInput | { error: string } {
  if (shape.kind === 'circle') {
    if (!(shape.radiusM >= GEOFENCE_LIMITS.minRadiusM)) return { error: 'geofences.circleTooSmall' };
    if (shape.radiusM > GEOFENCE_LIMITS.maxRadiusM) return { error: 'geofences.circleTooLarge' };
    return {
      name: name.trim(),
      kind: 'circle',
      center: shape.center,
      radiusM: Math.round(shape.radiusM * 10) / 10,
      attributes: {},
    };
  }
  const rings = shape.polygon.coordinates.map(closeRing);
  if (!rings.length || distinct(rings[0]) < 3) return { error: 'geofences.polygonTooSmall' };
  if (rings.reduce((n, r) => n + r.length, 0) > GEOFENCE_LIMITS.maxVertices)
    return { error: 'geofences.polygonTooLarge' };
  return { name: name.trim(), kind: 'polygon', polygon: { type: 'Polygon', coordinates: rings }, attributes: {} };
}

type Position = [number, number];

function closeRing(ring: number[][]): Position[] {
  const r = ring.map(([lon, lat]): Position => [lon, lat]);
  const [first, last] = [r[0], r[r.length - 1]];
  if (first && last && (first[0] !== last[0] || first[1] !== last[1])) r.push([first[0], first[1]]);
  return r;
}

const distinct = (ring: number[][]) => new Set(ring.map(([lon, lat]) => `${lon},${lat}`)).size;

/** Leaflet's [lat, lng] rings of a stored geofence's polygon (GeoJSON is [lon, lat]). */
export const polygonLatLngs = (g: Pick<Geofence, 'geometry'>): [number, number][][] =>
  g.geometry.coordinates.map((ring) => ring.map(([lon, lat]) => [lat, lon] as [number, number]));
