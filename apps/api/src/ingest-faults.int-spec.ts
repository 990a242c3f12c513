import { ensureDatabase, runMigrations } from '@fleet/db';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { runSource, startOwnPostgres, startOwnRedis, waitFor, type OwnServer } from '@fleet/runtime/testing';
import IORedis from 'ioredis';
import pg from 'pg';
import { countPositions, createFleet, startWorkerProcess, type WorkerProcess } from './testing/fixtures';
import { startTestApi, type StartedApi } from './testing/harness';
import { sendBatches } from './testing/load';

const startTs = Date.now() - 20 * 3_600_000;

async function unprocessed(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number(
      (await client.query('SELECT count(*) AS n FROM ingest_staging WHERE processed_at IS NULL')).rows[0].n,
    );
  } finally {
    await client.end();
  }
}

async function duplicates(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query(
      'SELECT count(*) AS n FROM (SELECT vehicle_id, ts FROM positions GROUP BY 1, 2 HAVING count(*) > 1) d',
    );
    return Number(res.rows[0].n);
  } finally {
    await client.end();
  }
}

describe('ingestion under faults: every position answered 202 is stored exactly once', () => {
  jest.setTimeout(180_000);

  it('(a) survives kill -9 of the worker in the middle of a 100k-position run', async () => {
    const testDb: TestDatabase = await createTestDatabase('fault-kill');
    const prefix = `test:fault-kill:${process.pid}:`;
    const fleet = await createFleet(testDb.url, { count: 10, slug: 'kill' });
    const t: StartedApi = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
    const workerEnv = {
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      INGEST_CLAIM_IDLE_MS: '1000',
      INGEST_BLOCK_MS: '200',
    };
    let worker: WorkerProcess = await startWorkerProcess(workerEnv);
    let restarted: Promise<WorkerProcess> | undefined;
    try {
      const sent = await sendBatches({
        base: t.base,
        vehicles: fleet,
        batches: 200,
        perBatch: 500,
        concurrency: 4,
        startTs,
        onProgress: async (done) => {
          if (done === 80) {
            await worker.kill();
            restarted = startWorkerProcess(workerEnv);
          }
        },
      });
      expect(sent.accepted).toBe(100_000);
      worker = await restarted!;
      await waitFor(async () => (await countPositions(testDb.url)) === 100_000, {
        timeoutMs: 90_000,
        what: '100k positions stored',
      });
      await waitFor(async () => (await unprocessed(testDb.url)) === 0, { timeoutMs: 10_000, what: 'staging drained' });
      expect(await countPositions(testDb.url)).toBe(100_000);
      expect(await duplicates(testDb.url)).toBe(0);
    } finally {
      await worker.stop();
      await t.api.stop();
      await testDb.drop();
    }
  });

  it('(b) survives FLUSHALL of Redis mid-run, then a replay from staging', async () => {
    const testDb = await createTestDatabase('fault-flush');
    const redis: OwnServer = await startOwnRedis();
    const fleet = await createFleet(testDb.url, { count: 5, slug: 'flush' });
    const t = await startTestApi({ DATABASE_URL: testDb.url, REDIS_URL: redis.url });
    const env = { DATABASE_URL: testDb.url, REDIS_URL: redis.url, INGEST_BLOCK_MS: '200' };
    const worker = await startWorkerProcess(env);
    const admin = new IORedis(redis.url);
    const runStarted = new Date();
    try {
      const sent = await sendBatches({
        base: t.base,
        vehicles: fleet,
        batches: 60,
        perBatch: 500,
        concurrency: 3,
        startTs,
        onProgress: async (done) => {
          if (done === 30) await admin.flushall();
        },
      });
      expect(sent.accepted).toBe(30_000);
      const replay = runSource('apps/worker/src/cli/replay.ts', env, [`--since=${runStarted.toISOString()}`]);
      expect(replay.status).toBe(0);
      expect(replay.stdout).toMatch(/republished \d+/);
      await waitFor(async () => (await countPositions(testDb.url)) === 30_000, {
        timeoutMs: 60_000,
        what: '30k positions stored',
      });
      await waitFor(async () => (await unprocessed(testDb.url)) === 0, { timeoutMs: 10_000, what: 'staging drained' });
      expect(await duplicates(testDb.url)).toBe(0);
    } finally {
      admin.disconnect();
      await worker.stop();
      await t.api.stop();
      await redis.destroy();
      await testDb.drop();
    }
  });

  it('(c) answers 503 while PostgreSQL is down and loses nothing that got a 202', async () => {
    const server: OwnServer = await startOwnPostgres();
    const url = server.url.replace(/\/postgres$/, '/fleet');
    const prefix = `test:fault-pg:${process.pid}:`;
    let t: StartedApi | undefined;
    let worker: WorkerProcess | undefined;
    try {
      await ensureDatabase(url);
      await runMigrations(url);
      const fleet = await createFleet(url, { count: 4, slug: 'pgdown' });
      t = await startTestApi({ DATABASE_URL: url }, { keyPrefix: prefix });
      worker = await startWorkerProcess({
        DATABASE_URL: url,
        REDIS_KEY_PREFIX: prefix,
        INGEST_CLAIM_IDLE_MS: '1000',
        INGEST_BLOCK_MS: '200',
      });
      const w = worker;
      const sent = await sendBatches({
        base: t.base,
        vehicles: fleet,
        batches: 90,
        perBatch: 100,
        concurrency: 2,
        startTs,
        onProgress: async (done) => {
          if (done === 30) await server.stop();
          if (done === 60) await server.start();
        },
      });
      expect(sent.statuses[503]).toBeGreaterThan(0);
      expect(sent.retryAfterSeen).toBe(true);
      expect(Object.keys(sent.statuses).sort()).toEqual(['202', '503']);
      expect(sent.accepted).toBeGreaterThan(0);
      await waitFor(async () => (await countPositions(url).catch(() => -1)) === sent.accepted, {
        timeoutMs: 60_000,
        what: `${sent.accepted} positions stored`,
      }).catch(async (err) => {
        console.log(JSON.stringify(sent), await countPositions(url), await unprocessed(url), w.output().slice(-5000));
        throw err;
      });
      await waitFor(async () => (await unprocessed(url)) === 0, { timeoutMs: 10_000, what: 'staging drained' });
      expect(await duplicates(url)).toBe(0);
    } finally {
      await worker?.stop();
      await t?.api.stop();
      await server.destroy();
    }
  });
});
