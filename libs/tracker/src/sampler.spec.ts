import { DEFAULT_TRACKER_SETTINGS, type PositionInput, type TrackerSettings } from '@fleet/contracts';
import { destination } from '@fleet/geo';
import { Sampler } from './sampler';

const T0 = Date.UTC(2026, 11, 6, 8, 0, 0);
const settings: TrackerSettings = {
  ...DEFAULT_TRACKER_SETTINGS,
  distanceFilterMeters: 50,
  timeIntervalSeconds: 30,
  chargingIntervalSeconds: 5,
  headingChangeDegrees: 30,
  accuracyFilterMeters: 40,
  heartbeatSeconds: 300,
};
const start = { lat: 40.4168, lon: -3.7038 };
/** A fix `metres` north-east of the start (bearing 45), `seconds` after T0. */
const at = (seconds: number, metres = 0, extra: Partial<PositionInput> = {}): PositionInput => {
  const p = metres === 0 ? start : destination(start, 45, metres);
  return { ts: new Date(T0 + seconds * 1000).toISOString(), lat: p.lat, lon: p.lon, accuracy: 10, ...extra };
};

function sampler(overrides: Partial<TrackerSettings> = {}) {
  const kept: PositionInput[] = [];
  const s = new Sampler({ settings: { ...settings, ...overrides }, onFix: (f) => kept.push(f) });
  return { s, kept };
}

describe('Sampler rules', () => {
  it('keeps the first fix, then one per distanceFilterMeters moved', () => {
    const { s, kept } = sampler();
    expect(s.offer(at(0))).toBe('first');
    expect(s.offer(at(5, 20, { speed: 14 }))).toBe('unchanged');
    expect(s.offer(at(10, 49, { speed: 14 }))).toBe('unchanged');
    expect(s.offer(at(15, 51, { speed: 14 }))).toBe('distance');
    expect(kept).toHaveLength(2);
  });

  it('drops fixes less accurate than accuracyFilterMeters, whatever else they say', () => {
    const { s, kept } = sampler();
    expect(s.offer(at(0, 0, { accuracy: 41 }))).toBe('inaccurate');
    expect(s.offer(at(0, 0, { accuracy: 40 }))).toBe('first');
    expect(s.offer(at(60, 5000, { accuracy: 500 }))).toBe('inaccurate');
    expect(kept).toHaveLength(1);
  });

  it('keeps a turn of headingChangeDegrees while moving, but not heading noise while parked', () => {
    const { s } = sampler();
    s.offer(at(0, 0, { speed: 20, heading: 350 }));
    expect(s.offer(at(5, 10, { speed: 20, heading: 10 }))).toBe('unchanged'); // 20° across north
    expect(s.offer(at(6, 12, { speed: 20, heading: 60 }))).toBe('heading');
    expect(s.offer(at(8, 12, { speed: 0, heading: 200 }))).toBe('unchanged');
  });

  it('keeps a fix every timeIntervalSeconds while moving slowly, and more often while charging', () => {
    const { s, kept } = sampler();
    s.offer(at(0, 0, { speed: 5 }));
    expect(s.offer(at(29, 30, { speed: 5 }))).toBe('unchanged');
    expect(s.offer(at(30, 35, { speed: 5 }))).toBe('interval');
    s.setCharging(true);
    expect(s.offer(at(34, 40, { speed: 5 }))).toBe('unchanged');
    expect(s.offer(at(35, 41, { speed: 5 }))).toBe('interval');
    expect(kept).toHaveLength(3);
  });

  it('judges movement from the distance when the phone gives no speed', () => {
    const { s } = sampler();
    s.offer(at(0));
    expect(s.offer(at(30, 40))).toBe('interval'); // 40 m in 30 s ≈ 4.8 km/h
    expect(s.offer(at(60, 40))).toBe('unchanged'); // parked
  });

  it('never keeps two fixes within a second', () => {
    const { s } = sampler({ distanceFilterMeters: 1 });
    s.offer(at(0));
    expect(s.offer(at(0.5, 100))).toBe('too-soon');
    expect(s.offer(at(1, 100))).toBe('distance');
  });

  it('keeps a fix from the OS every heartbeatSeconds while parked (the background path)', () => {
    const { s, kept } = sampler();
    s.offer(at(0));
    expect(s.offer(at(299, 3, { speed: 0 }))).toBe('unchanged');
    expect(s.offer(at(300, 3, { speed: 0 }))).toBe('heartbeat');
    expect(kept).toHaveLength(2);
  });

  it('applies new settings from the next fix on', () => {
    const { s } = sampler();
    s.offer(at(0));
    expect(s.offer(at(10, 20, { speed: 10 }))).toBe('unchanged');
    s.configure({ ...settings, distanceFilterMeters: 10 });
    expect(s.offer(at(20, 35, { speed: 10 }))).toBe('distance');
  });
});

describe('Sampler heartbeat timer (fake timers)', () => {
  beforeEach(() => jest.useFakeTimers({ now: T0 }));
  afterEach(() => jest.useRealTimers());

  it('emits the last coordinates, stamped now, every heartbeatSeconds while no fix arrives', () => {
    const { s, kept } = sampler({ heartbeatSeconds: 240 });
    s.start();
    s.offer(at(0, 0, { speed: 12, heading: 90, battery: 80 }));
    jest.advanceTimersByTime(239_999);
    expect(kept).toHaveLength(1);
    jest.advanceTimersByTime(1);
    expect(kept).toHaveLength(2);
    expect(kept[1]).toEqual({
      ts: new Date(T0 + 240_000).toISOString(),
      lat: start.lat,
      lon: start.lon,
      accuracy: 10,
      battery: 80,
      speed: 0,
      attributes: { heartbeat: true },
    });
    jest.advanceTimersByTime(240_000 * 3);
    expect(kept).toHaveLength(5);
    // Well inside the server's 10 minutes offline threshold: no gap longer than the heartbeat.
    const gaps = kept.slice(1).map((f, i) => Date.parse(String(f.ts)) - Date.parse(String(kept[i].ts)));
    expect(Math.max(...gaps)).toBe(240_000);
    s.stop();
    jest.advanceTimersByTime(3_600_000);
    expect(kept).toHaveLength(5);
  });

  it('postpones the heartbeat when a real fix is kept, and emits nothing before the first fix', () => {
    const { s, kept } = sampler({ heartbeatSeconds: 300 });
    s.start();
    jest.advanceTimersByTime(600_000);
    expect(kept).toHaveLength(0);
    s.offer(at(600));
    jest.advanceTimersByTime(200_000);
    s.offer(at(800, 100, { speed: 20 }));
    jest.advanceTimersByTime(299_000);
    expect(kept).toHaveLength(2);
    jest.advanceTimersByTime(1_000);
    expect(kept).toHaveLength(3);
    expect(kept[2].attributes).toEqual({ heartbeat: true });
  });
});
