import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import { DEFAULT_STREAMS, ensureGroup, publishStaged, readNew, stageBatch } from '@fleet/queue-replay';
import { createRedis, type Redis } from '@fleet/runtime';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { loadWorkerConfig } from './config';
import { start, type WorkerHandle } from './server';

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:worker-takeover:${process.pid}:`;

interface ConsumerInfo {
  name: string;
  pending: number;
}

async function consumers(redis: Redis): Promise<ConsumerInfo[]> {
  const raw = (await redis.xinfo('CONSUMERS', DEFAULT_STREAMS.stream, DEFAULT_STREAMS.group)) as unknown[][];
  return raw.map((c) => {
    const info = new Map<string, unknown>();
    for (let i = 0; i + 1 < c.length; i += 2) info.set(String(c[i]), c[i + 1]);
    return { name: String(info.get('name')), pending: Number(info.get('pending')) };
  });
}

describe('a worker that died holding messages', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let redis: Redis;
  let worker: WorkerHandle | undefined;

  beforeAll(async () => {
    testDb = await createTestDatabase('worker-takeover');
    pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
  });
  afterAll(async () => {
    await worker?.stop();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    redis.disconnect();
    await pool?.end();
    await testDb?.drop();
  });

  it('has its pending messages taken over within 10 s with the default settings, then is removed from the group', async () => {
    const org = await pool.query("INSERT INTO organizations (name, slug) VALUES ('T', 't') RETURNING id");
    const v = await pool.query(
      "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Van', 't-1') RETURNING id",
      [org.rows[0].id],
    );
    const staged = await stageBatch(pool, {
      protocol: 'test',
      positions: [1, 2, 3].map((i) => ({
        vehicleId: v.rows[0].id,
        organizationId: org.rows[0].id,
        ts: Date.now() - 60_000 + i * 1000,
        lat: 40,
        lon: -3,
      })),
    });
    // A consumer reads the message and dies before acknowledging it.
    await ensureGroup(redis, DEFAULT_STREAMS);
    await publishStaged(redis, staged, { names: DEFAULT_STREAMS, maxLen: 10_000 });
    const read = await readNew(redis, DEFAULT_STREAMS, 'dead-worker', { count: 10, blockMs: 100 });
    expect(read.map((m) => m.stagingId)).toEqual([staged.id]);
    const diedAt = Date.now();

    // Defaults for takeover; the replayer kept out of the way (it would store the row by itself), and
    // consumers idle for 2 s (live ones block for 1 s at most) and holding nothing count as dead.
    worker = await start(
      loadWorkerConfig({
        APP_ENV: 'test',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: prefix,
        REPLAY_GRACE_MS: '600000',
        INGEST_DEAD_CONSUMER_IDLE_MS: '2000',
      }),
      { logger: quiet },
    );
    // Idle for long enough, but still holding its message (taken over at 5 s at the earliest): never
    // removed, its message would be lost with it. The cleanup runs at start and every 2 s.
    await new Promise((resolve) => setTimeout(resolve, diedAt + 4_500 - Date.now()));
    expect(await consumers(redis)).toContainEqual({ name: 'dead-worker', pending: 1 });

    const count = async () =>
      Number((await pool.query('SELECT count(*) AS n FROM positions WHERE vehicle_id = $1', [v.rows[0].id])).rows[0].n);
    await waitFor(async () => (await count()) === 3, { timeoutMs: 15_000, what: 'the dead worker’s batch stored' });
    expect(Date.now() - diedAt).toBeLessThan(10_000);
    await waitFor(async () => !(await consumers(redis)).some((c) => c.name === 'dead-worker'), {
      timeoutMs: 8_000,
      what: 'the dead consumer removed from the group',
    });
    // Removing consumers that hold nothing costs nothing: a consumer is recreated when it next gets a
    // message, and the writers keep writing.
    const more = await stageBatch(pool, {
      protocol: 'test',
      positions: [
        { vehicleId: v.rows[0].id, organizationId: org.rows[0].id, ts: Date.now() - 1_000, lat: 40, lon: -3 },
      ],
    });
    await publishStaged(redis, more, { names: DEFAULT_STREAMS, maxLen: 10_000 });
    await waitFor(async () => (await count()) === 4, { timeoutMs: 5_000, what: 'a new batch stored' });
  });
});
