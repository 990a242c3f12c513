import { withTransaction, type Pool } from '@fleet/db';
import { nextRunAt, previousPeriod, type ScheduleTiming } from '@fleet/reports';
import client from 'prom-client';

/** Periods that ended longer ago than this are not sent after an outage: the schedule just moves on. */
export const MAX_CATCH_UP_MS = 35 * 86_400_000;

interface DueSchedule {
  id: string;
  frequency: 'daily' | 'weekly' | 'monthly';
  weekday: number | null;
  day_of_month: number | null;
  hour: number;
  time_zone: string;
  next_run_at: Date;
}

/**
 * Due schedules, locked (SKIP LOCKED: two workers share them, never both take one). Hand-written:
 * the lock and the partial index on next_run_at in one statement.
 */
const DUE = `
SELECT id, frequency, weekday, day_of_month, hour, time_zone, next_run_at
FROM report_schedules
WHERE enabled AND next_run_at <= $1::timestamptz
ORDER BY next_run_at
LIMIT $2
FOR UPDATE SKIP LOCKED`;

/** A period at most once: the unique (schedule_id, period_from) also holds against "run now". */
const QUEUE = `
INSERT INTO report_runs (schedule_id, period_from, period_to, next_attempt_at)
VALUES ($1, $2::timestamptz, $3::timestamptz, $4::timestamptz)
ON CONFLICT (schedule_id, period_from) DO NOTHING`;

const timingOf = (s: DueSchedule): ScheduleTiming =>
  s.frequency === 'weekly'
    ? { frequency: 'weekly', weekday: s.weekday ?? 1, hour: s.hour }
    : s.frequency === 'monthly'
      ? { frequency: 'monthly', dayOfMonth: s.day_of_month ?? 1, hour: s.hour }
      : { frequency: 'daily', hour: s.hour };

export function reportRunMetrics(registry: client.Registry) {
  return {
    runs: new client.Counter({
      name: 'report_runs_total',
      help: 'Scheduled report runs by outcome: queued (a period became due), sent, retry (failed, will retry), failed (gave up)',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
  };
}

export interface QueueDueOptions {
  now: Date;
  /** Schedules taken in one transaction. */
  limit: number;
}

/**
 * Queues a run for each due schedule: the previous complete period as of its due instant (so a late
 * worker still reports the right day), then moves next_run_at to the following occurrence. After an
 * outage each missed period is queued in turn, up to MAX_CATCH_UP_MS back. Returns the runs queued.
 */
export async function queueDueReports(pool: Pool, o: QueueDueOptions): Promise<number> {
  return withTransaction(pool, async (tx) => {
    const due = await tx.query<DueSchedule>(DUE, [o.now.toISOString(), o.limit]);
    let queued = 0;
    for (const s of due.rows) {
      const timing = timingOf(s);
      let at = s.next_run_at;
      while (at.getTime() <= o.now.getTime()) {
        const period = previousPeriod(timing.frequency, s.time_zone, at);
        if (o.now.getTime() - period.to.getTime() <= MAX_CATCH_UP_MS) {
          const res = await tx.query(QUEUE, [
            s.id,
            period.from.toISOString(),
            period.to.toISOString(),
            o.now.toISOString(),
          ]);
          queued += res.rowCount ?? 0;
        }
        at = nextRunAt(timing, s.time_zone, at);
      }
      await tx.query('UPDATE report_schedules SET next_run_at = $2::timestamptz WHERE id = $1', [
        s.id,
        at.toISOString(),
      ]);
    }
    return queued;
  });
}
