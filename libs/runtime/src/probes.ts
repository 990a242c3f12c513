import { Router } from 'express';
import type { HealthResponse, ReadyResponse } from '@fleet/contracts';
import type { Redis } from './redis';

export type DependencyCheck = () => Promise<unknown>;

/** The checks every service's /ready runs: PostgreSQL answers a query, Redis is connected and answers PING. */
export function storeChecks(stores: {
  pool: { query(sql: string): Promise<unknown> };
  redis: Redis;
}): Record<string, DependencyCheck> {
  return {
    postgres: () => stores.pool.query('SELECT 1'),
    redis: async () => {
      // A disconnected client would queue the PING until reconnect: report the state at once instead.
      if (stores.redis.status !== 'ready') throw new Error(`redis connection is ${stores.redis.status}`);
      await stores.redis.ping();
    },
  };
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

export interface ProbeOptions {
  service: string;
  version: string;
  checks: Record<string, DependencyCheck>;
  isDraining: () => boolean;
  timeoutMs?: number;
}

/** `/health`: the process is alive. `/ready`: every dependency answers in time and we are not draining. */
export function probeRoutes(options: ProbeOptions): Router {
  const router = Router();
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? 1_000;

  router.get('/health', (_req, res) => {
    const body: HealthResponse = {
      status: 'ok',
      service: options.service,
      version: options.version,
      uptimeSeconds: Math.round((Date.now() - started) / 1000),
    };
    res.json(body);
  });

  router.get('/ready', async (_req, res) => {
    const entries = await Promise.all(
      Object.entries(options.checks).map(async ([name, check]) => {
        const t0 = performance.now();
        try {
          await withTimeout(check(), timeoutMs, name);
          return [name, { ok: true, latencyMs: Math.round(performance.now() - t0) }] as const;
        } catch (err) {
          return [name, { ok: false, error: err instanceof Error ? err.message : String(err) }] as const;
        }
      }),
    );
    const checks = Object.fromEntries(entries);
    const draining = options.isDraining();
    const allOk = entries.every(([, status]) => status.ok);
    const body: ReadyResponse = { status: draining ? 'draining' : allOk ? 'ready' : 'not_ready', checks };
    res.setHeader('Cache-Control', 'no-store');
    res.status(body.status === 'ready' ? 200 : 503).json(body);
  });

  return router;
}
