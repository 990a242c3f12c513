// Faults on the hardware-tracker path, as on the HTTP one (apps/api/src/ingest-faults.int-spec.ts):
// simulated trackers upload through the gateway while (a) the worker is killed with SIGKILL, (b) Redis
// is flushed and staging replayed, (c) PostgreSQL is stopped. Whatever the gateway acknowledged is
// stored exactly once; while PostgreSQL is down it acknowledges nothing and the devices keep their
// buffers until it is back.
import { ensureDatabase, runMigrations } from '@fleet/db';
import { createTestDatabase } from '@fleet/db/testing';
import { runSource, startOwnPostgres, startOwnRedis, waitFor } from '@fleet/runtime/testing';
import IORedis from 'ioredis';
import pg from 'pg';
import { SimulatedTracker, track, type SimProtocol } from './sim';
import { createTrackers, listenerPorts, PROTOCOLS as protocols, startService, type Service } from './testing';

async function one(url: string, sql: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query(sql)).rows[0].n);
  } finally {
    await client.end();
  }
}
const stored = (url: string) => one(url, 'SELECT count(*) AS n FROM positions');
const doubles = (url: string) =>
  one(url, 'SELECT count(*) AS n FROM (SELECT 1 FROM positions GROUP BY vehicle_id, ts HAVING count(*) > 1) d');
const unprocessed = (url: string) => one(url, 'SELECT count(*) AS n FROM ingest_staging WHERE processed_at IS NULL');

/** Trackers with `records` each (a 10-second track ending now), one per IMEI, protocols in turn. */
function trackers(imeis: string[], ports: Record<SimProtocol, number>, records: number): SimulatedTracker[] {
  const now = Date.now();
  return imeis.map((imei, i) => {
    const protocol = protocols[i % protocols.length];
    const device = new SimulatedTracker({ host: '127.0.0.1', port: ports[protocol], protocol, imei, reconnectMs: 250 });
    device.add(track({ lat: 40.3 + i * 0.001, lon: -3.7 }, records, now, 10));
    return device;
  });
}

const acknowledged = (devices: SimulatedTracker[]) => devices.reduce((n, d) => n + d.stats.acknowledged.size, 0);

/** Runs `devices` to the end, calling `at(fraction)` once when that share of records is acknowledged. */
async function upload(devices: SimulatedTracker[], total: number, at: number, fault: () => Promise<void>) {
  const runs = Promise.all(devices.map((d) => d.run(Date.now() + 150_000)));
  await waitFor(() => acknowledged(devices) >= total * at, { timeoutMs: 60_000, what: `${at * 100} % acknowledged` });
  await fault();
  await runs;
}

