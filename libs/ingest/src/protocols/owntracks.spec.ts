import fc from 'fast-check';
import { decodeOwnTracks } from './owntracks';

describe('decodeOwnTracks', () => {
  it('reads a location message with km/h speed and keeps the rest as attributes', () => {
    const { type, fix } = decodeOwnTracks({
      _type: 'location',
      lat: 52.5,
      lon: 13.4,
      tst: 1764244800,
      acc: 10,
      alt: 34,
      vac: 3,
      vel: 50,
      cog: 45,
      batt: 77,
      bs: 2,
      tid: 'JD',
      t: 'u',
      conn: 'w',
      topic: 'owntracks/jane/phone',
    });
    expect(type).toBe('location');
    expect(fix).toMatchObject({
      lat: 52.5,
      lon: 13.4,
      speedKmh: 50,
      heading: 45,
      accuracy: 10,
      altitude: 34,
      battery: 77,
    });
    expect(fix?.ts?.toISOString()).toBe('2025-11-27T12:00:00.000Z');
    expect(fix?.attributes).toEqual({ vac: 3, bs: 2, tid: 'JD', t: 'u', conn: 'w', topic: 'owntracks/jane/phone' });
  });

  it.each(['transition', 'waypoint', 'lwt', 'card', 'status', 'steps'])(
    'does not turn a %s message into a position',
    (kind) => {
      const decoded = decodeOwnTracks({ _type: kind, tst: 1764244800 });
      expect(decoded).toEqual({ type: kind });
    },
  );
});

describe('decodeOwnTracks never throws, whatever it is given', () => {
  it('JSON bodies, and JSON as a location message', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (body) => {
        decodeOwnTracks(body);
        decodeOwnTracks({
          _type: 'location',
          ...(typeof body === 'object' && body && !Array.isArray(body) ? body : { lat: body }),
        });
      }),
      { numRuns: 500 },
    );
  });
});
