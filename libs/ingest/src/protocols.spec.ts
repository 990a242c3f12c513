import { parseTimestamp, validateFix } from './fix';
import { readGpx } from './gpx';
import { decodeOsmAnd, decodeOverland, decodeOwnTracks, decodeTraccarJson, flattenParams } from './protocols';

const now = new Date('2026-11-27T12:00:00Z');

describe('parseTimestamp', () => {
  it.each([
    ['1764244800', '2025-11-27T12:00:00.000Z'], // epoch seconds
    ['1764244800123', '2025-11-27T12:00:00.123Z'], // epoch milliseconds
    [1764244800, '2025-11-27T12:00:00.000Z'],
    ['2025-11-27T12:00:00Z', '2025-11-27T12:00:00.000Z'],
    ['2025-11-27T14:00:00+02:00', '2025-11-27T12:00:00.000Z'],
    ['2025-11-27T12:00:00.5', '2025-11-27T12:00:00.500Z'], // no offset: UTC
    ['2025-11-27 12:00:00', '2025-11-27T12:00:00.000Z'], // Traccar's yyyy-MM-dd HH:mm:ss, UTC
  ])('reads %p', (input, iso) => {
    expect(parseTimestamp(input)?.toISOString()).toBe(iso);
  });

  it.each(['yesterday', '', '12/11/2025', '2025-13-45T99:99:99Z', -5, Number.NaN])('refuses %p', (input) => {
    expect(parseTimestamp(input)).toBeUndefined();
  });
});

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

  it('flattens repeated query keys to their first value', () => {
    expect(flattenParams({ id: ['a', 'b'], lat: '1' }, { lon: '2' })).toEqual({ id: 'a', lat: '1', lon: '2' });
  });
});

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

describe('validateFix', () => {
  const opts = { now: now.getTime(), maxFutureMs: 600_000 };
  it('names each bad field with its path', () => {
    const errors = validateFix({ ts: new Date(now.getTime() + 3_600_000), lat: 91, lon: -181 }, 'positions.3', opts);
    expect(errors.map((e) => e.path).sort()).toEqual(['positions.3.lat', 'positions.3.lon', 'positions.3.ts']);
  });
  it('refuses 0,0 unless the device says the fix is valid', () => {
    expect(validateFix({ ts: now, lat: 0, lon: 0 }, '', opts)).toHaveLength(1);
    expect(validateFix({ ts: now, lat: 0, lon: 0, valid: true }, '', opts)).toHaveLength(0);
  });
});

describe('readGpx', () => {
  const doc = `<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1"><trk><trkseg><trkpt lat="40.5" lon="-3.5"><ele>650</ele><time>2025-06-02T08:00:00Z</time></trkpt></trkseg></trk></gpx>`;
  const read = async (chunks: Array<Buffer | string>) => {
    const items = [];
    for await (const item of readGpx(
      (async function* () {
        yield* chunks;
      })(),
    ))
      items.push(item);
    return items;
  };

  it.each([
    ['a UTF-8 byte-order mark', [Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(doc)])]],
    ['a blank line', [`\r\n  \n${doc}`]],
    ['whitespace and a BOM split over chunks', [Buffer.from([0xef, 0xbb]), Buffer.from([0xbf, 0x0a, 0x20]), ' ', doc]],
  ])('reads a file starting with %s', async (_, chunks) => {
    const items = await read(chunks);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ kind: 'point', fix: { lat: 40.5, lon: -3.5, altitude: 650 } });
  });

  it('still refuses text before the declaration', async () => {
    expect((await read([`junk${doc}`]))[0]).toMatchObject({ kind: 'error' });
  });
});
