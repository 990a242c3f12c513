import { baseEnvSchema, parseEnv, type BaseEnv } from '@fleet/runtime';
import { z } from 'zod';

const workerEnvSchema = baseEnvSchema.extend({
  /** The worker's own HTTP port: /metrics, /health, /ready. */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(9464),
  HOST: z.string().default('0.0.0.0'),
  PARTITION_MAINTENANCE_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1_000)
    .default(6 * 60 * 60 * 1000),
  PARTITION_MONTHS_AHEAD: z.coerce.number().int().min(1).max(24).default(3),
});

export interface WorkerConfig {
  env: BaseEnv['APP_ENV'];
  http: { port: number; host: string };
  db: { url: string; poolMax: number; statementTimeoutMs: number };
  redis: { url: string; keyPrefix?: string };
  log: { format: 'json' | 'plain'; level: string };
  maintenance: { intervalMs: number; monthsAhead: number };
  shutdownGraceMs: number;
}

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  const e = parseEnv(workerEnvSchema, env);
  const strict = e.APP_ENV === 'production' || e.APP_ENV === 'staging';
  return {
    env: e.APP_ENV,
    http: { port: e.METRICS_PORT, host: e.HOST },
    db: { url: e.DATABASE_URL, poolMax: e.DB_POOL_MAX, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS },
    redis: { url: e.REDIS_URL },
    log: { format: e.LOG_FORMAT ?? (strict ? 'json' : 'plain'), level: e.LOG_LEVEL },
    maintenance: { intervalMs: e.PARTITION_MAINTENANCE_INTERVAL_MS, monthsAhead: e.PARTITION_MONTHS_AHEAD },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
