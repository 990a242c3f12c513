import { fromLocation, type LocationLike } from './location';

const at = Date.UTC(2026, 11, 6, 12, 0, 0);
const location = (coords: Partial<LocationLike['coords']>, extra: Partial<LocationLike> = {}): LocationLike => ({
  coords: { latitude: 40.4, longitude: -3.7, ...coords },
  timestamp: at,
  ...extra,
});

describe('fromLocation', () => {
  it('converts metres per second to km/h and keeps the other measurements in stored units', () => {
    const fix = fromLocation(location({ speed: 10, heading: 90, altitude: 650, accuracy: 8 }), { battery: 76 });
    expect(fix).toEqual({
      ts: '2026-12-06T12:00:00.000Z',
      lat: 40.4,
      lon: -3.7,
      speed: 36,
      heading: 90,
      altitude: 650,
      accuracy: 8,
      battery: 76,
    });
  });

  it("drops iOS's −1 for unknown speed and heading instead of sending negatives", () => {
    const fix = fromLocation(location({ speed: -1, heading: -1, accuracy: 5 }));
    expect(fix).not.toHaveProperty('speed');
    expect(fix).not.toHaveProperty('heading');
    expect(fix?.accuracy).toBe(5);
  });

  it('drops NaN, null and out-of-range measurements', () => {
    const fix = fromLocation(
      location({ speed: Number.NaN, heading: 400, altitude: null, accuracy: Number.POSITIVE_INFINITY }),
      { battery: 150 },
    );
    expect(fix).toEqual({ ts: '2026-12-06T12:00:00.000Z', lat: 40.4, lon: -3.7 });
    expect(fromLocation(location({ speed: 1000 }))).not.toHaveProperty('speed'); // 3600 km/h
  });

  it('keeps a speed of zero (parked), which is not unknown', () => {
    expect(fromLocation(location({ speed: 0, heading: 0 }))).toMatchObject({ speed: 0, heading: 0 });
  });

  it('returns null for a fix without usable coordinates or time', () => {
    expect(fromLocation(location({ latitude: Number.NaN }))).toBeNull();
    expect(fromLocation(location({ longitude: 181 }))).toBeNull();
    expect(fromLocation(location({}, { timestamp: Number.NaN }))).toBeNull();
  });

  it('marks a mocked location and carries extra attributes', () => {
    expect(fromLocation(location({}, { mocked: true }), { attributes: { charging: true } })?.attributes).toEqual({
      mocked: true,
      charging: true,
    });
  });
});
