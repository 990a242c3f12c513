import { createPool, ensurePositionPartitions, type Pool } from '@fleet/db';
import { createLogger, type Logger } from '@fleet/logging-json';
import { createMetrics } from '@fleet/metrics';
import { createRedis, probeRoutes, startHttpServer, type Redis } from '@fleet/runtime';
import express from 'express';
import type { WorkerConfig } from './config';
import { startPeriodic, type PeriodicJob } from './periodic';

export const VERSION = process.env['APP_VERSION'] ?? 'dev';

export interface WorkerHandle {
  port: number;
  pool: Pool;
  redis: Redis;
  jobs: Record<string, PeriodicJob>;
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
      checks: {
        postgres: () => pool.query('SELECT 1'),
        redis: async () => {
          if (redis.status !== 'ready') throw new Error(`redis connection is ${redis.status}`);
          await redis.ping();
        },
      },
    }),
  );
  app.get('/metrics', metrics.handler);
  const http = await startHttpServer(app, { port: config.http.port, host: config.http.host });

  const jobs: Record<string, PeriodicJob> = {
    // Monthly partitions exist before fixes for that month arrive.
    partitions: startPeriodic({
      name: 'partition-maintenance',
      intervalMs: config.maintenance.intervalMs,
      logger,
      registry: metrics.registry,
      run: async () => {
        const created = await ensurePositionPartitions(pool, { monthsAhead: config.maintenance.monthsAhead });
        if (created > 0) logger.info('created position partitions', { created });
        return created;
      },
    }),
  };
  logger.info('worker started', { metricsPort: http.port, env: config.env, version: VERSION });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      draining = true;
      logger.info('worker draining', { graceMs: config.shutdownGraceMs });
      await Promise.all(Object.values(jobs).map((job) => job.stop()));
      await http.close(config.shutdownGraceMs);
      await Promise.allSettled([pool.end(), redis.quit()]);
      redis.disconnect();
      logger.info('worker stopped');
    })());

  return { port: http.port, pool, redis, jobs, stop };
}
