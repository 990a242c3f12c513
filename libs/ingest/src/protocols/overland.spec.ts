import fc from 'fast-check';
import { decodeOverland } from './overland';

describe('decodeOverland', () => {
  it('reads GeoJSON point features with m/s speed and 0–1 battery', () => {
    const decoded = decodeOverland({
      locations: [
        {
          type: 'Feature',
          geometry: { type: 'Point', coordinates: [-122.03, 37.33] },
          properties: {
            timestamp: '2025-11-27T12:00:00Z',
            speed: 5,
            altitude: 80,
            horizontal_accuracy: 8,
            battery_level: 0.9,
            device_id: 'iphone',
            motion: ['driving'],
            course: 12,
          },
        },
      ],
    });
    const [{ deviceId, fix }] = decoded!.fixes;
    expect(deviceId).toBe('iphone');
    expect(fix).toMatchObject({
      lat: 37.33,
      lon: -122.03,
      speedKmh: 18,
      altitude: 80,
      accuracy: 8,
      battery: 90,
      heading: 12,
    });
    expect(fix.attributes).toEqual({ motion: ['driving'] });
  });
});

describe('decodeOverland never throws, whatever it is given', () => {
  it('JSON bodies, and JSON as a feature', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        decodeOverland(body);
        decodeOverland({ locations: [body] });
      }),
      { numRuns: 500 },
    );
  });
});
