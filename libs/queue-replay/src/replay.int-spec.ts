import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import IORedis from 'ioredis';
import pg from 'pg';
import { stageBatch } from './staging';
import { ensureGroup } from './stream';
import { inFlightAgeMs, replayUnprocessed } from './replay';
import type { StreamNames } from './types';

describe('replayUnprocessed', () => {
  jest.setTimeout(30_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let redis: IORedis;
  const prefix = `test:replay:${process.pid}:`;

  beforeAll(async () => {
    testDb = await createTestDatabase('queue-replay');
    pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
    redis = new IORedis('redis://127.0.0.1:6379', { keyPrefix: prefix });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    redis.disconnect();
    await pool?.end();
    await testDb?.drop();
  });

  it('republishes a row once, not at every run while it waits behind a backlog, and never a row younger than the oldest entry in flight', async () => {
    const names: StreamNames = { stream: 's', group: 'g', deadLetter: 'd' };
    const options = { names, maxLen: 10_000, graceMs: 10_000 };
    const positions = [
      {
        vehicleId: '00000000-0000-4000-8000-000000000001',
        organizationId: '00000000-0000-4000-8000-000000000002',
        ts: Date.now(),
        lat: 1,
        lon: 1,
      },
    ];
    const staged = [
      await stageBatch(pool, { protocol: 'test', positions }),
      await stageBatch(pool, { protocol: 'test', positions }),
    ];
    const ids = staged.map((s) => s.id);
    await pool.query(
      "UPDATE ingest_staging SET received_at = now() - interval '60 seconds' WHERE id = ANY($1::bigint[])",
      [ids],
    );

    // Lost (no stream at all): republished, once.
    expect(await inFlightAgeMs(redis, names)).toBe(0);
    expect(await replayUnprocessed(pool, redis, options)).toBe(2);
    expect(await redis.xlen(names.stream)).toBe(2);
    expect(await replayUnprocessed(pool, redis, options)).toBe(0);

    // Republished 30 s ago, and the stream holds an entry not yet delivered from 2 minutes ago: the
    // writers are behind, the rows are most likely queued, they are left alone.
    await pool.query(
      "UPDATE ingest_staging SET published_at = now() - interval '30 seconds' WHERE id = ANY($1::bigint[])",
      [ids],
    );
    const backlog: StreamNames = { stream: 's2', group: 'g', deadLetter: 'd' };
    await ensureGroup(redis, backlog);
    await redis.xadd(backlog.stream, `${Date.now() - 120_000}-0`, 'sid', ids[0]);
    const age = await inFlightAgeMs(redis, backlog);
    expect(age).toBeGreaterThanOrEqual(120_000);
    expect(age).toBeLessThan(130_000);
    expect(await replayUnprocessed(pool, redis, { ...options, names: backlog })).toBe(0);
    // Without the backlog they are due again.
    expect(await replayUnprocessed(pool, redis, options)).toBe(2);
  });
});
