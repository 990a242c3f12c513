import { PassThrough } from 'node:stream';
import { ReadyResponse } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import { freePort, spawnSource, startOwnRedis, waitFor } from '@fleet/runtime/testing';
import { loadWorkerConfig } from './config';
import { start } from './server';

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });

describe('worker', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestDatabase('worker');
  });
  afterAll(() => testDb.drop());

  it('serves /health, /ready and /metrics on its own port and keeps partitions ahead', async () => {
    const config = loadWorkerConfig({
      APP_ENV: 'test',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: testDb.url,
      PARTITION_MONTHS_AHEAD: '6',
    });
    const worker = await start(config, { logger: quiet });
    try {
      const base = `http://127.0.0.1:${worker.port}`;
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/ready`)).status).toBe(200);
      await worker.jobs['partitions'].runNow();
      const ahead = new Date();
      ahead.setUTCMonth(ahead.getUTCMonth() + 6, 1);
      const name = `positions_y${ahead.getUTCFullYear()}m${String(ahead.getUTCMonth() + 1).padStart(2, '0')}`;
      const found = await worker.pool.query('SELECT to_regclass($1) AS t', [name]);
      expect(found.rows[0].t).toBe(name);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(/worker_job_runs_total\{[^}]*task="partition-maintenance"[^}]*outcome="ok"[^}]*\} [1-9]/);
      expect(text).toContain('process_resident_memory_bytes{service="worker"}');
    } finally {
      await worker.stop();
    }
  });

  it('reports redis down on /ready and recovers when it returns', async () => {
    const redis = await startOwnRedis();
    const config = loadWorkerConfig({
      APP_ENV: 'test',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: testDb.url,
      REDIS_URL: redis.url,
    });
    const worker = await start(config, { logger: quiet });
    const base = `http://127.0.0.1:${worker.port}`;
    try {
      await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, { timeoutMs: 5_000, what: 'ready' });
      await redis.stop();
      const res = await fetch(`${base}/ready`);
      expect(res.status).toBe(503);
      expect(ReadyResponse.parse(await res.json()).checks['redis']?.ok).toBe(false);
      await redis.start();
      await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, {
        timeoutMs: 10_000,
        what: 'ready again',
      });
    } finally {
      await worker.stop();
      await redis.destroy();
    }
  });

  it('exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const { child, exited } = spawnSource('apps/worker/src/main.ts', {
      APP_ENV: 'test',
      METRICS_PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: testDb.url,
    });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200, {
      timeoutMs: 20_000,
      what: 'worker ready',
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
