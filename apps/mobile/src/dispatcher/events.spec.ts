import type { EventDetail } from '@fleet/contracts';
import { afterGap, detailOf, mergeEvents } from './events';

const T0 = Date.UTC(2026, 11, 6, 9, 0, 0);
const id = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;
const ev = (n: number, seconds = n, extra: Partial<EventDetail> = {}): EventDetail => ({
  id: id(n),
  vehicleId: '11111111-1111-4111-8111-111111111111',
  type: 'geofence_enter',
  ts: new Date(T0 + seconds * 1000).toISOString(),
  geofenceId: '44444444-4444-4444-8444-444444444444',
  lat: null,
  lon: null,
  attributes: {},
  vehicleName: 'Van 1',
  geofenceName: 'Depot',
  ...extra,
});
const ids = (events: EventDetail[]) => events.map((e) => Number(e.id.slice(-12)));

describe('mergeEvents', () => {
  it('keeps one entry per id, newest first (time, then id), and leaves retracted ones out', () => {
    const merged = mergeEvents([ev(3), ev(1)], [ev(2), ev(3), ev(5, 1), ev(4)], new Set([id(4)]));
    expect(ids(merged)).toEqual([3, 2, 5, 1]);
  });

  it('keeps the names a later copy lacks (an event from the stream), and takes the ones it has', () => {
    const [fromStream] = mergeEvents([ev(1)], [ev(1, 1, { geofenceName: null, attributes: { late: true } })]);
    expect(fromStream).toMatchObject({ geofenceName: 'Depot', attributes: { late: true } });
    const [named] = mergeEvents([ev(1, 1, { geofenceName: null })], [ev(1)]);
    expect(named.geofenceName).toBe('Depot');
  });
});

describe('afterGap', () => {
  it('restarts from the newest page, keeping what the stream added that is as new as the page', () => {
    const current = [ev(9), ev(8), ev(3), ev(2), ev(1)];
    expect(ids(afterGap(current, [ev(10), ev(8), ev(7)]))).toEqual([10, 9, 8, 7]);
    expect(afterGap(current, [])).toEqual([]);
  });
});

describe('detailOf', () => {
  const { vehicleName: _v, geofenceName: _g, retractedAt: _r, ...tracking } = ev(1);
  it('names the vehicle and the geofence from what the app knows', () => {
    const { detail, complete } = detailOf(tracking, { vehicle: () => 'Van 1', geofence: () => 'Depot' });
    expect(complete).toBe(true);
    expect(detail).toEqual(ev(1));
  });

  it('is incomplete when a name is unknown, complete for an event without a geofence', () => {
    expect(detailOf(tracking, { vehicle: () => 'Van 1', geofence: () => undefined }).complete).toBe(false);
    expect(detailOf(tracking, { vehicle: () => undefined, geofence: () => 'Depot' }).complete).toBe(false);
    const overspeed = { ...tracking, type: 'overspeed' as const, geofenceId: null };
    expect(detailOf(overspeed, { vehicle: () => 'Van 1', geofence: () => undefined })).toEqual({
      detail: { ...overspeed, vehicleName: 'Van 1', geofenceName: null },
      complete: true,
    });
  });
});
