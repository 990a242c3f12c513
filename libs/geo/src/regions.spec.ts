import fc from 'fast-check';
import { bboxContains, bboxOf } from './bbox';
import { destination, distanceM } from './geodesic';
import { circleToPolygon, pointInCircle, pointInPolygon, type Polygon } from './regions';
import { GeoInputError, type LonLat } from './types';

const point = fc.record({
  lat: fc.double({ min: -89, max: 89, noNaN: true }),
  lon: fc.double({ min: -180, max: 180, noNaN: true }),
});

describe('bbox', () => {
  it('holds every point it was made from', () => {
    fc.assert(
      fc.property(fc.array(point, { minLength: 1, maxLength: 50 }), (points) => {
        const box = bboxOf(points)!;
        for (const p of points) expect(bboxContains(box, p)).toBe(true);
      }),
    );
  });

  it('is the tight box for ordinary points, and undefined for none', () => {
    const box = bboxOf([
      { lat: 40.1, lon: -3.8 },
      { lat: 40.5, lon: -3.5 },
      { lat: 40.3, lon: -3.6 },
    ]);
    expect(box).toEqual([-3.8, 40.1, -3.5, 40.5]);
    expect(bboxContains(box!, { lat: 40.2, lon: -3.4 })).toBe(false);
    expect(bboxContains(box!, { lat: 40.6, lon: -3.6 })).toBe(false);
    expect(bboxOf([])).toBeUndefined();
  });

  it('wraps across the antimeridian instead of spanning the planet', () => {
    const box = bboxOf([
      { lat: -17.7, lon: 178.4 },
      { lat: -18.1, lon: -179.8 },
    ])!;
    expect(box).toEqual([178.4, -18.1, -179.8, -17.7]);
    expect(bboxContains(box, { lat: -17.9, lon: 179.9 })).toBe(true);
    expect(bboxContains(box, { lat: -17.9, lon: -179.9 })).toBe(true);
    expect(bboxContains(box, { lat: -17.9, lon: 0 })).toBe(false);
  });
});

// An outline of 4 km × 4 km with a 1 km hole in the middle (a depot with a restricted yard).
const square = (c: { lat: number; lon: number }, halfM: number, clockwise = false): LonLat[] => {
  const corners = [45, 135, 225, 315].map((b) => destination(c, b, halfM * Math.SQRT2));
  const ring = corners.map((p): LonLat => [p.lon, p.lat]);
  if (clockwise) ring.reverse();
  return [...ring, ring[0]!];
};
const CENTER = { lat: 41.39, lon: 2.17 };
const depot: Polygon = { type: 'Polygon', coordinates: [square(CENTER, 2000), square(CENTER, 500, true)] };

describe('pointInPolygon', () => {
  it('is inside the outline, outside the hole, outside beyond', () => {
    expect(pointInPolygon(destination(CENTER, 90, 1000), depot)).toBe(true);
    expect(pointInPolygon(CENTER, depot)).toBe(false);
    expect(pointInPolygon(destination(CENTER, 0, 300), depot)).toBe(false);
    expect(pointInPolygon(destination(CENTER, 0, 2500), depot)).toBe(false);
  });

  it('handles multipolygons and the boundary option', () => {
    const edge = { lat: depot.coordinates[0]![0]![1], lon: depot.coordinates[0]![0]![0] };
    expect(pointInPolygon(edge, depot)).toBe(true);
    expect(pointInPolygon(edge, depot, { boundary: 'outside' })).toBe(false);
    const far = { lat: 10, lon: 10 };
    const multi = { type: 'MultiPolygon' as const, coordinates: [depot.coordinates, [square(far, 100)]] };
    expect(pointInPolygon(far, multi)).toBe(true);
    expect(pointInPolygon(CENTER, multi)).toBe(false);
  });
});

describe('circles', () => {
  it('pointInCircle measures the radius along geodesics', () => {
    fc.assert(
      fc.property(
        point,
        fc.double({ min: 0, max: 359.9, noNaN: true }),
        fc.double({ min: 1, max: 1e6, noNaN: true }),
        (c, bearing, r) => {
          expect(pointInCircle(destination(c, bearing, r * 0.999), c, r)).toBe(true);
          expect(pointInCircle(destination(c, bearing, r * 1.001), c, r)).toBe(false);
        },
      ),
    );
  });

  it('circleToPolygon puts every vertex on the circle, closes the ring, turns counter-clockwise', () => {
    fc.assert(
      fc.property(
        point,
        fc.double({ min: 10, max: 50_000, noNaN: true }),
        fc.integer({ min: 3, max: 128 }),
        (c, r, n) => {
          const ring = circleToPolygon(c, r, n).coordinates[0]!;
          expect(ring).toHaveLength(n + 1);
          expect(ring[n]).toEqual(ring[0]);
          for (const [lon, lat] of ring) expect(Math.abs(distanceM(c, { lat, lon }) - r)).toBeLessThan(1e-6);
          // Shoelace on longitudes relative to the centre: positive area is counter-clockwise.
          let area = 0;
          for (let i = 0; i < n; i++) {
            const [x1, y1] = ring[i]!;
            const [x2, y2] = ring[i + 1]!;
            const dx1 = ((x1 - c.lon + 540) % 360) - 180;
            const dx2 = ((x2 - c.lon + 540) % 360) - 180;
            area += dx1 * y2 - dx2 * y1;
          }
          expect(area).toBeGreaterThan(0);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('stores a circle that contains what the circle contains, up to the chord', () => {
    const poly = circleToPolygon(CENTER, 1000, 64);
    const inset = 1000 * Math.cos(Math.PI / 64);
    for (let b = 0; b < 360; b += 7) {
      expect(pointInPolygon(destination(CENTER, b, inset - 1), poly)).toBe(true);
      expect(pointInPolygon(destination(CENTER, b, 1001), poly)).toBe(false);
    }
  });

  it('refuses a radius or segment count that makes no circle', () => {
    expect(() => circleToPolygon(CENTER, 0)).toThrow(GeoInputError);
    expect(() => circleToPolygon(CENTER, 100, 2)).toThrow('segments');
    expect(() => circleToPolygon(CENTER, Number.POSITIVE_INFINITY)).toThrow('radiusM');
  });
});
