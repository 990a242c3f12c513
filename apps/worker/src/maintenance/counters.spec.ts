import { destination, distanceM } from '@fleet/geo';
import { advance, dueAt, usageDue, type Counters, type CountedFix } from './counters';

const start = { lat: 40.4, lon: -3.7 };
const fix = (
  ts: number,
  at: { lat: number; lon: number },
  attributes: Record<string, unknown> | null = null,
): CountedFix => ({
  ts,
  ...at,
  attributes,
});

describe('maintenance counters', () => {
  it('sums the geodesic distance between consecutive fixes when the tracker sends no odometer', () => {
    const b = destination(start, 90, 1500);
    const c = destination(b, 0, 700);
    let counters: Counters | null = null;
    for (const f of [fix(0, start), fix(60_000, b), fix(120_000, c)]) counters = advance(counters, f);
    // fastDistanceM (consecutive fixes): within 1 ppm of GeographicLib's exact distance.
    const exactKm = (distanceM(start, b) + distanceM(b, c)) / 1000;
    expect(Math.abs((counters?.odometerKm ?? 0) - exactKm)).toBeLessThanOrEqual(exactKm * 1e-6);
    expect(counters?.odometerKm).toBeCloseTo(2.2, 6);
    expect(counters?.odometerReadingTs).toBeNull();
  });

  it("takes the tracker's odometer (metres) when sent, and adds distance after it", () => {
    const b = destination(start, 90, 1000);
    let c = advance(null, fix(0, start, { odometer: 123_456_000 }));
    expect(c.odometerKm).toBe(123_456);
    c = advance(c, fix(60_000, b));
    expect(c.odometerKm).toBeCloseTo(123_457, 6);
    c = advance(c, fix(120_000, start, { odometer: 123_458_500 }));
    expect(c.odometerKm).toBe(123_458.5);
    expect(c.odometerReadingTs).toBe(120_000);
  });

  it('counts engine time for the spans that start with ignition on, keeping the last state told', () => {
    let c = advance(null, fix(0, start, { ignition: false }));
    c = advance(c, fix(600_000, start, { ignition: true })); // off before: not counted
    c = advance(c, fix(1_200_000, start)); // says nothing: still on
    c = advance(c, fix(1_800_000, start, { ignition: false }));
    c = advance(c, fix(7_200_000, start, { ignition: true })); // parked an hour and a half: not counted
    expect(c.engineSeconds).toBe(1_200);
    expect(c.ignition).toBe(true);
  });

  it('is due at the limit minus the notice, from the last service', () => {
    const rule = {
      everyKm: 15_000,
      everyEngineHours: 250,
      notifyBeforeKm: 500,
      notifyBeforeEngineHours: 10,
      baseOdometerKm: 30_000,
      baseEngineHours: 100,
    };
    expect(dueAt(rule)).toEqual({ km: 44_500, engineHours: 340 });
    expect(usageDue(rule, { odometerKm: 44_499.9, engineSeconds: 339.9 * 3600 })).toBeNull();
    expect(usageDue(rule, { odometerKm: 44_500, engineSeconds: 0 })).toBe('km');
    expect(usageDue(rule, { odometerKm: 0, engineSeconds: 340 * 3600 })).toBe('engine_hours');
    expect(usageDue({ ...rule, everyKm: null }, { odometerKm: 1e9, engineSeconds: 0 })).toBeNull();
  });
});
