import type { HistoryFeatureCollection } from '@fleet/contracts';
import { INTERPOLATE_MAX_GAP_MS, readTrack } from '../replay/track';
import { chartData, chartSummary, cursorSeconds } from './series';

type Feature = HistoryFeatureCollection['features'][number];

const T0 = Date.parse('2026-11-27T08:00:00Z');
const S0 = T0 / 1000;
const fix = (
  s: number,
  { speedKmh, battery, altitude }: { speedKmh?: number; battery?: number; altitude?: number } = {},
): Feature => ({
  type: 'Feature',
  geometry: { type: 'Point', coordinates: altitude === undefined ? [-3.7, 40.4] : [-3.7, 40.4, altitude] },
  properties: { ts: new Date(T0 + s * 1000).toISOString(), speedKmh, battery, attributes: {} },
});
const track = (features: Feature[]) => readTrack({ type: 'FeatureCollection', features });

describe('chartData', () => {
  it('turns fixes into a time column in seconds and a speed column, a fix without speed as null', () => {
    const data = chartData(track([fix(0, { speedKmh: 10 }), fix(10, {}), fix(20, { speedKmh: 30 })]));
    expect(data.x).toEqual([S0, S0 + 10, S0 + 20]);
    expect(data.series).toEqual([{ key: 'speed', values: [10, null, 30] }]);
    expect(data.startMs).toBe(T0);
    expect(data.endMs).toBe(T0 + 20_000);
  });

  it('leaves out altitude and battery when no fix of the period has them (a simplified track)', () => {
    const data = chartData(track([fix(0, { speedKmh: 5 }), fix(30, { speedKmh: 7 })]));
    expect(data.series.map((s) => s.key)).toEqual(['speed']);
  });

  it('draws altitude and battery when some fix has them, null where the others do not', () => {
    const data = chartData(
      track([
        fix(0, { speedKmh: 5, altitude: 650 }),
        fix(30, { speedKmh: 7, battery: 80 }),
        fix(60, { altitude: 655 }),
      ]),
    );
    expect(data.series).toEqual([
      { key: 'speed', values: [5, 7, null] },
      { key: 'altitude', values: [650, null, 655] },
      { key: 'battery', values: [null, 80, null] },
    ]);
  });

  it('keeps battery alone when the fixes carry neither speed nor altitude', () => {
    const data = chartData(track([fix(0, { battery: 90 }), fix(30, { battery: 89 })]));
    expect(data.series).toEqual([{ key: 'battery', values: [90, 89] }]);
  });

  it('breaks the lines halfway through a gap longer than the replay interpolates across', () => {
    const gapS = INTERPOLATE_MAX_GAP_MS / 1000 + 60;
    const data = chartData(
      track([fix(0, { speedKmh: 40 }), fix(10, { speedKmh: 0 }), fix(10 + gapS, { speedKmh: 20 })]),
    );
    expect(data.x).toEqual([S0, S0 + 10, S0 + 10 + gapS / 2, S0 + 10 + gapS]);
    expect(data.series[0].values).toEqual([40, 0, null, 20]);
  });

  it('does not break at a gap exactly at the limit, and honours a limit of its own', () => {
    const limitS = INTERPOLATE_MAX_GAP_MS / 1000;
    const fixes = track([fix(0, { speedKmh: 1 }), fix(limitS, { speedKmh: 2 })]);
    expect(chartData(fixes).x).toHaveLength(2);
    expect(chartData(fixes, { gapMs: 60_000 }).x).toHaveLength(3);
  });

  it('gives an empty chart for an empty track', () => {
    expect(chartData(track([]))).toEqual({ x: [], series: [], startMs: 0, endMs: 0 });
  });
});

describe('chartSummary', () => {
  it('gives the maximum and the time-weighted average speed, gaps left out', () => {
    const gapS = INTERPOLATE_MAX_GAP_MS / 1000 + 1;
    const summary = chartSummary(
      track([
        fix(0, { speedKmh: 60 }), // 60 km/h for 10 s
        fix(10, { speedKmh: 0 }), // 0 for 30 s
        fix(40, { speedKmh: 30 }), // then a gap: not weighed
        fix(40 + gapS, { speedKmh: 20 }), // last fix: no duration
      ]),
    );
    expect(summary.speed).toEqual({ maxKmh: 60, avgKmh: (60 * 10 + 0 * 30) / 40 });
    expect(summary.altitude).toBeNull();
    expect(summary.battery).toBeNull();
  });

  it('falls back to the plain mean when no two fixes span a weighable time', () => {
    expect(chartSummary(track([fix(0, { speedKmh: 12 })])).speed).toEqual({ maxKmh: 12, avgKmh: 12 });
  });

  it('has no speed figures when no fix has a speed', () => {
    expect(chartSummary(track([fix(0, { battery: 50 })])).speed).toBeNull();
  });

  it('gives the altitude range and the battery at both ends with its lowest', () => {
    const summary = chartSummary(
      track([
        fix(0, { altitude: 650, battery: 80 }),
        fix(10, { altitude: 612 }),
        fix(20, { altitude: 700, battery: 41 }),
        fix(30, { battery: 55 }),
      ]),
    );
    expect(summary.altitude).toEqual({ min: 612, max: 700 });
    expect(summary.battery).toEqual({ first: 80, last: 55, min: 41 });
  });
});

describe('cursorSeconds', () => {
  it('puts the replay cursor on the chart in seconds, held within the chart', () => {
    const data = { startMs: T0, endMs: T0 + 60_000 };
    expect(cursorSeconds(data, T0 + 30_500)).toBe(S0 + 30.5);
    expect(cursorSeconds(data, T0 - 5_000)).toBe(S0);
    expect(cursorSeconds(data, T0 + 90_000)).toBe(S0 + 60);
  });
});
