import fc from 'fast-check';
import { destination, distanceM, fastDistanceM, initialBearingDeg, inverse, pathLengthM } from './geodesic';

// Lines of GeodTest.dat, Karney's published test set of 500,000 WGS84 geodesics computed in high
// precision ("Test set for geodesics", doi:10.5281/zenodo.32156, CC0; also
// https://sourceforge.net/projects/geographiclib/files/testdata/). Columns: lat1 lon1 azi1 lat2 lon2
// azi2 s12 (degrees, metres), rounded to 15 significant digits; the later columns (a12 m12 S12) are unused.
const GEODTEST: { line: number; v: [number, number, number, number, number, number, number] }[] = [
  // random
  {
    line: 2874,
    v: [5.421025561218, 0, 84.846843174846, 3.0273292374789, 109.666857465736, 96.8269921986135, 12161089.9991805],
  },
  // nearly antipodal
  {
    line: 100001,
    v: [8.226828747671, 0, 111.1269645725, -8.51611921167427, 178.688979582629, 68.9827985449552, 19886305.6710041],
  },
  {
    line: 100017,
    v: [0.322440123063, 0, 100.319048368176, -0.367465171996538, 179.160624688175, 79.6824306127456, 19943611.6727803],
  },
  // nearly antipodal across the poles: the azimuth is ill-conditioned there, the distance is not
  {
    line: 460107,
    v: [89.985810803742, 0, 90.033923043742, -89.9858108037615, 179.999716989078, 89.9662101330683, 20003931.4528694],
  },
];

const lat = fc.double({ min: -90, max: 90, noNaN: true });
const lon = fc.double({ min: -180, max: 180, noNaN: true });
const point = fc.record({ lat, lon });
// Fleet territory: short hops away from the poles.
const nearPoint = fc.record({ lat: fc.double({ min: -79.9, max: 79.9, noNaN: true }), lon });

describe('distance and bearing (GeographicLib)', () => {
  it.each(GEODTEST)('matches GeodTest.dat line $line to a micrometre', ({ line, v }) => {
    const [lat1, lon1, azi1, lat2, lon2, azi2, s12] = v;
    const r = inverse({ lat: lat1, lon: lon1 }, { lat: lat2, lon: lon2 });
    expect(Math.abs(r.distanceM - s12)).toBeLessThan(1e-6);
    if (line !== 460107) {
      expect(Math.abs(r.initialBearingDeg - azi1)).toBeLessThan(1e-9);
      expect(Math.abs(r.finalBearingDeg - azi2)).toBeLessThan(1e-9);
    }
    const d = destination({ lat: lat1, lon: lon1 }, azi1, s12);
    expect(Math.abs(d.lat - lat2)).toBeLessThan(1e-9);
    expect(Math.abs(d.lon - lon2)).toBeLessThan(1e-9);
  });

  it('is symmetric, zero only between equal points, and never negative', () => {
    fc.assert(
      fc.property(point, point, (a, b) => {
        const ab = distanceM(a, b);
        expect(ab).toBeGreaterThanOrEqual(0);
        expect(Math.abs(ab - distanceM(b, a))).toBeLessThan(1e-6);
        expect(distanceM(a, a)).toBe(0);
      }),
    );
  });

  it('obeys the triangle inequality', () => {
    fc.assert(
      fc.property(point, point, point, (a, b, c) => {
        expect(distanceM(a, c)).toBeLessThanOrEqual(distanceM(a, b) + distanceM(b, c) + 1e-6);
      }),
    );
  });

  it('goes back where destination() went: distance and bearing of the direct problem', () => {
    fc.assert(
      fc.property(
        nearPoint,
        fc.double({ min: 0, max: 359.999, noNaN: true }),
        fc.double({ min: 1, max: 5_000_000, noNaN: true }),
        (a, bearing, d) => {
          const b = destination(a, bearing, d);
          expect(b.lon).toBeGreaterThanOrEqual(-180);
          expect(b.lon).toBeLessThan(180);
          expect(Math.abs(distanceM(a, b) - d)).toBeLessThan(1e-6);
          const diff = Math.abs(initialBearingDeg(a, b) - bearing);
          expect(Math.min(diff, 360 - diff)).toBeLessThan(1e-6);
        },
      ),
    );
  });

  it('knows a few places: Berlin–Paris on the ellipsoid, a degree of latitude at the equator', () => {
    // 110574.389 m per degree of latitude at the equator on WGS84 (meridional arc).
    expect(distanceM({ lat: 0, lon: 0 }, { lat: 1, lon: 0 })).toBeCloseTo(110574.389, 2);
    const berlinParis = distanceM({ lat: 52.52, lon: 13.405 }, { lat: 48.8566, lon: 2.3522 });
    expect(berlinParis).toBeGreaterThan(876_000);
    expect(berlinParis).toBeLessThan(880_000);
    expect(initialBearingDeg({ lat: 0, lon: 0 }, { lat: 0, lon: 1 })).toBeCloseTo(90, 9);
    expect(initialBearingDeg({ lat: 0, lon: 0 }, { lat: -1, lon: 0 })).toBeCloseTo(180, 9);
  });
});

describe('fastDistanceM (nearby fixes)', () => {
  it('stays within one part per million of GeographicLib up to 5 km below 80° latitude', () => {
    fc.assert(
      fc.property(
        nearPoint,
        fc.double({ min: 0, max: 359.999, noNaN: true }),
        fc.double({ min: 0.01, max: 5000, noNaN: true }),
        (a, bearing, d) => {
          const b = destination(a, bearing, d);
          const exact = distanceM(a, b);
          expect(Math.abs(fastDistanceM(a, b) - exact)).toBeLessThanOrEqual(exact * 1e-6 + 1e-9);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('hands far and polar pairs to GeographicLib exactly', () => {
    fc.assert(
      fc.property(point, point, (a, b) => {
        const exact = distanceM(a, b);
        const fast = fastDistanceM(a, b);
        if (exact > 5_100 || Math.abs((a.lat + b.lat) / 2) >= 80) expect(fast).toBe(exact);
      }),
    );
  });

  it('crosses the antimeridian the short way', () => {
    const a = { lat: -17.7, lon: 179.999 };
    const b = { lat: -17.7, lon: -179.999 };
    expect(fastDistanceM(a, b)).toBeCloseTo(distanceM(a, b), 3);
    expect(fastDistanceM(a, b)).toBeLessThan(250);
  });

  it('sums a path', () => {
    const a = { lat: 40, lon: -3.7 };
    const b = destination(a, 90, 1000);
    const c = destination(b, 0, 2000);
    expect(pathLengthM([a, b, c])).toBeCloseTo(3000, 2);
    expect(pathLengthM([a])).toBe(0);
  });
});
