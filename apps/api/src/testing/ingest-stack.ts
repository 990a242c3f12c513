import { createFleet, createTestDatabase, type TestDatabase, type TestVehicle } from '@fleet/db/testing';
import pg from 'pg';
import { startTestApi, type StartedApi } from './harness';
import { startWorkerProcess, type WorkerProcess } from './fixtures';

/** What an ingestion suite runs against: its own database and fleet, the API in-process, a worker process. */
export interface IngestStack {
  testDb: TestDatabase;
  /** A small pool on the suite's database, for assertions. */
  db: pg.Pool;
  fleet: TestVehicle[];
  t: StartedApi;
  worker: WorkerProcess;
  stop(): Promise<void>;
}

/** Starts an IngestStack named `name` (database and Redis key prefix) with a fleet of `count` vehicles. */
export async function startIngestStack(name: string, options: { count: number; slug: string }): Promise<IngestStack> {
  const prefix = `test:${name}:${process.pid}:`;
  const testDb = await createTestDatabase(`api-${name}`);
  const db = new pg.Pool({ connectionString: testDb.url, max: 2 });
  let t: StartedApi | undefined;
  let worker: WorkerProcess | undefined;
  const stop = async () => {
    await worker?.stop();
    await t?.api.stop();
    await db.end();
    await testDb.drop();
  };
  try {
    const fleet = await createFleet(testDb.url, options);
    t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
    worker = await startWorkerProcess({ DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix, INGEST_BLOCK_MS: '100' });
    return { testDb, db, fleet, t, worker, stop };
  } catch (err) {
    // Whatever started is stopped, and the database dropped, as the suites' afterAll did.
    await stop();
    throw err;
  }
}
