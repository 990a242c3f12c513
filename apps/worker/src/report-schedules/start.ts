import type { Pool } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import type client from 'prom-client';
import { startPeriodic, type PeriodicJob } from '../periodic';
import { queueDueReports, reportRunMetrics } from './scheduler';

/** Schedules taken per transaction; the rest wait for the next tick. */
const BATCH = 100;

/**
 * Scheduled reports: every `intervalMs`, due schedules get a run of their previous complete period
 * queued in report_runs (at most once per period, whatever the number of workers).
 */
export function startReportScheduler(o: {
  pool: Pool;
  logger: Logger;
  registry: client.Registry;
  intervalMs: number;
  now?: () => Date;
}): PeriodicJob {
  const metrics = reportRunMetrics(o.registry);
  const now = o.now ?? (() => new Date());
  return startPeriodic({
    name: 'report-schedules',
    intervalMs: o.intervalMs,
    logger: o.logger,
    registry: o.registry,
    run: async () => {
      const queued = await queueDueReports(o.pool, { now: now(), limit: BATCH });
      if (queued) metrics.runs.inc({ status: 'queued' }, queued);
      return queued;
    },
  });
}