describe('tracker gateway under faults: every acknowledged record stored exactly once', () => {
  jest.setTimeout(240_000);

  it('(a) survives kill -9 of the worker mid-upload', async () => {
    const testDb = await createTestDatabase('tracker-fault-kill');
    const prefix = `test:tracker-fault-kill:${process.pid}:`;
    const imeis = (await createTrackers(testDb.url, { slug: 'faults', count: 60, imeiPrefix: '35200000' })).imeis;
    const { ports, env } = await listenerPorts();
    const workerEnv = {
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      INGEST_CLAIM_IDLE_MS: '1000',
      INGEST_BLOCK_MS: '200',
    };
    const gateway = await startService(
      'apps/trackers/src/main.ts',
      { DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix, TRACKER_WORKERS: '1', ...env },
      'PORT',
    );
    let worker = await startService('apps/worker/src/main.ts', workerEnv, 'METRICS_PORT');
    try {
      const devices = trackers(imeis, ports, 100);
      const total = 60 * 100;
      let restarted: Promise<Service> | undefined;
      await upload(devices, total, 0.3, async () => {
        await worker.kill();
        restarted = startService('apps/worker/src/main.ts', workerEnv, 'METRICS_PORT');
      });
      worker = await restarted!;
      expect(acknowledged(devices)).toBe(total);
      await waitFor(async () => (await stored(testDb.url)) === total, { timeoutMs: 90_000, what: `${total} stored` });
      await waitFor(async () => (await unprocessed(testDb.url)) === 0, { timeoutMs: 20_000, what: 'staging drained' });
      expect(await doubles(testDb.url)).toBe(0);
      expect(await stored(testDb.url)).toBe(total);
    } finally {
      await gateway.stop();
      await worker.stop();
      await testDb.drop();
    }
  });

  it('(b) survives FLUSHALL of Redis mid-upload, then a replay from staging', async () => {
    const testDb = await createTestDatabase('tracker-fault-flush');
    const redis = await startOwnRedis();
    const imeis = (await createTrackers(testDb.url, { slug: 'faults', count: 60, imeiPrefix: '35300000' })).imeis;
    const { ports, env } = await listenerPorts();
    const common = { DATABASE_URL: testDb.url, REDIS_URL: redis.url };
    const gateway = await startService(
      'apps/trackers/src/main.ts',
      { ...common, TRACKER_WORKERS: '1', ...env },
      'PORT',
    );
    const worker = await startService('apps/worker/src/main.ts', { ...common, INGEST_BLOCK_MS: '200' }, 'METRICS_PORT');
    const admin = new IORedis(redis.url);
    const runStarted = new Date();
    try {
      const devices = trackers(imeis, ports, 100);
      const total = 60 * 100;
      await upload(devices, total, 0.5, async () => {
        await admin.flushall();
      });
      expect(acknowledged(devices)).toBe(total);
      const replay = runSource('apps/worker/src/cli/replay.ts', { ...common, APP_ENV: 'test' }, [
        `--since=${runStarted.toISOString()}`,
      ]);
      expect(replay.status).toBe(0);
      await waitFor(async () => (await stored(testDb.url)) === total, { timeoutMs: 90_000, what: `${total} stored` });
      await waitFor(async () => (await unprocessed(testDb.url)) === 0, { timeoutMs: 20_000, what: 'staging drained' });
      expect(await doubles(testDb.url)).toBe(0);
    } finally {
      admin.disconnect();
      await gateway.stop();
      await worker.stop();
      await redis.destroy();
      await testDb.drop();
    }
  });

  it('(c) acknowledges nothing while PostgreSQL is down; the devices keep their buffers and deliver after', async () => {
    const server = await startOwnPostgres();
    const url = server.url.replace(/\/postgres$/, '/fleet');
    const prefix = `test:tracker-fault-pg:${process.pid}:`;
    let gateway: Service | undefined;
    let worker: Service | undefined;
    try {
      await ensureDatabase(url);
      await runMigrations(url);
      const imeis = (await createTrackers(url, { slug: 'faults', count: 40, imeiPrefix: '35400000' })).imeis;
      const { ports, env } = await listenerPorts();
      gateway = await startService(
        'apps/trackers/src/main.ts',
        { DATABASE_URL: url, REDIS_KEY_PREFIX: prefix, TRACKER_WORKERS: '1', ...env },
        'PORT',
      );
      worker = await startService(
        'apps/worker/src/main.ts',
        { DATABASE_URL: url, REDIS_KEY_PREFIX: prefix, INGEST_BLOCK_MS: '200', INGEST_CLAIM_IDLE_MS: '1000' },
        'METRICS_PORT',
      );
      const devices = trackers(imeis, ports, 150);
      const total = 40 * 150;
      let whileDown = { before: 0, after: 0 };
      await upload(devices, total, 0.3, async () => {
        await server.stop();
        const before = acknowledged(devices);
        // Devices keep trying (reconnecting) for three seconds against a gateway without a database.
        await new Promise((r) => setTimeout(r, 3_000));
        whileDown = { before, after: acknowledged(devices) };
        await server.start();
      });
      expect(whileDown.after).toBe(whileDown.before);
      expect(whileDown.before).toBeLessThan(total);
      expect(acknowledged(devices)).toBe(total);
      await waitFor(async () => (await stored(url).catch(() => -1)) === total, {
        timeoutMs: 90_000,
        what: `${total} stored`,
      });
      await waitFor(async () => (await unprocessed(url)) === 0, { timeoutMs: 20_000, what: 'staging drained' });
      expect(await doubles(url)).toBe(0);
    } finally {
      await gateway?.stop();
      await worker?.stop();
      await server.destroy();
    }
  });
});
