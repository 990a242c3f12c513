import type { InsertedPosition } from '@fleet/queue-replay';
import { evaluate, type VehicleState } from './detector';

const VEH = '00000000-0000-4000-8000-000000000001';
const ORG = '00000000-0000-4000-8000-0000000000aa';
const T0 = Date.UTC(2026, 10, 28, 8, 0, 0);

const fix = (s: number, speedKmh: number | null = 30, speedLimitKmh: number | null = 50): InsertedPosition => ({
  vehicleId: VEH,
  organizationId: ORG,
  ts: T0 + s * 1000,
  lat: 40,
  lon: -3,
  speedKmh,
  heading: null,
  altitude: null,
  accuracy: null,
  battery: null,
  attributes: null,
  speedLimitKmh,
  replaced: false,
});
const fresh = (): VehicleState => ({
  ts: -Infinity,
  geofences: new Set(),
  overspeedSince: null,
  overspeedReported: false,
  offlineSince: null,
});
const opts = { overspeedMinSeconds: 30 };

describe('event rules', () => {
  it('emits one enter and one exit for a pass through a geofence', () => {
    const inside = (s: number, ...ids: string[]) => ({ p: fix(s), inside: new Set(ids) });
    const events = evaluate(fresh(), [inside(0), inside(10, 'g1'), inside(20, 'g1'), inside(30)], opts);
    expect(events.map((e) => `${e.type}:${e.geofenceId}:${(e.ts - T0) / 1000}`)).toEqual([
      'geofence_enter:g1:10',
      'geofence_exit:g1:30',
    ]);
  });

  it('gives the same events however the fixes are split across batches', () => {
    const seq = [0, 10, 20, 30, 40, 50].map((s, i) => ({
      p: fix(s, i >= 1 && i <= 4 ? 80 : 30),
      inside: new Set<string>(i % 2 ? ['a'] : []),
    }));
    const whole = evaluate(fresh(), seq, opts);
    for (let cut = 1; cut < seq.length; cut++) {
      const state = fresh();
      const parts = [...evaluate(state, seq.slice(0, cut), opts), ...evaluate(state, seq.slice(cut), opts)];
      expect(parts).toEqual(whole);
    }
    expect(whole.filter((e) => e.type === 'overspeed')).toHaveLength(1);
  });

  it('reports overspeed only after the minimum duration, keyed by the episode start, once', () => {
    const state = fresh();
    expect(
      evaluate(
        state,
        [
          { p: fix(0, 80), inside: new Set() },
          { p: fix(20, 85), inside: new Set() },
        ],
        opts,
      ),
    ).toEqual([]);
    const events = evaluate(
      state,
      [
        { p: fix(40, 90), inside: new Set() },
        { p: fix(60, 95), inside: new Set() },
      ],
      opts,
    );
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'overspeed', ts: T0, attributes: { speedKmh: 90, limitKmh: 50 } });
    // Back under the limit, then over again: a new episode.
    expect(evaluate(state, [{ p: fix(70, 40), inside: new Set() }], opts)).toEqual([]);
    const again = evaluate(
      state,
      [
        { p: fix(80, 70), inside: new Set() },
        { p: fix(120, 70), inside: new Set() },
      ],
      opts,
    );
    expect(again.map((e) => e.ts)).toEqual([T0 + 80_000]);
  });

  it('a short burst over the limit is not an overspeed; a fix without speed does not end an episode', () => {
    expect(
      evaluate(
        fresh(),
        [0, 10, 20].map((s) => ({ p: fix(s, s === 10 ? 90 : 40), inside: new Set<string>() })),
        opts,
      ),
    ).toEqual([]);
    const events = evaluate(
      fresh(),
      [fix(0, 80), fix(15, null), fix(35, 80)].map((p) => ({ p, inside: new Set<string>() })),
      opts,
    );
    expect(events.map((e) => e.type)).toEqual(['overspeed']);
  });

  it('ignores fixes not newer than the state (late arrivals) and brings a silent device back online', () => {
    const state = { ...fresh(), ts: T0 + 100_000, offlineSince: T0 + 50_000 };
    expect(evaluate(state, [{ p: fix(90), inside: new Set(['g']) }], opts)).toEqual([]);
    const events = evaluate(state, [{ p: fix(110), inside: new Set() }], opts);
    expect(events.map((e) => e.type)).toEqual(['device_online']);
    expect(state.offlineSince).toBeNull();
  });
});
