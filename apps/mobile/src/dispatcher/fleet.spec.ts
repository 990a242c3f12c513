import { ageOf, fleetOf, searchFleet, statusOf, todayPeriod, withPosition } from './fleet';

const A = '11111111-1111-4111-8111-111111111111';
const B = '22222222-2222-4222-8222-222222222222';
const NOW = Date.parse('2026-12-06T12:00:00Z');

const feature = (vehicleId: string, name: string, ts: string, speedKmh: number | null) => ({
  type: 'Feature' as const,
  geometry: { type: 'Point' as const, coordinates: [-3.7, 40.4] as [number, number] },
  properties: {
    vehicleId,
    name,
    ts,
    speedKmh,
    heading: null,
    altitude: null,
    accuracy: null,
    battery: null,
    attributes: {},
    status: 'stopped' as const,
    ageSeconds: 0,
  },
});

const fleet = fleetOf({
  type: 'FeatureCollection',
  features: [feature(B, 'Ñandú 2', '2026-12-06T11:59:30Z', 0), feature(A, 'van 1', '2026-12-06T11:00:00Z', 30)],
});

const fix = (ts: string, speedKmh: number) => ({
  vehicleId: A,
  ts,
  lat: 41,
  lon: -3,
  speedKmh,
  heading: null,
  altitude: null,
  accuracy: null,
  battery: null,
  attributes: null,
});

describe('fleet list state', () => {
  it('takes the status rule from contracts: offline after 10 minutes, moving from 3 km/h', () => {
    expect(statusOf(fleet.get(A)!, NOW)).toBe('offline');
    expect(statusOf(fleet.get(B)!, NOW)).toBe('stopped');
    const moved = withPosition(fleet, fix('2026-12-06T11:59:59Z', 30))!;
    expect(statusOf(moved.get(A)!, NOW)).toBe('moving');
    expect(moved.get(A)).toMatchObject({ lat: 41, lon: -3 });
  });

  it('keeps the newest fix when an older one arrives late, and flags an unknown vehicle', () => {
    expect(withPosition(fleet, fix('2026-12-06T10:00:00Z', 50))).toBe(fleet);
    expect(
      withPosition(fleet, { ...fix('2026-12-06T11:59:59Z', 5), vehicleId: '33333333-3333-4333-8333-333333333333' }),
    ).toBeNull();
  });

  it('searches names ignoring case and accents, sorted by name', () => {
    expect(searchFleet(fleet, '').map((v) => v.name)).toEqual(['Ñandú 2', 'van 1']);
    expect(searchFleet(fleet, 'NANDU').map((v) => v.name)).toEqual(['Ñandú 2']);
    expect(searchFleet(fleet, '  VAN ').map((v) => v.name)).toEqual(['van 1']);
  });

  it('says the age in the largest whole unit', () => {
    expect(ageOf(NOW - 59_000, NOW)).toEqual({ unit: 's', value: 59 });
    expect(ageOf(NOW - 60_000, NOW)).toEqual({ unit: 'min', value: 1 });
    expect(ageOf(NOW - 3 * 3_600_000 - 1, NOW)).toEqual({ unit: 'h', value: 3 });
    expect(ageOf(NOW - 49 * 3_600_000, NOW)).toEqual({ unit: 'd', value: 2 });
    expect(ageOf(NOW + 5_000, NOW)).toEqual({ unit: 's', value: 0 }); // a phone clock ahead
  });

  it('takes today from local midnight to now', () => {
    const now = new Date(2026, 11, 6, 15, 30);
    const { from, to } = todayPeriod(now);
    expect(new Date(from).getTime()).toBe(new Date(2026, 11, 6).getTime());
    expect(to).toBe(now.toISOString());
  });
});
