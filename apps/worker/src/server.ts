import { createPool, ensurePositionPartitions, type Pool } from '@fleet/db';
import { createLogger, type Logger } from '@fleet/logging-json';
import { createMetrics } from '@fleet/metrics';
import { createRedis, probeRoutes, startHttpServer, storeChecks, type Redis } from '@fleet/runtime';
import { DEFAULT_STREAMS, purgeProcessed, replayUnprocessed, type StreamNames } from '@fleet/queue-replay';
import express from 'express';
import os from 'node:os';
import type { WorkerConfig } from './config';
import { startIngestConsumer } from './ingest-consumer';
import { createIngestMetrics } from './ingest-metrics';
import { startPeriodic, type PeriodicJob } from './periodic';
import { withAdvisoryLock } from './locks';
import { emitOfflineEvents } from './events/offline';
import { detectCalendarDue } from './maintenance/maintenance';
import { publishCommitted } from './live-publish';
import { applyRetention } from './retention/retention';
import { startWebhookDispatcher } from './webhooks/dispatcher';
import { startPushSender } from './push/sender';
import { startNotifications } from './notifications/start';
import { startReportScheduler } from './report-schedules/start';
import { registerCredentialExpiry } from './mobile-credentials';

export const VERSION = process.env['APP_VERSION'] ?? 'dev';

/** Something the worker runs until it drains: a consumer loop, a periodic job, the webhook dispatcher. */
interface Running {
  /** Finishes the work in hand, then stops. */
  stop(): Promise<void>;
}
interface Job {
  name: string;
  start(): Running;
}
const isPeriodic = (running: Running): running is PeriodicJob => 'runNow' in running;

export interface WorkerHandle {
  port: number;
  pool: Pool;
  redis: Redis;
  /** The periodic jobs by name (`partitions`, `replay`, `offline`, `retention`), to run one now. */
  jobs: Record<string, PeriodicJob>;
  names: StreamNames;
  /** Drains: /ready turns 503 at once, no new work starts, work in progress finishes, pools close. */
  stop(): Promise<void>;
}

