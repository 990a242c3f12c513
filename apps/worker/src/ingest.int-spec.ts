import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import { publishStaged, stageBatch, type NormalizedPosition } from '@fleet/queue-replay';
import { createRedis } from '@fleet/runtime';
import { runSource, waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { loadWorkerConfig } from './config';
import { start, type WorkerHandle } from './server';

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:worker-ingest:${process.pid}:`;

describe('worker ingestion', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let worker: WorkerHandle;
  let vehicle: { id: string; org: string };

  beforeAll(async () => {
    testDb = await createTestDatabase('worker-ingest');
    pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
    const org = await pool.query("INSERT INTO organizations (name, slug) VALUES ('W', 'w') RETURNING id");
    const v = await pool.query(
      "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Van', 'w-1') RETURNING id",
      [org.rows[0].id],
    );
    vehicle = { id: v.rows[0].id, org: org.rows[0].id };
    const config = loadWorkerConfig({
      APP_ENV: 'test',
      METRICS_PORT: '0',
      HOST: '127.0.0.1',
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      INGEST_BLOCK_MS: '100',
      INGEST_CLAIM_IDLE_MS: '200',
      INGEST_MAX_DELIVERIES: '2',
      REPLAY_INTERVAL_MS: '200',
      REPLAY_GRACE_MS: '300',
    });
    worker = await start(config, { logger: quiet });
  });

  afterAll(async () => {
    await worker?.stop();
    await pool?.end();
    await testDb?.drop();
  });

  const position = (offsetS: number, overrides: Partial<NormalizedPosition> = {}): NormalizedPosition => ({
    vehicleId: vehicle.id,
    organizationId: vehicle.org,
    ts: Date.now() - 3_600_000 + offsetS * 1000,
    lat: 40,
    lon: -3,
    ...overrides,
  });
  const count = async () =>
    Number((await pool.query('SELECT count(*) AS n FROM positions WHERE vehicle_id = $1', [vehicle.id])).rows[0].n);

  it('stores every fix of a request but the one PostgreSQL refuses, which becomes a counted dead letter', async () => {
    const redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    try {
      const before = await count();
      const positions = Array.from({ length: 50 }, (_, i) => position(10 + i, i === 20 ? { altitude: 1e300 } : {}));
      const mixed = await stageBatch(pool, { protocol: 'test', positions });
      const good = await stageBatch(pool, { protocol: 'test', positions: [position(1), position(2)] });
      const opts = { names: worker.names, maxLen: 10_000 };
      await publishStaged(redis, mixed, opts);
      await publishStaged(redis, good, opts);
      await waitFor(async () => (await count()) === before + 51, { timeoutMs: 10_000, what: '51 fixes stored' });
      const dead = await pool.query('SELECT staging_id::text AS sid, ts, reason FROM ingest_dead_letters');
      expect(dead.rows).toEqual([
        { sid: mixed.id, ts: new Date(positions[20].ts), reason: expect.stringMatching(/out of range/) },
      ]);
      const rows = await pool.query('SELECT processed_at, dead_letter_reason FROM ingest_staging WHERE id = $1', [
        mixed.id,
      ]);
      expect(rows.rows[0].processed_at).not.toBeNull();
      // The stream dead letters are for messages that do not decode, not for a refused fix.
      expect(await redis.xlen(worker.names.deadLetter)).toBe(0);
      // The rows are visible from the commit on; the worker counts them once COMMIT has answered it.
      let metrics = '';
      const counted = /ingest_dead_letter_fixes_total\{[^}]*reason="numeric_value_out_of_range"[^}]*\} 1\b/;
      await waitFor(
        async () => {
          metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
          return counted.test(metrics);
        },
        { timeoutMs: 10_000, what: 'the dead letter counted' },
      ).catch(() => undefined);
      expect(metrics).toMatch(counted);
      expect(metrics).toMatch(/ingest_dead_letters_pending\{[^}]*\} 1\b/);
    } finally {
      redis.disconnect();
    }
  });

  it('lists dead letters and replays them with worker:replay once the cause is fixed', async () => {
    const env = { DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix };
    const redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    const before = await count();
    // A constraint stands for whatever refused the fix (a column too narrow, a rule too strict).
    await pool.query('ALTER TABLE positions ADD CONSTRAINT cli_speed_limit CHECK (speed_kmh < 500)');
    const positions = [position(400), position(401, { speedKmh: 900 }), position(402)];
    try {
      const staged = await stageBatch(pool, { protocol: 'test', positions });
      await publishStaged(redis, staged, { names: worker.names, maxLen: 10_000 });
      await waitFor(async () => (await count()) === before + 2, { timeoutMs: 10_000, what: 'good fixes stored' });
    } finally {
      await pool.query('ALTER TABLE positions DROP CONSTRAINT cli_speed_limit');
      redis.disconnect();
    }
    const listed = runSource('apps/worker/src/cli/replay.ts', env, ['--list-dead-letters']);
    expect(listed.status).toBe(0);
    const rows = listed.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { ts: string; reason: string });
    expect(rows.map((r) => Date.parse(r.ts))).toContain(positions[1].ts);
    expect(rows.find((r) => Date.parse(r.ts) === positions[1].ts)?.reason).toMatch(/cli_speed_limit/);

    const replayed = runSource('apps/worker/src/cli/replay.ts', env, ['--dead-letters']);
    // The altitude 1e300 of the first test is still refused: exit 2, and it stays listed.
    expect(replayed.stdout).toMatch(/dead letters: 1 replayed, 1 still refused/);
    expect(replayed.status).toBe(2);
    expect(await count()).toBe(before + 3);
    const pending = runSource('apps/worker/src/cli/replay.ts', env, ['--list-dead-letters']);
    expect(pending.stdout.trim().split('\n')).toHaveLength(1);
    expect(pending.stdout).toMatch(/out of range/);
  });

  it('moves a message that does not decode to the dead-letter stream, and still stores its neighbours', async () => {
    const redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    try {
      const before = await count();
      const good = await stageBatch(pool, { protocol: 'test', positions: [position(200), position(201)] });
      const bad = await pool.query<{ id: string }>(
        `INSERT INTO ingest_staging (protocol, position_count, payload) VALUES ('test', 1, '{"v":1}') RETURNING id::text AS id`,
      );
      const poison = { id: bad.rows[0].id, payload: '{"v":1}', count: 1 };
      const opts = { names: worker.names, maxLen: 10_000 };
      await publishStaged(redis, poison, opts);
      await publishStaged(redis, good, opts);
      await waitFor(async () => (await count()) === before + 2, { timeoutMs: 10_000, what: 'good batch stored' });
      await waitFor(async () => (await redis.xlen(worker.names.deadLetter)) === 1, {
        timeoutMs: 15_000,
        what: 'dead letter',
      });
      const [[, fields]] = (await redis.xrange(worker.names.deadLetter, '-', '+')) as Array<[string, string[]]>;
      expect(fields).toEqual(expect.arrayContaining(['sid', poison.id, 'reason']));
      expect(fields[fields.indexOf('reason') + 1]).toMatch(/version-2/);
      const row = await pool.query('SELECT processed_at, dead_letter_reason FROM ingest_staging WHERE id = $1', [
        poison.id,
      ]);
      expect(row.rows[0].processed_at).not.toBeNull();
      expect(row.rows[0].dead_letter_reason).toMatch(/version-2/);
      const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
      expect(metrics).toMatch(/ingest_dead_letters_total\{[^}]*reason="undecodable"[^}]*\} 1/);
    } finally {
      redis.disconnect();
    }
  });

  it('drops and counts the fixes of a vehicle deleted while they were in flight', async () => {
    const other = await pool.query<{ id: string }>(
      "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Gone', 'w-gone') RETURNING id",
      [vehicle.org],
    );
    const gone = other.rows[0].id;
    const staged = await stageBatch(pool, {
      protocol: 'test',
      positions: [position(300, { vehicleId: gone }), position(301, { vehicleId: gone })],
    });
    await pool.query('DELETE FROM vehicles WHERE id = $1', [gone]);
    const redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    try {
      await publishStaged(redis, staged, { names: worker.names, maxLen: 10_000 });
    } finally {
      redis.disconnect();
    }
    await waitFor(
      async () =>
        (await pool.query('SELECT processed_at FROM ingest_staging WHERE id = $1', [staged.id])).rows[0]
          .processed_at !== null,
      { timeoutMs: 10_000, what: 'batch processed' },
    );
    const left = await pool.query('SELECT count(*)::int AS n FROM positions WHERE vehicle_id = $1', [gone]);
    expect(left.rows[0].n).toBe(0);
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(metrics).toMatch(/ingest_fixes_dropped_total\{[^}]*reason="vehicle_deleted"[^}]*\} 2\b/);
  });

  it('replays on its own a batch that was staged but never published', async () => {
    const before = await count();
    await stageBatch(pool, { protocol: 'test', positions: [position(100), position(101), position(102)] });
    await waitFor(async () => (await count()) === before + 3, { timeoutMs: 15_000, what: 'replayed batch stored' });
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(metrics).toMatch(/ingest_replayed_total\{[^}]*\} [1-9]/);
  });
});
