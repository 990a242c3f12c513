import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { nextRunAt } from '@fleet/reports';
import pg from 'pg';
import client from 'prom-client';
import { queueDueReports, reportRunMetrics } from './scheduler';

let testDb: TestDatabase;
let pool: pg.Pool;
let other: pg.Pool;
let org: string;
let user: string;

beforeAll(async () => {
  testDb = await createTestDatabase('worker-report-schedules');
  pool = new pg.Pool({ connectionString: testDb.url, max: 3 });
  other = new pg.Pool({ connectionString: testDb.url, max: 3 });
  org = (await pool.query(`INSERT INTO organizations (name, slug) VALUES ('Org', 'org') RETURNING id`)).rows[0].id;
  user = (
    await pool.query(
      `INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, 'u@org.example', 'operator', 'x') RETURNING id`,
      [org],
    )
  ).rows[0].id;
});

// Each test's clock is its own: schedules of another test would be due at it.
beforeEach(async () => {
  await pool.query('DELETE FROM report_schedules');
});

afterAll(async () => {
  await pool?.end();
  await other?.end();
  await testDb?.drop();
});

const DAILY_7_MADRID = { frequency: 'daily', hour: 7 } as const;

async function schedule(nextRun: Date): Promise<string> {
  const res = await pool.query(
    `INSERT INTO report_schedules (organization_id, user_id, name, kind, recipients, frequency, hour, time_zone, next_run_at)
     VALUES ($1, $2, 'Daily events', 'events', '{ops@org.example}', 'daily', 7, 'Europe/Madrid', $3) RETURNING id`,
    [org, user, nextRun.toISOString()],
  );
  return res.rows[0].id;
}

const runsOf = async (id: string) =>
  (
    await pool.query<{ from: Date; to: Date; status: string }>(
      'SELECT period_from AS from, period_to AS to, status FROM report_runs WHERE schedule_id = $1 ORDER BY period_from',
      [id],
    )
  ).rows.map((r) => ({ from: r.from.toISOString(), to: r.to.toISOString(), status: r.status }));
const nextOf = async (id: string) =>
  (
    (await pool.query('SELECT next_run_at FROM report_schedules WHERE id = $1', [id])).rows[0].next_run_at as Date
  ).toISOString();

describe('scheduled reports: queueing due periods', () => {
  jest.setTimeout(60_000);

  it('makes a daily Europe/Madrid schedule due at 07:00 local, the day after the clocks go forward too', async () => {
    // Created on Saturday 2026-03-28 at 13:00 Madrid; the clocks go forward that night.
    const first = nextRunAt(DAILY_7_MADRID, 'Europe/Madrid', new Date('2026-03-28T12:00:00Z'));
    expect(first.toISOString()).toBe('2026-03-29T05:00:00.000Z');
    const id = await schedule(first);

    expect(await queueDueReports(pool, { now: new Date('2026-03-29T04:59:59Z'), limit: 10 })).toBe(0);
    expect(await runsOf(id)).toEqual([]);

    expect(await queueDueReports(pool, { now: new Date('2026-03-29T05:00:00Z'), limit: 10 })).toBe(1);
    // Saturday in Madrid (+01:00), and the next send on Monday at 07:00 (+02:00).
    expect(await runsOf(id)).toEqual([
      { from: '2026-03-27T23:00:00.000Z', to: '2026-03-28T23:00:00.000Z', status: 'pending' },
    ]);
    expect(await nextOf(id)).toBe('2026-03-30T05:00:00.000Z');
    expect(await queueDueReports(pool, { now: new Date('2026-03-29T05:00:01Z'), limit: 10 })).toBe(0);

    // Monday: Sunday, 23 hours long.
    expect(await queueDueReports(pool, { now: new Date('2026-03-30T05:00:02Z'), limit: 10 })).toBe(1);
    expect((await runsOf(id))[1]).toEqual({
      from: '2026-03-28T23:00:00.000Z',
      to: '2026-03-29T22:00:00.000Z',
      status: 'pending',
    });
  });

  it('queues a period once, with two workers at once and when a schedule becomes due again for it', async () => {
    const id = await schedule(new Date('2026-06-10T05:00:00Z'));
    const now = new Date('2026-06-10T05:00:30Z');
    const counts = await Promise.all([
      queueDueReports(pool, { now, limit: 10 }),
      queueDueReports(other, { now, limit: 10 }),
    ]);
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    expect(await runsOf(id)).toHaveLength(1);
    // Its next_run_at set back (a timing edited back and forth): the period sent already is not queued again.
    await pool.query(`UPDATE report_schedules SET next_run_at = '2026-06-10T05:00:00Z' WHERE id = $1`, [id]);
    expect(await queueDueReports(pool, { now, limit: 10 })).toBe(0);
    expect(await runsOf(id)).toHaveLength(1);
  });

  it('catches up the periods missed in an outage, oldest first, and skips a disabled schedule', async () => {
    const id = await schedule(new Date('2026-07-01T05:00:00Z'));
    expect(await queueDueReports(pool, { now: new Date('2026-07-03T09:00:00Z'), limit: 10 })).toBe(3);
    expect((await runsOf(id)).map((r) => r.from)).toEqual([
      '2026-06-29T22:00:00.000Z',
      '2026-06-30T22:00:00.000Z',
      '2026-07-01T22:00:00.000Z',
    ]);
    expect(await nextOf(id)).toBe('2026-07-04T05:00:00.000Z');

    const off = await schedule(new Date('2026-07-01T05:00:00Z'));
    await pool.query('UPDATE report_schedules SET enabled = false WHERE id = $1', [off]);
    await queueDueReports(pool, { now: new Date('2026-07-03T09:00:00Z'), limit: 10 });
    expect(await runsOf(off)).toEqual([]);
  });

  it('counts runs by status in report_runs_total', async () => {
    const registry = new client.Registry();
    const m = reportRunMetrics(registry);
    m.runs.inc({ status: 'queued' }, 2);
    expect(await registry.metrics()).toContain('report_runs_total{status="queued"} 2');
  });
});
