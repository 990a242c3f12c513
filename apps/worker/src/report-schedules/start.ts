import type { Pool } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import { createEmailChannel, type RetryPolicy, type SmtpConfig } from '@fleet/notify';
import { Places } from '@fleet/places';
import type client from 'prom-client';
import { startPeriodic } from '../periodic';
import { queueDueReports, reportRunMetrics } from './scheduler';
import { startReportRunSender } from './sender';

/** Schedules taken per transaction; the rest wait for the next tick. */
const BATCH = 100;

export interface ReportSendConfig {
  /** The SMTP server (SMTP_*: @fleet/notify); undefined: runs fail, saying so. */
  smtp: SmtpConfig | undefined;
  concurrency: number;
  pollMs: number;
  /** How long a claimed run is one worker's (reading, rendering and sending included). */
  leaseMs: number;
  policy: RetryPolicy;
}

/**
 * Scheduled reports: every `intervalMs`, due schedules get a run of their previous complete period
 * queued in report_runs (at most once per period, whatever the number of workers); with `send`, the
 * queued runs are e-mailed with their PDF and CSV (report-schedules/sender).
 */
export function startReportScheduler(o: {
  pool: Pool;
  logger: Logger;
  registry: client.Registry;
  intervalMs: number;
  send?: ReportSendConfig;
  now?: () => Date;
}): { stop(): Promise<void>; runNow(): Promise<void> } {
  const metrics = reportRunMetrics(o.registry);
  const now = o.now ?? (() => new Date());
  const periodic = startPeriodic({
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
  if (!o.send) return periodic;
  const { smtp, ...send } = o.send;
  const email = smtp ? createEmailChannel(smtp) : undefined;
  // Places offline (geofences, then the nearest town): the online geocoder is the API's.
  const places = new Places({ pool: o.pool, logger: o.logger });
  const sender = startReportRunSender({ pool: o.pool, logger: o.logger, places, email, metrics, ...send });
  return {
    runNow: () => periodic.runNow(),
    stop: async () => {
      await Promise.all([periodic.stop(), sender.stop()]);
      email?.close();
      await places.stop();
    },
  };
}
