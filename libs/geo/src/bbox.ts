import type { BBox, LatLon } from './types';

/**
 * The smallest box holding every point, as `[west, south, east, north]`, or undefined for no points.
 * A set of points straddling the antimeridian (a ferry from Fiji) gets `west > east`, as RFC 7946
 * §5.2 prescribes, instead of a box around the whole planet.
 */
export function bboxOf(points: Iterable<LatLon>): BBox | undefined {
  let south = Infinity;
  let north = -Infinity;
  const lons: number[] = [];
  for (const p of points) {
    if (p.lat < south) south = p.lat;
    if (p.lat > north) north = p.lat;
    lons.push(p.lon);
  }
  if (!lons.length) return undefined;
  lons.sort((a, b) => a - b);
  // The box's longitude span is the circle minus its largest empty arc between two points.
  let gap = lons[0] + 360 - lons[lons.length - 1];
  let west = lons[0];
  let east = lons[lons.length - 1];
  for (let i = 1; i < lons.length; i++) {
    const g = lons[i] - lons[i - 1];
    if (g > gap) {
      gap = g;
      west = lons[i];
      east = lons[i - 1];
    }
  }
  return [west, south, east, north];
}

/** True when the point lies in the box (edges included); understands boxes crossing the antimeridian. */
export function bboxContains(bbox: BBox, point: LatLon): boolean {
  const [west, south, east, north] = bbox;
  if (point.lat < south || point.lat > north) return false;
  return west <= east ? point.lon >= west && point.lon <= east : point.lon >= west || point.lon <= east;
}
