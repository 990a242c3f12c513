import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import pg from 'pg';
import { loadWorkerConfig } from '../config';
import { start } from '../server';
import { applyRetention } from './retention';

// Quiet, but kept: a job that failed says why in the assertion's message.
const logged = new PassThrough();
const logLines: string[] = [];
logged.on('data', (chunk: Buffer) => logLines.push(...chunk.toString('utf8').split('\n').filter(Boolean)));
const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: logged });

describe('retention', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;

  beforeAll(async () => {
    testDb = await createTestDatabase('retention');
    pool = new pg.Pool({ connectionString: testDb.url, max: 4 });
    // pool.end() resolves before its connections have closed; the database's DROP … FORCE may still
    // reach one, and an unheard pool 'error' would fail the suite.
    pool.on('error', () => undefined);
  });
  afterAll(async () => {
    await pool?.end();
    await testDb?.drop();
  });

  const org = async (slug: string, positionDays: number | null, eventDays: number | null) =>
    (
      await pool.query(
        `INSERT INTO organizations (name, slug, position_retention_days, event_retention_days)
         VALUES ($1, $1, $2, $3) RETURNING id`,
        [slug, positionDays, eventDays],
      )
    ).rows[0].id as string;
  const vehicle = async (organizationId: string, name: string) =>
    (
      await pool.query(
        'INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, $2, $2) RETURNING id',
        [organizationId, name],
      )
    ).rows[0].id as string;
  /** The monthly partition `monthsAgo` months back (created), and a timestamp two days into it. */
  const oldMonth = async (monthsAgo: number) => {
    const res = await pool.query<{ name: string; ts: Date }>(
      `WITH m AS (SELECT date_trunc('month', now() AT TIME ZONE 'UTC' - $1 * interval '1 month') AS lo)
       SELECT format('positions_y%sm%s', to_char(lo, 'YYYY'), to_char(lo, 'MM')) AS name,
              (lo + interval '2 days') AT TIME ZONE 'UTC' AS ts
       FROM m`,
      [monthsAgo],
    );
    await pool.query("SELECT ensure_position_partitions(now() - $1 * interval '1 month', 1)", [monthsAgo]);
    expect(await exists(res.rows[0].name)).toBe(true);
    return res.rows[0];
  };
  const exists = async (table: string) =>
    (await pool.query('SELECT to_regclass($1) IS NOT NULL AS ok', [table])).rows[0].ok as boolean;
  /** `count` fixes one minute apart from `from`. */
  const fixes = (vehicleId: string, from: Date | string, count = 1) =>
    pool.query(
      `INSERT INTO positions (vehicle_id, ts, point)
       SELECT $1, $2::timestamptz + g * interval '1 minute', ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326)
       FROM generate_series(0, $3 - 1) g`,
      [vehicleId, from, count],
    );
  const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000);
  const count = async (sql: string, params: unknown[]) => Number((await pool.query(sql, params)).rows[0].n);
  const positionsOf = (vehicleId: string, from: Date | string = '1970-01-01', to: Date | string = '2999-01-01') =>
    count('SELECT count(*) AS n FROM positions WHERE vehicle_id = $1 AND ts >= $2 AND ts < $3', [vehicleId, from, to]);
  const event = async (organizationId: string, vehicleId: string, ts: Date | string) =>
    (
      await pool.query(
        "INSERT INTO events (organization_id, vehicle_id, type, ts) VALUES ($1, $2, 'overspeed', $3) RETURNING id",
        [organizationId, vehicleId, ts],
      )
    ).rows[0].id as string;

  it('drops expired data by whole partition or by batch, keeping newer data and other organizations’ data', async () => {
    const a = await org('ret-a', 30, 30); // keeps 30 days of both
    const b = await org('ret-b', 400, null); // keeps a little over a year of positions, every event
    const c = await org('ret-c', null, null); // keeps everything
    const [a1, a2, b1, c1] = [
      await vehicle(a, 'ret-a1'),
      await vehicle(a, 'ret-a2'),
      await vehicle(b, 'ret-b1'),
      await vehicle(c, 'ret-c1'),
    ];

    // 14 months back: only A's rows, all expired for A → the whole partition goes.
    const m14 = await oldMonth(14);
    await fixes(a1, m14.ts, 25);
    await fixes(a2, m14.ts, 5);
    // 13 months back: A's rows and C's → C keeps the partition; A's rows are deleted in batches.
    const m13 = await oldMonth(13);
    await fixes(a1, m13.ts, 25);
    await fixes(c1, m13.ts, 7);
    // The default partition (a fix from 2001): A's goes, C's stays.
    await fixes(a1, '2001-03-04T05:06:07Z');
    await fixes(c1, '2001-03-04T05:06:07Z');
    // Recent rows: A's older than 30 days go, newer stay; B's 100 days stay.
    await fixes(a1, daysAgo(40), 3);
    await fixes(a1, daysAgo(10), 4);
    await fixes(b1, daysAgo(100), 2);

    const aOld = await event(a, a1, daysAgo(40));
    const aNew = await event(a, a1, daysAgo(10));
    const bOld = await event(b, b1, daysAgo(900));
    const cOld = await event(c, c1, '2001-03-04T05:06:07Z');

    // Webhook deliveries (of kept events): finished ones older than 30 days go, pending ones never.
    const hook = (
      await pool.query(
        "INSERT INTO webhooks (organization_id, url, secret) VALUES ($1, 'http://x.test/', 's') RETURNING id",
        [b],
      )
    ).rows[0].id;
    const delivery = async (eventId: string, status: string, createdDaysAgo: number) =>
      (
        await pool.query(
          `INSERT INTO webhook_deliveries (webhook_id, event_id, status, created_at, next_attempt_at)
           VALUES ($1, $2, $3, $4, now() + interval '1 day') RETURNING id::text`,
          [hook, eventId, status, daysAgo(createdDaysAgo)],
        )
      ).rows[0].id as string;
    const oldHook = (
      await pool.query(
        "INSERT INTO webhooks (organization_id, url, secret) VALUES ($1, 'http://y.test/', 's') RETURNING id",
        [b],
      )
    ).rows[0].id;
    const oldDelivered = await delivery(bOld, 'delivered', 40);
    const oldPending = await delivery(cOld, 'pending', 40);
    const recentDelivered = await delivery(aNew, 'delivered', 1);
    await pool.query(
      `INSERT INTO webhook_deliveries (webhook_id, event_id, status, created_at) VALUES ($1, $2, 'failed', $3)`,
      [oldHook, bOld, daysAgo(31)],
    );

    // Push notifications likewise: settled ones older than 30 days go; pending and sent (receipt due) stay.
    const pushTokens = (
      await pool.query(
        `WITH u AS (INSERT INTO users (organization_id, email, password_hash) VALUES ($1, 'push@ret.example', 'x') RETURNING id)
         INSERT INTO push_tokens (user_id, organization_id, token)
         SELECT u.id, $1, t FROM u, unnest(ARRAY['ExponentPushToken[ret-1]', 'ExponentPushToken[ret-2]']) t
         RETURNING id`,
        [b],
      )
    ).rows.map((r) => r.id as string);
    const push = async (eventId: string, status: string, createdDaysAgo: number, pushToken = pushTokens[0]) =>
      (
        await pool.query(
          `INSERT INTO push_deliveries (push_token_id, event_id, status, created_at)
           VALUES ($1, $2, $3, $4) RETURNING id::text`,
          [pushToken, eventId, status, daysAgo(createdDaysAgo)],
        )
      ).rows[0].id as string;
    await push(bOld, 'delivered', 40);
    await push(cOld, 'failed', 31);
    const pushSent = await push(aNew, 'sent', 40);
    const pushPending = await push(bOld, 'pending', 40, pushTokens[1]);
    const pushRecent = await push(cOld, 'delivered', 1, pushTokens[1]);

    const worker = await start(
      loadWorkerConfig({
        APP_ENV: 'test',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: `test:retention:${process.pid}:`,
        RETENTION_BATCH_SIZE: '10',
      }),
      { logger: quiet },
    );
    try {
      await worker.jobs['retention'].runNow();
      await worker.jobs['retention'].runNow(); // a second run changes nothing more
      const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
      expect(metrics).toMatch(/worker_job_runs_total\{[^}]*task="retention"[^}]*outcome="ok"[^}]*\} [1-9]/);
      if (/worker_job_runs_total\{[^}]*task="retention"[^}]*outcome="error"/.test(metrics))
        throw new Error(`a retention run failed:\n${logLines.join('\n')}`);
    } finally {
      await worker.stop();
    }

    expect(await exists(m14.name)).toBe(false);
    expect(await exists(m13.name)).toBe(true);
    expect(await exists('positions_default')).toBe(true);
    expect(await positionsOf(a1)).toBe(4); // the 10-day-old ones
    expect(await positionsOf(a1, daysAgo(11))).toBe(4);
    expect(await positionsOf(a2)).toBe(0);
    expect(await positionsOf(b1)).toBe(2);
    expect(await positionsOf(c1)).toBe(8); // 7 in the 13-month partition and the 2001 fix
    expect(await positionsOf(c1, m13.ts, daysAgo(1))).toBe(7);

    const events = (await pool.query<{ id: string }>('SELECT id FROM events')).rows.map((r) => r.id).sort();
    expect(events).toEqual([aNew, bOld, cOld].sort());
    expect(events).not.toContain(aOld);

    const deliveries = (await pool.query<{ id: string }>('SELECT id::text FROM webhook_deliveries')).rows
      .map((r) => r.id)
      .sort();
    expect(deliveries).toEqual([oldPending, recentDelivered].sort());
    expect(deliveries).not.toContain(oldDelivered);
    const pushes = (await pool.query<{ id: string }>('SELECT id::text FROM push_deliveries')).rows.map((r) => r.id);
    expect(pushes.sort()).toEqual([pushSent, pushPending, pushRecent].sort());
  });

  it('postpones dropping a partition a reader is holding, instead of stalling behind it', async () => {
    const d = await org('ret-d', 30, null);
    const d1 = await vehicle(d, 'ret-d1');
    const m16 = await oldMonth(16);
    await fixes(d1, m16.ts, 3);
    const options = { batchSize: 100, maxBatches: 10, lockTimeoutMs: 200, deliveryRetentionDays: 30 };

    const reader = await pool.connect();
    try {
      await reader.query('BEGIN');
      await reader.query('SELECT count(*) FROM positions');
      const started = Date.now();
      const busy = await applyRetention(pool, options);
      // It waited for the lock_timeout, then moved on.
      expect(Date.now() - started).toBeGreaterThanOrEqual(150);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(busy.partitionsDropped).not.toContain(m16.name);
      expect(await exists(m16.name)).toBe(true);
    } finally {
      await reader.query('ROLLBACK');
      reader.release();
    }

    const free = await applyRetention(pool, options);
    expect(free.partitionsDropped).toContain(m16.name);
    expect(await exists(m16.name)).toBe(false);
  });
});
