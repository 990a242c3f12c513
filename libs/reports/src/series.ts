import type { ChartSeries } from './model';

/** Longer than this between two fixes, the chart's line breaks (parked, or out of coverage). */
export const CHART_GAP_MS = 5 * 60_000;
/** Points a vehicle's chart keeps at most, however many fixes the period holds. */
export const CHART_MAX_POINTS = 2000;

/** A run of fixes as columns, ascending time, NaN where a fix did not say (the API's compact track). */
export interface FixColumns {
  n: number;
  /** Epoch milliseconds. */
  t: ArrayLike<number>;
  speedKmh: ArrayLike<number>;
  /** Metres. */
  altitude: ArrayLike<number>;
  /** Percent. */
  battery: ArrayLike<number>;
}

interface Kept {
  t: number;
  speed: number;
  altitude: number;
  battery: number;
  /** Which unbroken run of fixes (no gap longer than the limit) the fix belongs to. */
  run: number;
}

const FIRST = 0;
const LAST = 1;
const SLOWEST = 2;
const FASTEST = 3;
const PER_BUCKET = 4;

const tenths = (v: number) => (Number.isNaN(v) ? null : Math.round(v * 10) / 10);

/**
 * Thins a period's fixes to a chart's worth, fed a window at a time (memory: the points kept). The
 * period is cut into `maxPoints / 4` equal buckets of time, and each keeps its first, last, slowest
 * and fastest fix, so no peak is lost however wide a bucket is. Gaps are judged on every fix, not on
 * the points kept: two kept points are joined only when no two fixes between them were more than
 * `gapMs` apart, which a month's chart (buckets of ~6 min) could not tell from its points alone.
 */
export class ChartSeriesBuilder {
  private readonly from: number;
  private readonly buckets: number;
  private readonly bucketMs: number;
  private readonly gapMs: number;
  private readonly slots: Kept[] = Array.from({ length: PER_BUCKET }, () => ({
    t: 0,
    speed: NaN,
    altitude: NaN,
    battery: NaN,
    run: 0,
  }));
  private readonly used = [false, false, false, false];
  private bucket = -1;
  private lastT = -Infinity;
  private run = 0;
  private lastKeptRun = NaN;
  private hasAltitude = false;
  private hasBattery = false;
  private readonly out: ChartSeries & { altitudeM: Array<number | null>; batteryPct: Array<number | null> } = {
    t: [],
    speedKmh: [],
    altitudeM: [],
    batteryPct: [],
    breaks: [],
  };

  constructor(
    period: { from: Date; to: Date },
    { maxPoints = CHART_MAX_POINTS, gapMs = CHART_GAP_MS }: { maxPoints?: number; gapMs?: number } = {},
  ) {
    this.from = period.from.getTime();
    this.buckets = Math.max(1, Math.floor(maxPoints / PER_BUCKET));
    this.bucketMs = Math.max(1, (period.to.getTime() - this.from) / this.buckets);
    this.gapMs = gapMs;
  }

  /** The next fixes, later than every fix added before. */
  add(c: FixColumns): this {
    for (let k = 0; k < c.n; k++) this.fix(c.t[k], c.speedKmh[k], c.altitude[k], c.battery[k]);
    return this;
  }

  private fix(t: number, speed: number, altitude: number, battery: number) {
    if (t - this.lastT > this.gapMs) this.run++;
    this.lastT = t;
    const bucket = Math.min(this.buckets - 1, Math.max(0, Math.floor((t - this.from) / this.bucketMs)));
    if (bucket !== this.bucket) {
      this.flush();
      this.bucket = bucket;
    }
    if (!Number.isNaN(altitude)) this.hasAltitude = true;
    if (!Number.isNaN(battery)) this.hasBattery = true;
    const keep = (slot: number) => {
      const s = this.slots[slot];
      s.t = t;
      s.speed = speed;
      s.altitude = altitude;
      s.battery = battery;
      s.run = this.run;
      this.used[slot] = true;
    };
    if (!this.used[FIRST]) keep(FIRST);
    keep(LAST);
    if (!Number.isNaN(speed)) {
      if (!this.used[SLOWEST] || speed < this.slots[SLOWEST].speed) keep(SLOWEST);
      if (!this.used[FASTEST] || speed > this.slots[FASTEST].speed) keep(FASTEST);
    }
  }

  /** The current bucket's kept fixes, in time order, each once. */
  private flush() {
    const kept = this.slots.filter((_, i) => this.used[i]).sort((a, b) => a.t - b.t);
    const out = this.out;
    let previous = NaN;
    for (const p of kept) {
      if (p.t === previous) continue;
      previous = p.t;
      if (out.t.length && p.run !== this.lastKeptRun) out.breaks.push(out.t.length);
      this.lastKeptRun = p.run;
      out.t.push(p.t);
      out.speedKmh.push(tenths(p.speed));
      out.altitudeM.push(tenths(p.altitude));
      out.batteryPct.push(tenths(p.battery));
    }
    this.used.fill(false);
  }

  /** The series; altitude and battery only when some fix had them. */
  build(): ChartSeries {
    this.flush();
    const { t, speedKmh, altitudeM, batteryPct, breaks } = this.out;
    return {
      t,
      speedKmh,
      ...(this.hasAltitude ? { altitudeM } : {}),
      ...(this.hasBattery ? { batteryPct } : {}),
      breaks,
    };
  }
}
