import fc from 'fast-check';
import {
  convertSpeed,
  isValidCoordinate,
  kmhToKnots,
  kmhToMph,
  kmhToMps,
  knotsToKmh,
  mphToKmh,
  mpsToKmh,
  type SpeedUnit,
} from './units';

describe('speed conversions', () => {
  it('uses the exact definitions', () => {
    expect(knotsToKmh(1)).toBeCloseTo(1.852, 12);
    expect(mphToKmh(1)).toBeCloseTo(1.609344, 12);
    expect(mpsToKmh(10)).toBeCloseTo(36, 12);
    expect(kmhToMps(36)).toBeCloseTo(10, 12);
    expect(kmhToKnots(1.852)).toBeCloseTo(1, 12);
    expect(kmhToMph(1.609344)).toBeCloseTo(1, 12);
    expect(convertSpeed(100, 'knots', 'mph')).toBeCloseTo(115.0779448, 6);
  });

  it('goes there and back between any two units', () => {
    const unit = fc.constantFrom<SpeedUnit>('kmh', 'mps', 'knots', 'mph');
    fc.assert(
      fc.property(fc.double({ min: 0, max: 2000, noNaN: true }), unit, unit, (v, a, b) => {
        expect(convertSpeed(convertSpeed(v, a, b), b, a)).toBeCloseTo(v, 9);
      }),
    );
  });
});

describe('isValidCoordinate', () => {
  it('accepts the ranges, edges included', () => {
    for (const p of [
      { lat: 0, lon: 0 },
      { lat: 90, lon: 180 },
      { lat: -90, lon: -180 },
      { lat: 52.52, lon: 13.405 },
    ])
      expect(isValidCoordinate(p)).toBe(true);
  });

  it('refuses out of range, non-finite, non-numbers and non-objects', () => {
    for (const p of [
      { lat: 90.0001, lon: 0 },
      { lat: 0, lon: -180.5 },
      { lat: Number.NaN, lon: 0 },
      { lat: 0, lon: Number.POSITIVE_INFINITY },
      { lat: '1', lon: 2 },
      { lat: 1 },
      null,
      'here',
      [1, 2],
    ])
      expect(isValidCoordinate(p)).toBe(false);
  });

  it('refuses null island only when asked', () => {
    expect(isValidCoordinate({ lat: 0, lon: 0 }, { rejectNullIsland: true })).toBe(false);
    expect(isValidCoordinate({ lat: 0, lon: 0.0001 }, { rejectNullIsland: true })).toBe(true);
  });
});
