import type { FixAttributes, StopItem, SummaryReport, TripItem } from '@fleet/contracts';
import { withTransaction, type Pool } from '@fleet/db';
import { detectTripsAndStops, summarize, type MotionFix, type TripsAndStops, type TripStopOptions } from '@fleet/geo';
import { attributesAt } from './attributes';
import { HISTORY_PLAN_SQL, readCompact } from './compact';
import { windows, type Period } from './period';

/**
 * Fixes a report reads at most: about six days at 1 Hz, ~100 MB of working memory in detection. A
 * longer or denser period is read whole but every n-th fix is kept (`sampledEvery`), which the
 * answer states: stops of minutes and trips of kilometres survive a few seconds of spacing.
 */
export const MAX_REPORT_FIXES = 500_000;

export interface Detection {
  vehicleId: string;
  period: Period;
  fixes: number;
  sampledEvery: number;
  result: TripsAndStops;
  /** Attributes of the fixes trips and stops start and end at, by their time (epoch ms). */
  attributes: Map<number, FixAttributes>;
}

/** Trips and stops of one vehicle over a period (the period is bounded by the caller). */
export function detectPeriod(
  pool: Pool,
  vehicleId: string,
  period: Period,
  options: TripStopOptions,
): Promise<Detection> {
  return withTransaction(pool, async (client) => {
    // One snapshot for the count and the reads, so the sampling step matches what is read (one round
    // trip with the planner settings: both go before the first read of the transaction).
    await client.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; ${HISTORY_PLAN_SQL}`);
    const { rows } = await client.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM positions WHERE vehicle_id = $1 AND ts >= $2 AND ts < $3',
      [vehicleId, period.from, period.to],
    );
    const total = rows[0]?.n ?? 0;
    const every = Math.max(1, Math.ceil(total / MAX_REPORT_FIXES));
    const fixes: MotionFix[] = [];
    let i = 0;
    for (const w of total ? windows(period) : []) {
      const c = await readCompact(client, vehicleId, w);
      for (let k = 0; k < c.n; k++, i++) {
        if (i % every !== 0 && i !== total - 1) continue;
        fixes.push({
          ts: c.t[k],
          lat: c.lat[k],
          lon: c.lon[k],
          speedKmh: Number.isNaN(c.speedKmh[k]) ? null : c.speedKmh[k],
          accuracy: Number.isNaN(c.accuracy[k]) ? null : c.accuracy[k],
        });
      }
    }
    const result = detectTripsAndStops(fixes, options);
    // Only the ends are looked up (a key probe each), in the snapshot the fixes were read from.
    const ends = new Set<number>();
    for (const x of [...result.trips, ...result.stops]) ends.add(x.startTime.getTime()).add(x.endTime.getTime());
    const times = [...ends];
    const found = await attributesAt(client, vehicleId, times);
    const attributes = new Map<number, FixAttributes>();
    times.forEach((ms, n) => attributes.set(ms, found[n] ?? {}));
    return { vehicleId, period, fixes: total, sampledEvery: every, result, attributes };
  });
}

const basis = (d: Detection) => ({
  vehicleId: d.vehicleId,
  from: d.period.from.toISOString(),
  to: d.period.to.toISOString(),
  fixes: d.fixes,
  sampledEvery: d.sampledEvery,
});

const endsOf = (d: Detection, x: { startTime: Date; endTime: Date }) => ({
  startAttributes: d.attributes.get(x.startTime.getTime()) ?? {},
  endAttributes: d.attributes.get(x.endTime.getTime()) ?? {},
});

export const tripItems = (d: Detection): TripItem[] =>
  d.result.trips.map((t) => ({
    startTime: t.startTime.toISOString(),
    endTime: t.endTime.toISOString(),
    durationS: t.durationS,
    distanceM: t.distanceM,
    maxSpeedKmh: t.maxSpeedKmh,
    avgSpeedKmh: t.avgSpeedKmh,
    idleS: t.idleS,
    start: t.startPoint,
    end: t.endPoint,
    ...endsOf(d, t),
  }));

export const stopItems = (d: Detection): StopItem[] =>
  d.result.stops.map((s) => ({
    startTime: s.startTime.toISOString(),
    endTime: s.endTime.toISOString(),
    durationS: s.durationS,
    lat: s.centroid.lat,
    lon: s.centroid.lon,
    spansDataGap: s.spansDataGap,
    ...endsOf(d, s),
  }));

export const tripList = (d: Detection) => ({ ...basis(d), items: tripItems(d) });
export const stopList = (d: Detection) => ({ ...basis(d), items: stopItems(d) });
export const summaryReport = (d: Detection): SummaryReport => ({ ...basis(d), ...summarize(d.result) });
