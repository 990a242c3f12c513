import { INTERPOLATE_MAX_GAP_MS, type Track } from '../replay/track';

/** The measurements the history chart can draw, each on a scale of its own. */
export type ChartSeriesKey = 'speed' | 'altitude' | 'battery';

/**
 * A track shaped for the chart (uPlot's aligned columns): x in epoch seconds, one column per
 * measurement the period has, `null` where a fix did not say and at the break inserted in each gap.
 * A measurement no fix of the period has is left out (`series` lists those kept, in drawing order).
 */
export interface ChartData {
  /** Epoch seconds, ascending; gap breaks included. */
  x: number[];
  series: { key: ChartSeriesKey; values: (number | null)[] }[];
  /** Where the chart starts and ends, epoch milliseconds (the first and last fix). */
  startMs: number;
  endMs: number;
}

export interface SpeedSummary {
  maxKmh: number;
  /** Time-weighted: each fix's speed holds until the next one, gaps left out (the replay's view). */
  avgKmh: number;
}

export interface ChartSummary {
  speed: SpeedSummary | null;
  altitude: { min: number; max: number } | null;
  battery: { first: number; last: number; min: number } | null;
}

const COLUMNS: { key: ChartSeriesKey; of: (track: Track) => Float32Array }[] = [
  { key: 'speed', of: (track) => track.speedKmh },
  { key: 'altitude', of: (track) => track.altitude },
  { key: 'battery', of: (track) => track.battery },
];

const hasAny = (values: Float32Array, n: number) => {
  for (let i = 0; i < n; i++) if (!Number.isNaN(values[i])) return true;
  return false;
};

/**
 * The chart's columns for a track. Longer than `gapMs` between two fixes (the replay's interpolation
 * limit by default: the vehicle was parked or out of coverage), a null point is inserted halfway so
 * the lines break there instead of drawing a slope across a night.
 */
export function chartData(track: Track, { gapMs = INTERPOLATE_MAX_GAP_MS }: { gapMs?: number } = {}): ChartData {
  const n = track.length;
  const kept = COLUMNS.filter((c) => hasAny(c.of(track), n));
  const x: number[] = [];
  const columns = kept.map(() => [] as (number | null)[]);
  for (let i = 0; i < n; i++) {
    if (i > 0 && track.t[i] - track.t[i - 1] > gapMs) {
      x.push((track.t[i - 1] + track.t[i]) / 2 / 1000);
      for (const column of columns) column.push(null);
    }
    x.push(track.t[i] / 1000);
    kept.forEach((c, k) => {
      const v = c.of(track)[i];
      columns[k].push(Number.isNaN(v) ? null : v);
    });
  }
  return {
    x,
    series: kept.map((c, k) => ({ key: c.key, values: columns[k] })),
    startMs: n ? track.t[0] : 0,
    endMs: n ? track.t[n - 1] : 0,
  };
}

/** What the chart shows, in numbers: the text screen readers get instead of the picture. */
export function chartSummary(track: Track, { gapMs = INTERPOLATE_MAX_GAP_MS }: { gapMs?: number } = {}): ChartSummary {
  const n = track.length;
  let max = -Infinity;
  let weighted = 0;
  let weight = 0;
  let known = 0;
  let knownSum = 0;
  for (let i = 0; i < n; i++) {
    const v = track.speedKmh[i];
    if (Number.isNaN(v)) continue;
    max = Math.max(max, v);
    known++;
    knownSum += v;
    const dt = i + 1 < n ? track.t[i + 1] - track.t[i] : 0;
    if (dt > 0 && dt <= gapMs) {
      weighted += v * dt;
      weight += dt;
    }
  }
  let altMin = Infinity;
  let altMax = -Infinity;
  let batteryFirst = NaN;
  let batteryLast = NaN;
  let batteryMin = Infinity;
  for (let i = 0; i < n; i++) {
    const a = track.altitude[i];
    if (!Number.isNaN(a)) {
      altMin = Math.min(altMin, a);
      altMax = Math.max(altMax, a);
    }
    const b = track.battery[i];
    if (!Number.isNaN(b)) {
      if (Number.isNaN(batteryFirst)) batteryFirst = b;
      batteryLast = b;
      batteryMin = Math.min(batteryMin, b);
    }
  }
  return {
    // A single fix (or fixes only across gaps) has no duration to weigh: the plain mean then.
    speed: known ? { maxKmh: max, avgKmh: weight > 0 ? weighted / weight : knownSum / known } : null,
    altitude: altMin <= altMax ? { min: altMin, max: altMax } : null,
    battery: Number.isNaN(batteryFirst) ? null : { first: batteryFirst, last: batteryLast, min: batteryMin },
  };
}

/** The replay cursor on the chart's time axis (epoch seconds), held within the chart's period. */
export function cursorSeconds(data: Pick<ChartData, 'startMs' | 'endMs'>, cursorMs: number): number {
  return Math.min(Math.max(cursorMs, data.startMs), data.endMs) / 1000;
}
