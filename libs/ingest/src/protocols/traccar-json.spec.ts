import fc from 'fast-check';
import { decodeTraccarJson } from './traccar-json';

describe('decodeTraccarJson (Traccar Client 9+)', () => {
  const body = {
    device_id: '123456',
    location: {
      timestamp: '2025-11-27T12:00:00.000Z',
      coords: { latitude: 40.4, longitude: -3.7, accuracy: 12.5, speed: 10, heading: 270, altitude: 660 },
      is_moving: true,
      odometer: 1234.5,
      event: 'motionchange',
      battery: { level: 0.42, is_charging: false },
      activity: { type: 'in_vehicle' },
      extras: { trip: 7 },
    },
  };

  it('reads the location object, converting m/s to km/h and battery level to percent', () => {
    const decoded = decodeTraccarJson(body);
    expect(decoded?.identifier).toBe('123456');
    const [fix] = decoded!.fixes;
    expect(fix.speedKmh).toBeCloseTo(36, 5);
    expect(fix).toMatchObject({ lat: 40.4, lon: -3.7, accuracy: 12.5, heading: 270, altitude: 660, battery: 42 });
    expect(fix.attributes).toEqual({
      charge: false,
      motion: true,
      odometer: 1234.5,
      event: 'motionchange',
      activity: 'in_vehicle',
      trip: 7,
    });
  });

  it('keeps `mock` and flattens `extras` into attributes under their own names, decoded fields winning', () => {
    const decoded = decodeTraccarJson({
      device_id: 'x',
      location: { ...body.location, mock: true, extras: { trip: 7, driver: { id: 'd1' }, charge: 'spoofed' } },
    });
    expect(decoded!.fixes[0].attributes).toMatchObject({ mock: true, trip: 7, driver: { id: 'd1' }, charge: false });
    expect(decoded!.fixes[0].attributes).not.toHaveProperty('extras');
  });

  it('reads an array of locations and ignores bodies of other shapes', () => {
    expect(decodeTraccarJson({ ...body, location: [body.location, body.location] })?.fixes).toHaveLength(2);
    expect(decodeTraccarJson({ something: 'else' })).toBeUndefined();
  });
});

describe('decodeTraccarJson never throws, whatever it is given', () => {
  it('JSON bodies, and JSON as the location', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        decodeTraccarJson(body);
        decodeTraccarJson({ device_id: 'x', location: body });
      }),
      { numRuns: 500 },
    );
  });
});
