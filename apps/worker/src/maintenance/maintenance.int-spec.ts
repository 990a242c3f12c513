import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { destination, distanceM } from '@fleet/geo';
import { createLogger } from '@fleet/logging-json';
import { publishStaged, stageBatch, type NormalizedPosition, type Staged } from '@fleet/queue-replay';
import { createRedis, type Redis } from '@fleet/runtime';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { loadWorkerConfig } from '../config';
import { start, type WorkerHandle } from '../server';

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:worker-maintenance:${process.pid}:`;
const HOME = { lat: 40.4, lon: -3.7 };
const DAY_MS = 24 * 3600_000;
/** Each synthetic day: parked with ignition off at 07:00, then 4 h of driving, one fix every 5 min, 2 km apart. */
const STEPS_PER_DAY = 48;
const STEP_M = 2_000;
const STEP_MS = 5 * 60_000;

/**
 * Acceptance (#16, maintenance): synthetic days with known distance and ignition time → the
 * `maintenance_due` event at exactly the fix that reaches the limit minus the notice, exactly once,
 * also after the same requests are redelivered through the stream and replayed from staging.
 */
describe('maintenance counters and due events in the worker', () => {
  jest.setTimeout(120_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let worker: WorkerHandle;
  let redis: Redis;
  let org: string;
  // Fixed once: every timestamp of the suite derives from it.
  const day0 = Math.floor((Date.now() - 5 * DAY_MS) / DAY_MS) * DAY_MS;

  beforeAll(async () => {
    testDb = await createTestDatabase('worker-maintenance');
    pool = new pg.Pool({ connectionString: testDb.url, max: 3 });
    org = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('M', 'm') RETURNING id")).rows[0].id;
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    worker = await start(
      loadWorkerConfig({
        APP_ENV: 'test',
        METRICS_PORT: '0',
        HOST: '127.0.0.1',
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: prefix,
        INGEST_BLOCK_MS: '100',
        REPLAY_INTERVAL_MS: '200',
        REPLAY_GRACE_MS: '300',
        DEVICE_OFFLINE_MINUTES: String(7 * 24 * 60),
        MAINTENANCE_CHECK_INTERVAL_MS: '1000',
      }),
      { logger: quiet },
    );
  });

  afterAll(async () => {
    await worker?.stop();
    if (redis) {
      const keys = await redis.keys(`${prefix}*`);
      redis.disconnect();
      const plain = createRedis({ url: 'redis://127.0.0.1:6379' });
      if (keys.length) await plain.del(...keys);
      plain.disconnect();
    }
    await pool?.end();
    await testDb?.drop();
  });

  const one = async <T>(sql: string, params: unknown[]) => (await pool.query(sql, params)).rows[0] as T;
  const vehicle = (name: string, groupId: string | null = null) =>
    one<{ id: string }>(
      'INSERT INTO vehicles (organization_id, name, device_identifier, group_id) VALUES ($1, $2, $2, $3) RETURNING id',
      [org, name, groupId],
    ).then((r) => r.id);
  const rule = (fields: Record<string, unknown>) => {
    const keys = Object.keys(fields);
    return one<{ id: string }>(
      `INSERT INTO maintenance_rules (organization_id, ${keys.join(', ')})
       VALUES ($1, ${keys.map((_, i) => `$${i + 2}`).join(', ')}) RETURNING id`,
      [org, ...Object.values(fields)],
    ).then((r) => r.id);
  };

  /**
   * `days` days of one vehicle: each day parks at HOME (ignition off), drives east 48 × 2 km with
   * ignition on, and ends with ignition off at the last fix; the odometer attribute, when given,
   * counts `odometerStepM` a step from `odometerFromM`.
   */
  function days(
    vehicleId: string,
    count: number,
    odometer?: { fromM: number; stepM: number },
  ): Array<NormalizedPosition & { step: number }> {
    const fixes: Array<NormalizedPosition & { step: number }> = [];
    let step = 0;
    for (let d = 0; d < count; d++) {
      const t0 = day0 + d * DAY_MS + 7 * 3600_000;
      const attrs = () => (odometer ? { odometer: odometer.fromM + step * odometer.stepM } : {});
      fixes.push({
        vehicleId,
        organizationId: org,
        ts: t0,
        ...HOME,
        speedKmh: 0,
        attributes: { ignition: false, ...attrs() },
        step: -1,
      });
      let here = HOME;
      for (let i = 0; i <= STEPS_PER_DAY; i++) {
        if (i > 0) {
          here = destination(here, 90, STEP_M);
          step++;
        }
        fixes.push({
          vehicleId,
          organizationId: org,
          ts: t0 + 3600_000 + i * STEP_MS,
          ...here,
          speedKmh: 24,
          attributes: { ignition: i < STEPS_PER_DAY, ...attrs() },
          step,
        });
      }
      // Towed home overnight (not driven): the first fix of the next day is at HOME again, so the
      // distance back counts; the test's expectations include it.
    }
    return fixes;
  }

  const withoutStep = (f: NormalizedPosition & { step?: number }): NormalizedPosition => {
    const copy = { ...f };
    delete copy.step;
    return copy;
  };
  const processed = async (ids: string[]) =>
    Number(
      (
        await pool.query(
          'SELECT count(*) AS n FROM ingest_staging WHERE id = ANY($1::bigint[]) AND processed_at IS NOT NULL',
          [ids],
        )
      ).rows[0].n,
    ) === ids.length;
  const send = async (positions: NormalizedPosition[]): Promise<Staged> => {
    const staged = await stageBatch(pool, { protocol: 'test', positions });
    await publishStaged(redis, staged, { names: worker.names, maxLen: 100_000 });
    return staged;
  };
  /** Sends the fixes in requests of `size`, each after the previous one is processed. */
  const deliver = async (fixes: NormalizedPosition[], size: number) => {
    const staged: Staged[] = [];
    for (let at = 0; at < fixes.length; at += size) {
      const s = await send(fixes.slice(at, at + size).map(withoutStep));
      await waitFor(async () => processed([s.id]), { timeoutMs: 20_000, what: 'request processed' });
      staged.push(s);
    }
    return staged;
  };
  const dueEvents = async (vehicleId: string) =>
    (
      await pool.query<{ subject_id: string; ts: Date; attributes: Record<string, unknown> }>(
        "SELECT subject_id, ts, attributes FROM events WHERE vehicle_id = $1 AND type = 'maintenance_due' ORDER BY ts, subject_id",
        [vehicleId],
      )
    ).rows.map((e) => ({
      rule: e.subject_id,
      ts: e.ts.getTime(),
      reason: e.attributes['reason'],
      cycle: e.attributes['cycle'],
    }));
  const counters = (vehicleId: string) =>
    one<{ odometer_km: number; engine_seconds: number }>(
      'SELECT odometer_km, engine_seconds FROM vehicle_counters WHERE vehicle_id = $1',
      [vehicleId],
    );

  it('emits maintenance_due at the fix that reaches the limit, once per rule, also after redelivery and replay', async () => {
    const parent = (
      await one<{ id: string }>("INSERT INTO vehicle_groups (organization_id, name) VALUES ($1, 'Vans') RETURNING id", [
        org,
      ])
    ).id;
    const child = (
      await one<{ id: string }>(
        "INSERT INTO vehicle_groups (organization_id, name, parent_id) VALUES ($1, 'Small vans', $2) RETURNING id",
        [org, parent],
      )
    ).id;
    const summed = await vehicle('summed', child);
    const read = await vehicle('read');
    // With a speed limit the writer returns every fix of a batch (without: only its ends, the rest read back).
    await pool.query('UPDATE vehicles SET speed_limit_kmh = 120 WHERE id = $1', [read]);
    const other = await vehicle('other');

    // Summed distance: 96 km a day driven, plus 96 km back home overnight → 192 km a day but the
    // first; 9 km of notice before 250 km → due at 241 km: day 1 (96 + 96 = 192) + 25 steps of day 2.
    const km = await rule({ name: 'Oil', vehicle_id: summed, every_km: 250, notify_before_km: 9 });
    // Engine time: 4 h a day; 30 min of notice before 10 h → 9.5 h: day 2 (8 h) + 18 steps of day 3.
    const hours = await rule({
      name: 'Filters',
      group_id: parent,
      every_engine_hours: 10,
      notify_before_engine_hours: 0.5,
    });
    // Not for 'other' (no group), which drives the same days. Whole organization, never reached; a
    // disabled one that would be at once.
    await rule({ name: 'Overhaul', every_engine_hours: 1000 });
    await rule({ name: 'Off', every_km: 1, enabled: false });
    // The tracker's odometer: 14 300 km on, 2.5 km a step (our geodesic steps are 2 km); due at
    // 15 000 − 500 km → after 80 steps: day 1's 48 and 32 of day 2 (100 geodesic steps would be later).
    const reading = await rule({ name: 'Tyres', vehicle_id: read, every_km: 15_000, notify_before_km: 500 });

    const summedDays = days(summed, 3);
    const readDays = days(read, 2, { fromM: 14_300_000, stepM: 2_500 });
    const otherDays = days(other, 3);
    const staged = [
      ...(await deliver(summedDays, 7)),
      ...(await deliver(readDays, 11)),
      ...(await deliver(otherDays, 50)),
    ];

    const dayFix = (fixes: typeof summedDays, d: number, step: number) =>
      fixes.filter((f) => f.ts >= day0 + d * DAY_MS && f.ts < day0 + (d + 1) * DAY_MS)[step + 1].ts;
    const expected = {
      summed: [
        { rule: km, ts: dayFix(summedDays, 1, 25), reason: 'km', cycle: 'initial' },
        { rule: hours, ts: dayFix(summedDays, 2, 18), reason: 'engine_hours', cycle: 'initial' },
      ],
      read: [{ rule: reading, ts: dayFix(readDays, 1, 32), reason: 'km', cycle: 'initial' }],
    };
    expect(await dueEvents(summed)).toEqual(expected.summed);
    expect(await dueEvents(read)).toEqual(expected.read);
    expect(await dueEvents(other)).toEqual([]);
    const before = { summed: await counters(summed), read: await counters(read) };
    // 3 days × 96 km + 2 nights × 96 km back (the straight way back is a few metres shorter than the
    // 48 steps out); 3 × 4 h of ignition.
    let path = 0;
    for (let i = 1; i < summedDays.length; i++) path += distanceM(summedDays[i - 1], summedDays[i]);
    expect(Math.abs(path / 1000 - 480)).toBeLessThan(0.1);
    // Summed with fastDistanceM: within 1 ppm of the exact geodesic path.
    expect(Math.abs(before.summed.odometer_km - path / 1000)).toBeLessThanOrEqual((path / 1000) * 1e-6);
    expect(before.summed.engine_seconds).toBe(3 * 4 * 3600);
    expect(before.read.odometer_km).toBe(14_300 + 96 * 2.5);

    // Redelivered twice through the stream, then replayed from staging (rows marked unprocessed).
    for (let i = 0; i < 2; i++)
      for (const s of staged) await publishStaged(redis, s, { names: worker.names, maxLen: 100_000 });
    await pool.query('UPDATE ingest_staging SET processed_at = NULL WHERE id = ANY($1::bigint[])', [
      staged.map((s) => s.id),
    ]);
    await waitFor(async () => processed(staged.map((s) => s.id)), {
      timeoutMs: 30_000,
      what: 'replayed and processed',
    });
    await waitFor(async () => (await redis.xpending(worker.names.stream, worker.names.group))[0] === 0, {
      timeoutMs: 20_000,
      what: 'stream drained',
    });
    expect(await dueEvents(summed)).toEqual(expected.summed);
    expect(await dueEvents(read)).toEqual(expected.read);
    expect(await counters(summed)).toEqual(before.summed);
    expect(await counters(read)).toEqual(before.read);

    // Serviced at the end of day 3 (480 km, 12 h): a new cycle, due again at 480 + 241 = 721 km. Day 4
    // ends at 480 + 96 (back home) + 96 = 672 km; day 5's first fix, back home, makes it 768 km.
    const record = (
      await one<{ id: string }>(
        `INSERT INTO maintenance_records (organization_id, vehicle_id, rule_id, done_at, odometer_km, engine_hours, note)
         VALUES ($1, $2, $3, $4, $5, $6, 'oil changed') RETURNING id`,
        [org, summed, km, new Date(day0 + 2 * DAY_MS + 12 * 3600_000), before.summed.odometer_km, 12],
      )
    ).id;
    const later = days(summed, 5).filter((f) => f.ts >= day0 + 3 * DAY_MS);
    await deliver(later, 13);
    const events = await dueEvents(summed);
    expect(events.filter((e) => e.rule === km)).toEqual([
      expected.summed[0],
      { rule: km, ts: dayFix(later, 4, -1), reason: 'km', cycle: record },
    ]);
  });

  it('does not count a late fix twice or at all: a day whose middle arrives last counts as the fixes around it', async () => {
    const ordered = await vehicle('late-ordered');
    const late = await vehicle('late-shuffled');
    const day = days(ordered, 1);
    await deliver(day, 10);
    const lateDay = day.map((f) => ({ ...f, vehicleId: late }));
    // Fixes 20–29 (mid-drive, ignition on) after the rest; then everything once more.
    const middle = lateDay.slice(20, 30);
    await deliver([...lateDay.slice(0, 20), ...lateDay.slice(30)], 10);
    const before = await counters(late);
    await deliver(middle, 10);
    expect(await counters(late)).toEqual(before);
    await deliver(lateDay, 25);
    expect(await counters(late)).toEqual(before);
    // Driving straight east, the span across the late fixes is the same distance and the same time.
    const inOrder = await counters(ordered);
    expect(before.engine_seconds).toBe(inOrder.engine_seconds);
    expect(before.odometer_km).toBeCloseTo(inOrder.odometer_km, 2);
  });

  it('counts the fixes between a batch’s first and last for a vehicle without rules, the same-timestamp winner among them', async () => {
    const plain = await vehicle('between-plain');
    const ruled = await vehicle('between-ruled');
    // With a speed limit the writer gives the hook every fix in full; without, the ends in full and
    // the fixes between compactly: both must count the same.
    await pool.query('UPDATE vehicles SET speed_limit_kmh = 120 WHERE id = $1', [ruled]);
    const t0 = day0 + 4 * DAY_MS + 7 * 3600_000;
    // One 10-fix request: parked at HOME, 4 km east, a minute's stop, 3 km back west, then HOME; one
    // fix a minute, ignition on from the second fix to the eighth (7 minutes), off at both ends. Counting only the ends would give 0 km
    // and 0 s (home to home, ignition off).
    const path = (vehicleId: string): NormalizedPosition[] => {
      let here = HOME;
      return Array.from({ length: 10 }, (_, i) => {
        if (i >= 1 && i <= 4) here = destination(here, 90, 1_000);
        if (i >= 6 && i <= 8) here = destination(here, 270, 1_000);
        return {
          vehicleId,
          organizationId: org,
          ts: t0 + i * 60_000,
          ...(i === 9 ? HOME : here),
          accuracy: 5,
          attributes: { ignition: i >= 1 && i <= 7, io239: 1 },
        };
      });
    };
    const expectedOf = (fixes: NormalizedPosition[]) => {
      let m = 0;
      for (let i = 1; i < fixes.length; i++) m += distanceM(fixes[i - 1], fixes[i]);
      return { km: m / 1000, seconds: 7 * 60 };
    };
    for (const v of [plain, ruled]) {
      const fixes = path(v);
      // A worse fix sharing the fourth fix's timestamp, 20 km away, ignition off: it loses, uncounted.
      const loser = { ...fixes[3], accuracy: 50, lat: fixes[3].lat + 0.2, attributes: { ignition: false } };
      await deliver([loser, ...fixes], 11);
      const expected = expectedOf(fixes);
      expect(expected.km).toBeGreaterThan(7);
      const c = await counters(v);
      expect(c.engine_seconds).toBe(expected.seconds);
      expect(c.odometer_km).toBeCloseTo(expected.km, 6);
    }
  });

  it('emits a calendar-only rule once, at last service + months − notice', async () => {
    const parked = await vehicle('parked');
    const created = new Date(Date.UTC(2026, 0, 31, 10));
    const id = await rule({ name: 'Inspection', vehicle_id: parked, every_months: 2, notify_before_days: 10 });
    await pool.query('UPDATE maintenance_rules SET created_at = $2 WHERE id = $1', [id, created]);
    // 31 January + 2 months = 31 March; 10 days ahead: 21 March.
    const at = Date.UTC(2026, 2, 21, 10);
    await waitFor(async () => (await dueEvents(parked)).length > 0, { timeoutMs: 20_000, what: 'calendar due' });
    // Further checks (every second) add nothing.
    const runs = async () =>
      Number(
        /worker_job_runs_total\{task="maintenance-due",outcome="ok"[^}]*\} (\d+)/.exec(
          await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text(),
        )?.[1] ?? 0,
      );
    const seen = await runs();
    await waitFor(async () => (await runs()) >= seen + 2, { timeoutMs: 20_000, what: 'two more checks' });
    expect(await dueEvents(parked)).toEqual([{ rule: id, ts: at, reason: 'calendar', cycle: 'initial' }]);
  });
});
