import fc from 'fast-check';
import { validateFix } from '../fix';
import { decodeOsmAnd } from './osmand';

const now = new Date('2026-11-27T12:00:00Z');

describe('decodeOsmAnd (Traccar Client query form)', () => {
  it('converts knots to km/h and reads every documented field', () => {
    const { identifier, fix } = decodeOsmAnd(
      {
        id: 'abc123',
        timestamp: '1764244800',
        lat: '40.4168',
        lon: '-3.7038',
        speed: '10',
        bearing: '90.5',
        altitude: '650',
        accuracy: '5',
        hdop: '0.9',
        batt: '87',
        charge: 'true',
        valid: 'true',
        driverUniqueId: '007',
      },
      now,
    );
    expect(identifier).toBe('abc123');
    expect(fix.ts?.toISOString()).toBe('2025-11-27T12:00:00.000Z');
    expect(fix).toMatchObject({
      lat: 40.4168,
      lon: -3.7038,
      heading: 90.5,
      altitude: 650,
      accuracy: 5,
      battery: 87,
      valid: true,
    });
    expect(fix.speedKmh).toBeCloseTo(18.52, 5);
    expect(fix.attributes).toEqual({ hdop: 0.9, charge: true, driverUniqueId: '007' });
  });

  it('keeps driverUniqueId as text, exact, whatever digits it holds', () => {
    for (const id of ['12345678901234567890', '00042', '1e5', 'AB12CD34']) {
      const { fix } = decodeOsmAnd({ id: 'abc123', lat: '40.4', lon: '-3.7', driverUniqueId: ` ${id} ` }, now);
      expect(fix.attributes).toEqual({ driverUniqueId: id });
    }
  });

  it('reads location=lat,lon, deviceid and heading, and uses the server clock without a timestamp', () => {
    const { identifier, fix } = decodeOsmAnd({ deviceid: 'dev-9', location: '41.38,2.17', heading: '180' }, now);
    expect(identifier).toBe('dev-9');
    expect(fix).toMatchObject({ lat: 41.38, lon: 2.17, heading: 180, ts: now });
  });

  it('reads ISO and yyyy-MM-dd HH:mm:ss timestamps and epoch milliseconds', () => {
    for (const timestamp of ['2025-11-27T12:00:00Z', '2025-11-27 12:00:00', '1764244800000']) {
      expect(decodeOsmAnd({ id: 'x', timestamp, lat: '1', lon: '1' }, now).fix.ts?.toISOString()).toBe(
        '2025-11-27T12:00:00.000Z',
      );
    }
  });

  it('treats -1 speed, accuracy and bearing as unknown, and keeps valid=false as an attribute', () => {
    const { fix } = decodeOsmAnd(
      { id: 'x', lat: '1', lon: '2', speed: '-1', accuracy: '-1', bearing: '-1', valid: 'false' },
      now,
    );
    expect(fix.speedKmh).toBeUndefined();
    expect(fix.accuracy).toBeUndefined();
    expect(fix.heading).toBeUndefined();
    expect(fix.valid).toBe(false);
    expect(fix.attributes).toEqual({ valid: false });
  });
});

describe('decodeOsmAnd never throws, whatever it is given', () => {
  it('OsmAnd parameters', () => {
    fc.assert(
      fc.property(
        fc.dictionary(
          fc.oneof(fc.string(), fc.constantFrom('id', 'lat', 'lon', 'timestamp', 'location', 'speed', 'valid')),
          fc.string(),
        ),
        (params) => {
          const { fix } = decodeOsmAnd(params, now);
          validateFix(fix, '', { now: now.getTime(), maxFutureMs: 600_000 });
        },
      ),
      { numRuns: 500 },
    );
  });
});
