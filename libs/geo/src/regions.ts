import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { destination, distanceM } from './geodesic';
import { GeoInputError, type LatLon, type LonLat } from './types';

/** GeoJSON Polygon: the first ring is the outline, the others are holes; rings are closed. */
export interface Polygon {
  type: 'Polygon';
  coordinates: LonLat[][];
}
export interface MultiPolygon {
  type: 'MultiPolygon';
  coordinates: LonLat[][][];
}

/**
 * Whether the point lies inside the polygon and outside its holes (turf, with robust predicates).
 * Edges are straight lines in longitude/latitude, as PostGIS `ST_Contains` treats a 4326 geometry,
 * so geofences stored in the database and tested here agree. `boundary: 'outside'` counts a point
 * exactly on an edge as outside (default inside).
 */
export function pointInPolygon(
  point: LatLon,
  polygon: Polygon | MultiPolygon,
  options: { boundary?: 'inside' | 'outside' } = {},
): boolean {
  return booleanPointInPolygon([point.lon, point.lat], polygon, { ignoreBoundary: options.boundary === 'outside' });
}

/** Whether the point is within `radiusM` metres (geodesic, edge included) of the centre. */
export function pointInCircle(point: LatLon, center: LatLon, radiusM: number): boolean {
  return distanceM(point, center) <= radiusM;
}

/**
 * A circle as a closed GeoJSON Polygon (counter-clockwise, RFC 7946) whose `segments` vertices are
 * exactly `radiusM` from the centre along geodesics. Its straight edges cut chords, so the polygon
 * lies inside the circle by at most radiusM·(1 − cos(π/segments)): 0.12 % with the default 64.
 */
export function circleToPolygon(center: LatLon, radiusM: number, segments = 64): Polygon {
  if (!Number.isFinite(radiusM) || radiusM <= 0)
    throw new GeoInputError('radiusM', 'must be a positive number of metres');
  if (!Number.isInteger(segments) || segments < 3 || segments > 10_000)
    throw new GeoInputError('segments', 'must be an integer from 3 to 10000');
  const ring: LonLat[] = [];
  // Azimuths run clockwise from north, so walking them backwards draws the ring counter-clockwise.
  for (let i = 0; i < segments; i++) {
    const p = destination(center, 360 - (i * 360) / segments, radiusM);
    ring.push([p.lon, p.lat]);
  }
  ring.push([ring[0][0], ring[0][1]]);
  return { type: 'Polygon', coordinates: [ring] };
}
