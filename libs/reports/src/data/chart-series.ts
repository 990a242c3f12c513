import { withTransaction, type Pool } from '@fleet/db';
import type { ChartSeries } from '../model';
import { ChartSeriesBuilder } from '../series';
import { HISTORY_PLAN_SQL, readCompact } from './compact';
import { windows, type Period } from './period';

/**
 * One vehicle's speed (and altitude, battery) over a period for a PDF report's chart: the fixes read
 * a window (≤ 36 hours) at a time by the compact reader, the history's binary COPY, and thinned as
 * they come (at most CHART_MAX_POINTS kept), so a month of 1 Hz fixes never sits in memory whole.
 */
export function readChartSeries(pool: Pool, vehicleId: string, period: Period): Promise<ChartSeries> {
  return withTransaction(pool, async (client) => {
    await client.query(`SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY; ${HISTORY_PLAN_SQL}`);
    const builder = new ChartSeriesBuilder(period);
    for (const w of windows(period)) builder.add(await readCompact(client, vehicleId, w));
    return builder.build();
  });
}
