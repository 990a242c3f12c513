import fc from 'fast-check';
import { columnsToPositions, decodeBatch, encodeBatch } from './codec';
import type { NormalizedPosition } from './types';

const position = fc.record(
  {
    vehicleId: fc.constantFrom('11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222'),
    organizationId: fc.constant('99999999-9999-4999-8999-999999999999'),
    ts: fc
      .date({ min: new Date('2000-01-01'), max: new Date('2030-01-01'), noInvalidDate: true })
      .map((d) => d.getTime()),
    lat: fc.double({ min: -90, max: 90, noNaN: true }),
    lon: fc.double({ min: -180, max: 180, noNaN: true }),
    speedKmh: fc.double({ min: 0, max: 500, noNaN: true }),
    heading: fc.double({ min: 0, max: 359, noNaN: true }),
    battery: fc.integer({ min: 0, max: 100 }),
    attributes: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }),
      fc.oneof(fc.string(), fc.integer(), fc.boolean()),
      { minKeys: 1, maxKeys: 3 },
    ),
  },
  { requiredKeys: ['vehicleId', 'organizationId', 'ts', 'lat', 'lon'] },
);

describe('staged batch codec', () => {
  it('round-trips any batch of positions', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 12 }),
        fc.array(position, { minLength: 1, maxLength: 30 }),
        (protocol, positions) => {
          const decoded = decodeBatch(encodeBatch({ protocol, positions: positions as NormalizedPosition[] }));
          expect(decoded.protocol).toBe(protocol);
          expect(columnsToPositions(decoded)).toEqual(
            positions.map((p) => ({ ...p, lat: p.lat === 0 ? 0 : p.lat, lon: p.lon === 0 ? 0 : p.lon })),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('lists a single vehicle once', () => {
    const positions = Array.from({ length: 3 }, (_, i) => ({
      vehicleId: 'v',
      organizationId: 'o',
      ts: i * 1000,
      lat: 1,
      lon: 2,
    }));
    const json = encodeBatch({ protocol: 'json', positions });
    expect(JSON.parse(json)).toEqual({
      v: 2,
      p: 'json',
      veh: ['v'],
      org: ['o'],
      ts: [0, 1000, 2000],
      lat: [1, 1, 1],
      lon: [2, 2, 2],
    });
  });

  it.each([
    ['not JSON', '{'],
    ['an old format', JSON.stringify({ protocol: 'x', positions: [] })],
    [
      'columns of different lengths',
      JSON.stringify({ v: 2, p: 'x', veh: ['a'], org: ['o'], ts: [1, 2], lat: [1], lon: [1, 2] }),
    ],
    [
      'a vehicle index out of range',
      JSON.stringify({ v: 2, p: 'x', veh: ['a'], org: ['o'], vi: [3], ts: [1], lat: [1], lon: [1] }),
    ],
    [
      'a string where a number goes',
      JSON.stringify({ v: 2, p: 'x', veh: ['a'], org: ['o'], ts: [1], lat: ['1'], lon: [1] }),
    ],
  ])('refuses %s', (_label, json) => {
    expect(() => decodeBatch(json)).toThrow();
  });

  it('never throws anything but an Error on arbitrary input', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        try {
          decodeBatch(JSON.stringify(value));
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
        }
      }),
    );
  });
});
