import type { TrackingEvent } from '@fleet/contracts';
import { countByStatus, EventFeed, FleetStore, filterRows, mergeFix, vehicleRows, type LiveFix } from './store';

const T0 = Date.parse('2026-11-27T12:00:00Z');
const fix = (vehicleId: string, secondsAfter: number, extra: Partial<LiveFix> = {}): LiveFix => ({
  vehicleId,
  ts: new Date(T0 + secondsAfter * 1000).toISOString(),
  tsMs: T0 + secondsAfter * 1000,
  lat: 40.4 + secondsAfter / 1e4,
  lon: -3.7,
  speedKmh: 30,
  heading: 90,
  altitude: null,
  accuracy: 5,
  battery: 80,
  attributes: null,
  ...extra,
});

/** A store whose flushes run when the test says. */
function manualStore() {
  const queued: (() => void)[] = [];
  const store = new FleetStore({ schedule: (fn) => queued.push(fn) });
  return { store, runTimers: () => queued.splice(0).forEach((fn) => fn()), queued };
}

describe('mergeFix', () => {
  it('keeps the newest fix of each vehicle, whatever order they arrive in', () => {
    const fixes = new Map<string, LiveFix>();
    expect(mergeFix(fixes, fix('a', 10))).toBe(true);
    expect(mergeFix(fixes, fix('a', 5))).toBe(false); // late, older
    expect(mergeFix(fixes, fix('a', 10))).toBe(false); // the same again (a resumed stream)
    expect(fixes.get('a')?.tsMs).toBe(T0 + 10_000);
    expect(mergeFix(fixes, fix('a', 11))).toBe(true);
    expect(fixes.get('a')?.tsMs).toBe(T0 + 11_000);
  });

  it('ignores a fix whose time cannot be read', () => {
    const fixes = new Map<string, LiveFix>();
    expect(mergeFix(fixes, { ...fix('a', 1), tsMs: Number.NaN })).toBe(false);
    expect(fixes.size).toBe(0);
  });
});

describe('FleetStore', () => {
  it('tells subscribers once per flush, however many fixes came in between', () => {
    const { store, runTimers, queued } = manualStore();
    const heard = jest.fn();
    store.subscribe(heard);
    for (let i = 0; i < 1000; i++) store.push(fix(`v${i % 50}`, i));
    expect(queued).toHaveLength(1);
    expect(heard).not.toHaveBeenCalled();
    runTimers();
    expect(heard).toHaveBeenCalledTimes(1);
    expect(store.fixes.size).toBe(50);
    expect(store.getVersion()).toBe(1);
  });

  it('waits twice as long between notifications for a fleet of more than 1,000 vehicles', () => {
    const delays: number[] = [];
    const store = new FleetStore({ flushMs: 250, schedule: (fn, ms) => (delays.push(ms), fn()) });
    store.push(fix('a', 1));
    store.pushAll(Array.from({ length: 1001 }, (_, i) => fix(`v${i}`, 2)));
    expect(delays[0]).toBe(250);
    expect(delays.at(-1)).toBe(500);
  });

  it('does not notify for fixes that changed nothing', () => {
    const { store, runTimers, queued } = manualStore();
    store.push(fix('a', 10));
    runTimers();
    store.push(fix('a', 9));
    expect(queued).toHaveLength(0);
  });

  it('orders vehicles by name, numbers in numeric order, including ones known only by a fix', () => {
    const { store } = manualStore();
    store.setVehicles([
      { id: 'x', name: 'Van 10', plate: null, type: 'van' },
      { id: 'y', name: 'van 2', plate: null, type: 'van' },
      { id: 'z', name: 'Bus 1', plate: null, type: 'bus' },
    ]);
    store.push(fix('00000000-unknown', 1));
    expect(store.orderedIds()).toEqual(['00000000-unknown', 'z', 'y', 'x']);
  });
});

describe('vehicleRows', () => {
  const now = T0 + 60_000;
  function fleet() {
    const { store } = manualStore();
    store.setVehicles([
      { id: 'a', name: 'Van 01', plate: '1234 BCD', type: 'van' },
      { id: 'b', name: 'Truck 02', plate: '5678 FGH', type: 'truck', deviceIdentifier: 'demo-02' },
      { id: 'c', name: 'Car 03', plate: null, type: 'car' },
      { id: 'd', name: 'Bus 04', plate: null, type: 'bus' },
    ]);
    store.push(fix('a', 50, { speedKmh: 50 }));
    store.push(fix('b', 50, { speedKmh: 0 }));
    store.push(fix('c', -3600, { speedKmh: 70 })); // an hour old: offline
    // d has never reported
    return store;
  }

  it('classifies every vehicle, one without any fix as offline', () => {
    const rows = vehicleRows(fleet(), now);
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ['Bus 04', 'offline'],
      ['Car 03', 'offline'],
      ['Truck 02', 'stopped'],
      ['Van 01', 'moving'],
    ]);
    expect(countByStatus(rows)).toEqual({ moving: 1, stopped: 1, offline: 2 });
  });

  it('filters by status and searches name, plate and identifier, ignoring case', () => {
    const store = fleet();
    expect(vehicleRows(store, now, { status: 'offline' }).map((r) => r.id)).toEqual(['d', 'c']);
    expect(vehicleRows(store, now, { search: 'van' }).map((r) => r.id)).toEqual(['a']);
    expect(vehicleRows(store, now, { search: ' 5678 ' }).map((r) => r.id)).toEqual(['b']);
    expect(vehicleRows(store, now, { search: 'DEMO-02' }).map((r) => r.id)).toEqual(['b']);
    expect(vehicleRows(store, now, { search: 'van', status: 'stopped' })).toEqual([]);
  });

  it('filters rows already classified exactly as a fresh classification would', () => {
    const store = fleet();
    const all = vehicleRows(store, now);
    for (const filter of [
      {},
      { status: 'offline' as const },
      { search: 'DEMO-02' },
      { search: 'o', status: 'moving' as const },
    ])
      expect(filterRows(all, filter, store)).toEqual(vehicleRows(store, now, filter));
  });
});

describe('EventFeed', () => {
  const event = (id: string): TrackingEvent => ({
    id,
    vehicleId: 'a',
    type: 'overspeed',
    ts: new Date(T0).toISOString(),
    geofenceId: null,
    lat: null,
    lon: null,
    attributes: {},
  });

  it('announces each event once, newest first, and keeps only the most recent', () => {
    const feed = new EventFeed(3);
    const heard: string[] = [];
    feed.subscribe((e) => heard.push(e.id));
    for (const id of ['1', '2', '2', '3', '4', '1']) feed.push(event(id));
    expect(heard).toEqual(['1', '2', '3', '4']);
    expect(feed.recent().map((e) => e.id)).toEqual(['4', '3', '2']);
  });

  it('drops a retracted event and tells the lists that show it', () => {
    const feed = new EventFeed();
    const retracted: string[] = [];
    feed.onRetract((id) => retracted.push(id));
    for (const id of ['1', '2', '3']) feed.push(event(id));
    feed.retract('2');
    expect(feed.recent().map((e) => e.id)).toEqual(['3', '1']);
    expect(retracted).toEqual(['2']);
  });
});