export async function start(config: WorkerConfig, options: { logger?: Logger } = {}): Promise<WorkerHandle> {
  const logger =
    options.logger ?? createLogger({ service: 'worker', format: config.log.format, level: config.log.level });
  const pool = createPool({
    url: config.db.url,
    max: config.db.poolMax,
    statementTimeoutMs: config.db.statementTimeoutMs,
    applicationName: 'fleet-worker',
    onError: (err) => logger.warn('postgres connection lost', { err }),
  });
  const redis = createRedis({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    connectionName: 'fleet-worker',
    onError: (err) => logger.warn('redis connection problem', { err }),
  });
  const metrics = createMetrics({ service: 'worker' });
  let draining = false;

  const app = express();
  app.disable('x-powered-by');
  app.use(metrics.httpMiddleware);
  app.use(
    probeRoutes({
      service: 'worker',
      version: VERSION,
      isDraining: () => draining,
      checks: storeChecks({ pool, redis }),
    }),
  );
  app.get('/metrics', metrics.handler);
  const http = await startHttpServer(app, { port: config.http.port, host: config.http.host });

  registerCredentialExpiry(metrics.registry, config.mobileCredentialExpiry);
  const names = DEFAULT_STREAMS;
  const ingestMetrics = createIngestMetrics(metrics.registry, { pool, redis, names });
  const periodic = (name: string, intervalMs: number, run: () => Promise<unknown>) =>
    startPeriodic({ name, intervalMs, logger, registry: metrics.registry, run });

  // Everything the worker runs until it drains, started in this order and stopped together.
  const jobs: Job[] = [
    // The writers: concurrent consumer loops of the ingestion stream.
    ...Array.from({ length: config.ingest.concurrency }, (_, i) => ({
      name: `ingest-consumer-${i}`,
      start: (): Running => {
        // Blocking reads hold their connection: each loop gets one of its own.
        const connection = redis.duplicate();
        connection.on('error', () => undefined); // the main client already reports Redis problems
        const consumer = startIngestConsumer({
          pool,
          redis: connection,
          names,
          consumer: `${os.hostname()}-${process.pid}-${i}`,
          logger,
          metrics: ingestMetrics,
          readCount: config.ingest.readCount,
          blockMs: config.ingest.blockMs,
          maxPositionsPerWrite: config.ingest.maxPositionsPerWrite,
          claimIdleMs: config.ingest.claimIdleMs,
          deadConsumerIdleMs: config.ingest.deadConsumerIdleMs,
          maxDeliveries: config.ingest.maxDeliveries,
          events: { overspeedMinSeconds: config.events.overspeedMinSeconds },
          publisher: redis,
        });
        return { stop: () => consumer.stop().finally(() => connection.disconnect()) };
      },
    })),
    {
      // Monthly partitions exist before fixes for that month arrive.
      name: 'partitions',
      start: () =>
        periodic('partition-maintenance', config.maintenance.intervalMs, async () => {
          const created = await ensurePositionPartitions(pool, { monthsAhead: config.maintenance.monthsAhead });
          if (created > 0) logger.info('created position partitions', { created });
          return created;
        }),
    },
    {
      // Accepted but never processed (Redis was down, lost or trimmed it): publish again. One replica
      // at a time, so replicas do not multiply the republished load.
      name: 'replay',
      start: () =>
        periodic('staging-replay', config.replay.intervalMs, () =>
          withAdvisoryLock(pool, 'staging-replay', async () => {
            const replayed = await replayUnprocessed(pool, redis, {
              names,
              maxLen: config.ingest.streamMaxLen,
              graceMs: config.replay.graceMs,
              limit: 50_000,
            });
            if (replayed > 0) logger.warn('republished unprocessed staging rows', { replayed });
            ingestMetrics.replayed.inc(replayed);
            const purged = await purgeProcessed(pool, { olderThanMs: config.replay.stagingRetentionMs });
            return { replayed, purged };
          }),
        ),
    },
    {
      // Vehicles silent for too long: device_offline, once (the next fix brings device_online).
      name: 'offline',
      start: () =>
        periodic('device-offline', config.events.offlineCheckIntervalMs, () =>
          withAdvisoryLock(pool, 'device-offline', async () => {
            const events = await emitOfflineEvents(pool, config.events.offlineMinutes);
            if (events.length) ingestMetrics.events.inc(events.length);
            await publishCommitted(redis, [], events).catch((err: unknown) => {
              ingestMetrics.publishErrors.inc();
              logger.warn('live publish failed', { err });
            });
            return events.length;
          }),
        ),
    },
    {
      // Calendar maintenance limits (distance and engine time are checked as fixes are written).
      name: 'maintenance-due',
      start: () =>
        periodic('maintenance-due', config.events.maintenanceCheckIntervalMs, () =>
          withAdvisoryLock(pool, 'maintenance-due', async () => {
            const events = await detectCalendarDue(pool);
            if (events.length) ingestMetrics.events.inc(events.length);
            await publishCommitted(redis, [], events).catch((err: unknown) => {
              ingestMetrics.publishErrors.inc();
              logger.warn('live publish failed', { err });
            });
            return events.length;
          }),
        ),
    },
    {
      // Retention: one replica at a time; deletes in bounded batches, drops whole expired partitions.
      name: 'retention',
      start: () =>
        periodic('retention', config.retention.intervalMs, () =>
          withAdvisoryLock(pool, 'retention', () => applyRetention(pool, { ...config.retention, logger })),
        ),
    },
    {
      // Webhooks: a loop of its own, so receivers never slow ingestion down.
      name: 'webhooks',
      start: () => startWebhookDispatcher({ pool, logger, registry: metrics.registry, ...config.webhooks }),
    },
    {
      // Push notifications to the mobile app: a loop of its own too.
      name: 'push',
      start: () => startPushSender({ pool, logger, registry: metrics.registry, ...config.push }),
    },
    {
      // Notifications by e-mail and Telegram: a loop of its own too.
      name: 'notifications',
      start: () => startNotifications({ pool, logger, registry: metrics.registry, config: config.notifications }),
    },
    {
      // Scheduled reports: due schedules get a run of their previous period queued, and queued runs e-mailed.
      name: 'report-schedules',
      start: () =>
        startReportScheduler({
          pool,
          logger,
          registry: metrics.registry,
          intervalMs: config.reportSchedules.intervalMs,
          send: config.reportSchedules.send,
        }),
    },
  ];
  const running = jobs.map((job) => ({ name: job.name, handle: job.start() }));
  logger.info('worker started', { metricsPort: http.port, env: config.env, version: VERSION });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      draining = true;
      logger.info('worker draining', { graceMs: config.shutdownGraceMs });
      await Promise.all(running.map(({ handle }) => handle.stop()));
      await http.close(config.shutdownGraceMs);
      await Promise.allSettled([pool.end(), redis.quit()]);
      redis.disconnect();
      logger.info('worker stopped');
    })());

  const periodicJobs = Object.fromEntries(
    running.flatMap(({ name, handle }) => (isPeriodic(handle) ? [[name, handle]] : [])),
  );
  return { port: http.port, pool, redis, jobs: periodicJobs, names, stop };
}
