import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { LiveMessage } from '@fleet/contracts';
import { liveChannel, parsePublished, readLatest } from '@fleet/live';
import { createLogger } from '@fleet/logging-json';
import { publishStaged, stageBatch, type NormalizedPosition, type Staged } from '@fleet/queue-replay';
import { createRedis, type Redis } from '@fleet/runtime';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { loadWorkerConfig } from '../config';
import { start, type WorkerHandle } from '../server';

const quiet = createLogger({ service: 'worker', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:worker-events:${process.pid}:`;

describe('event detection in the worker', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let worker: WorkerHandle;
  let redis: Redis;
  let org: string;
  let geofence: string;

  beforeAll(async () => {
    testDb = await createTestDatabase('worker-events');
    pool = new pg.Pool({ connectionString: testDb.url, max: 3 });
    org = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('E', 'e') RETURNING id")).rows[0].id;
    // A square of about 1.1 km around (40.005, -3.005).
    geofence = (
      await pool.query(
        `INSERT INTO geofences (organization_id, name, kind, area)
         VALUES ($1, 'Depot', 'polygon', ST_GeomFromText('POLYGON((-3.01 40, -3 40, -3 40.01, -3.01 40.01, -3.01 40))', 4326))
         RETURNING id`,
        [org],
      )
    ).rows[0].id;
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
        OVERSPEED_MIN_SECONDS: '30',
        DEVICE_OFFLINE_MINUTES: '5',
        OFFLINE_CHECK_INTERVAL_MS: '1000',
      }),
      { logger: quiet },
    );
  });

  afterAll(async () => {
    await worker?.stop();
    redis?.disconnect();
    await pool?.end();
    await testDb?.drop();
  });

  const vehicle = async (name: string, speedLimitKmh: number | null = null) =>
    (
      await pool.query(
        'INSERT INTO vehicles (organization_id, name, device_identifier, speed_limit_kmh) VALUES ($1, $2, $3, $4) RETURNING id',
        [org, name, `${name}-${Date.now()}`, speedLimitKmh],
      )
    ).rows[0].id as string;
  const at = (
    vehicleId: string,
    base: number,
    s: number,
    lat: number,
    lon: number,
    speedKmh = 40,
  ): NormalizedPosition => ({
    vehicleId,
    organizationId: org,
    ts: base + s * 1000,
    lat,
    lon,
    speedKmh,
  });
  const send = async (positions: NormalizedPosition[]): Promise<Staged> => {
    const staged = await stageBatch(pool, { protocol: 'test', positions });
    await publishStaged(redis, staged, { names: worker.names, maxLen: 10_000 });
    return staged;
  };
  const stored = async (vehicleId: string) =>
    Number((await pool.query('SELECT count(*) AS n FROM positions WHERE vehicle_id = $1', [vehicleId])).rows[0].n);
  const eventsOf = async (vehicleId: string) =>
    (
      await pool.query<{ type: string; geofence_id: string | null; ts: Date }>(
        'SELECT type, geofence_id, ts FROM events WHERE vehicle_id = $1 ORDER BY ts, type',
        [vehicleId],
      )
    ).rows;
  const processed = async (ids: string[]) =>
    Number(
      (
        await pool.query(
          'SELECT count(*) AS n FROM ingest_staging WHERE id = ANY($1::bigint[]) AND processed_at IS NOT NULL',
          [ids],
        )
      ).rows[0].n,
    ) === ids.length;

  it('a vehicle driving through a polygon produces exactly one enter and one exit, also when the batches are replayed twice', async () => {
    const v = await vehicle('through');
    const base = Date.now() - 120_000;
    // West to east along latitude 40.005: outside, inside (two fixes), outside — in two requests.
    const first = await send([at(v, base, 0, 40.005, -3.02), at(v, base, 10, 40.005, -3.008)]);
    await waitFor(async () => processed([first.id]), { timeoutMs: 10_000, what: 'first request processed' });
    const second = await send([at(v, base, 20, 40.005, -3.002), at(v, base, 30, 40.005, -2.99)]);
    await waitFor(async () => (await stored(v)) === 4, { timeoutMs: 10_000, what: 'positions stored' });
    await waitFor(async () => processed([first.id, second.id]), { timeoutMs: 10_000, what: 'staging processed' });
    const expected = [
      { type: 'geofence_enter', geofence_id: geofence, ts: new Date(base + 10_000) },
      { type: 'geofence_exit', geofence_id: geofence, ts: new Date(base + 30_000) },
    ];
    expect(await eventsOf(v)).toEqual(expected);

    // Redelivered twice through the stream, and once through the replayer (rows marked unprocessed).
    for (let i = 0; i < 2; i++) {
      await publishStaged(redis, second, { names: worker.names, maxLen: 10_000 });
      await publishStaged(redis, first, { names: worker.names, maxLen: 10_000 });
    }
    await pool.query('UPDATE ingest_staging SET processed_at = NULL WHERE id = ANY($1::bigint[])', [
      [first.id, second.id],
    ]);
    await waitFor(async () => processed([first.id, second.id]), { timeoutMs: 15_000, what: 'replayed and processed' });
    await waitFor(async () => (await redis.xpending(worker.names.stream, worker.names.group))[0] === 0, {
      timeoutMs: 10_000,
      what: 'stream drained',
    });
    expect(await stored(v)).toBe(4);
    expect(await eventsOf(v)).toEqual(expected);
  });

  const liveEvents = async (orgId: string) => {
    const sub = redis.duplicate({ keyPrefix: undefined });
    const heard: LiveMessage[] = [];
    await sub.subscribe(liveChannel(redis, orgId));
    sub.on('message', (_channel: string, raw: string) => heard.push(parsePublished(raw).message));
    return { heard, close: () => sub.disconnect() };
  };
  const allEventsOf = async (vehicleId: string) =>
    (
      await pool.query<{ type: string; ts: Date; retracted: boolean }>(
        // The offline rule follows arrival, not the fixes' timeline: not what these tests are about.
        `SELECT type, ts, retracted_at IS NOT NULL AS retracted FROM events
          WHERE vehicle_id = $1 AND type NOT LIKE 'device_%' ORDER BY ts, type`,
        [vehicleId],
      )
    ).rows.map((e) => [e.type, e.ts.getTime(), e.retracted]);

  it('outside, inside, outside with the inside fix arriving last: one enter and one exit, at the right fixes', async () => {
    const v = await vehicle('late-inside');
    const base = Date.now() - 120_000;
    for (const fixes of [
      [at(v, base, 0, 40.005, -3.02)],
      [at(v, base, 20, 40.005, -2.99)],
      // The only fix inside the fence, late (a tracker's buffer after a network gap).
      [at(v, base, 10, 40.005, -3.005)],
    ]) {
      const staged = await send(fixes);
      await waitFor(async () => processed([staged.id]), { timeoutMs: 10_000, what: 'request processed' });
    }
    expect(await eventsOf(v)).toEqual([
      { type: 'geofence_enter', geofence_id: geofence, ts: new Date(base + 10_000) },
      { type: 'geofence_exit', geofence_id: geofence, ts: new Date(base + 20_000) },
    ]);
  });

  it('retracts, visibly and live, an event a late fix no longer implies, and restores it when a later one implies it again', async () => {
    const v = await vehicle('retract');
    const base = Date.now() - 120_000;
    const live = await liveEvents(org);
    try {
      const deliver = async (fixes: NormalizedPosition[]) => {
        const staged = await send(fixes);
        await waitFor(async () => processed([staged.id]), { timeoutMs: 10_000, what: 'request processed' });
      };
      await deliver([at(v, base, 0, 40.005, -3.02), at(v, base, 20, 40.005, -3.005)]);
      expect(await allEventsOf(v)).toEqual([['geofence_enter', base + 20_000, false]]);
      const entered = (await pool.query('SELECT id FROM events WHERE vehicle_id = $1', [v])).rows[0].id as string;

      // Inside already at 10 s: the vehicle entered then, not at 20 s.
      await deliver([at(v, base, 10, 40.005, -3.008)]);
      expect(await allEventsOf(v)).toEqual([
        ['geofence_enter', base + 10_000, false],
        ['geofence_enter', base + 20_000, true],
      ]);
      await waitFor(async () => live.heard.some((m) => m.type === 'event_retracted' && m.data.id === entered), {
        timeoutMs: 5_000,
        what: 'retraction pushed live',
      });
      for (const m of live.heard) expect(() => LiveMessage.parse(m)).not.toThrow();

      // Outside at 15 s: it left at 15 and came back at 20 — the retracted enter holds again (same row).
      await deliver([at(v, base, 15, 40.005, -3.02)]);
      expect(await allEventsOf(v)).toEqual([
        ['geofence_enter', base + 10_000, false],
        ['geofence_exit', base + 15_000, false],
        ['geofence_enter', base + 20_000, false],
      ]);
      expect(
        (await pool.query('SELECT id FROM events WHERE vehicle_id = $1 AND ts = $2', [v, new Date(base + 20_000)]))
          .rows,
      ).toEqual([{ id: entered }]);
      const state = (await pool.query('SELECT ts, geofence_ids FROM vehicle_event_state WHERE vehicle_id = $1', [v]))
        .rows[0];
      expect([state.ts.getTime(), state.geofence_ids]).toEqual([base + 20_000, [geofence]]);
    } finally {
      live.close();
    }
  });

  it('a late fix under the limit splits an overspeed episode: the event moves to the episode that lasted', async () => {
    const v = await vehicle('late-slow', 50);
    const base = Date.now() - 150_000;
    const deliver = async (fixes: NormalizedPosition[]) => {
      const staged = await send(fixes);
      await waitFor(async () => processed([staged.id]), { timeoutMs: 10_000, what: 'request processed' });
    };
    await deliver([0, 20, 40, 60, 80].map((s) => at(v, base, s, 41.5, -3 - s / 10_000, 80)));
    expect(await allEventsOf(v)).toEqual([['overspeed', base, false]]);
    // Slow at 30 s: from 0 to 20 s is too short; the episode that counts began at 40 s and lasted 40 s.
    await deliver([at(v, base, 30, 41.5, -3.003, 30)]);
    expect(await allEventsOf(v)).toEqual([
      ['overspeed', base, true],
      ['overspeed', base + 40_000, false],
    ]);
    const event = (
      await pool.query<{ attributes: Record<string, unknown>; lon: number }>(
        'SELECT attributes, ST_X(point) AS lon FROM events WHERE vehicle_id = $1 AND retracted_at IS NULL',
        [v],
      )
    ).rows[0];
    // Reported at the first fix 30 s into the episode (70 s does not exist: 80 s).
    expect(event.attributes['reportedAt']).toBe(new Date(base + 80_000).toISOString());
    expect(event.lon).toBeCloseTo(-3.008, 9);
  });

  it('a fix replaced by a better one of the same timestamp re-evaluates the vehicle: the visit it made is retracted', async () => {
    const v = await vehicle('replaced');
    const base = Date.now() - 120_000;
    const deliver = async (fixes: NormalizedPosition[]) => {
      const staged = await send(fixes);
      await waitFor(async () => processed([staged.id]), { timeoutMs: 10_000, what: 'request processed' });
    };
    await deliver([
      at(v, base, 0, 40.005, -3.02),
      { ...at(v, base, 10, 40.005, -3.005), accuracy: 80 },
      at(v, base, 20, 40.005, -2.99),
    ]);
    expect(await allEventsOf(v)).toEqual([
      ['geofence_enter', base + 10_000, false],
      ['geofence_exit', base + 20_000, false],
    ]);
    // The same instant, measured better (the same-timestamp rule keeps it): it was never inside.
    await deliver([{ ...at(v, base, 10, 40.005, -3.015), accuracy: 5 }]);
    expect(await stored(v)).toBe(3);
    expect(await allEventsOf(v)).toEqual([
      ['geofence_enter', base + 10_000, true],
      ['geofence_exit', base + 20_000, true],
    ]);
  });

  it('forgets a geofence deleted while the vehicle was inside it, without an exit event or a failed write', async () => {
    const v = await vehicle('deleted-fence');
    const temp = (
      await pool.query(
        `INSERT INTO geofences (organization_id, name, kind, area)
         VALUES ($1, 'Temporary', 'polygon', ST_GeomFromText('POLYGON((10 10, 10.01 10, 10.01 10.01, 10 10.01, 10 10))', 4326))
         RETURNING id`,
        [org],
      )
    ).rows[0].id;
    const base = Date.now() - 400_000;
    const first = await send([at(v, base, 0, 10.005, 10.005)]);
    await waitFor(async () => processed([first.id]), { timeoutMs: 10_000, what: 'inside' });
    await pool.query('DELETE FROM geofences WHERE id = $1', [temp]);
    const second = await send([at(v, base, 10, 10.05, 10.05)]);
    await waitFor(async () => processed([second.id]), { timeoutMs: 10_000, what: 'outside' });
    expect(await stored(v)).toBe(2);
    expect((await eventsOf(v)).map((e) => e.type)).toEqual(['geofence_enter']);
  });

  it('reports overspeed once per episode, only after the minimum duration, across requests', async () => {
    const v = await vehicle('fast', 50);
    const base = Date.now() - 150_000;
    for (const batch of [
      [at(v, base, 0, 41, -3, 40), at(v, base, 10, 41, -3.001, 80), at(v, base, 25, 41, -3.002, 90)],
      [at(v, base, 45, 41, -3.003, 85), at(v, base, 60, 41, -3.004, 95)],
      [at(v, base, 70, 41, -3.005, 45), at(v, base, 80, 41, -3.006, 70)],
    ]) {
      const staged = await send(batch);
      await waitFor(async () => processed([staged.id]), { timeoutMs: 10_000, what: 'request processed' });
    }
    await waitFor(async () => (await stored(v)) === 7, { timeoutMs: 10_000, what: 'positions stored' });
    await waitFor(async () => (await eventsOf(v)).length > 0, { timeoutMs: 5_000, what: 'overspeed event' });
    const events = await eventsOf(v);
    expect(events.map((e) => [e.type, e.ts.getTime() - base])).toEqual([['overspeed', 10_000]]);
  });

  it('emits device_offline once for a silent vehicle and device_online with its next fix, and pushes both live', async () => {
    const v = await vehicle('quiet');
    const sub = redis.duplicate({ keyPrefix: undefined });
    const heard: LiveMessage[] = [];
    await sub.subscribe(liveChannel(redis, org));
    sub.on('message', (_channel: string, raw: string) => heard.push(parsePublished(raw).message));
    try {
      const base = Date.now() - 20 * 60_000;
      await send([at(v, base, 0, 42, -3)]);
      await waitFor(async () => (await eventsOf(v)).some((e) => e.type === 'device_offline'), {
        timeoutMs: 10_000,
        what: 'device_offline',
      });
      // More passes of the offline check change nothing.
      await new Promise((r) => setTimeout(r, 2_500));
      expect((await eventsOf(v)).map((e) => e.type)).toEqual(['device_offline']);
      expect((await eventsOf(v))[0].ts.getTime()).toBe(base + 5 * 60_000);

      await send([at(v, Date.now() - 1_000, 0, 42.001, -3)]);
      await waitFor(async () => (await eventsOf(v)).length === 2, { timeoutMs: 10_000, what: 'device_online' });
      expect((await eventsOf(v)).map((e) => e.type)).toEqual(['device_offline', 'device_online']);
      await waitFor(async () => heard.filter((m) => m.type === 'event' && m.data.vehicleId === v).length === 2, {
        timeoutMs: 5_000,
        what: 'events pushed live',
      });
      expect(heard.some((m) => m.type === 'position' && m.data.vehicleId === v && m.data.lat === 42.001)).toBe(true);
      for (const m of heard) expect(() => LiveMessage.parse(m)).not.toThrow();
    } finally {
      sub.disconnect();
    }
  });

  it('for a vehicle no rule applies to (no speed limit, no geofences in its organization) evaluates and pushes only its newest fix', async () => {
    const bare = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('Bare', 'bare') RETURNING id"))
      .rows[0].id as string;
    const v = (
      await pool.query(
        "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'plain', 'plain-1') RETURNING id",
        [bare],
      )
    ).rows[0].id as string;
    await pool.query(
      "INSERT INTO vehicle_event_state (vehicle_id, ts, offline_since) VALUES ($1, now() - interval '1 hour', now() - interval '50 minutes')",
      [v],
    );
    const sub = redis.duplicate({ keyPrefix: undefined });
    const heard: LiveMessage[] = [];
    await sub.subscribe(liveChannel(redis, bare));
    sub.on('message', (_channel: string, raw: string) => heard.push(parsePublished(raw).message));
    try {
      const base = Date.now() - 60_000;
      const fixes = [0, 10, 20].map((s) => ({ ...at(v, base, s, 44 + s / 1000, -3), organizationId: bare }));
      const staged = await send(fixes);
      await waitFor(async () => processed([staged.id]), { timeoutMs: 10_000, what: 'processed' });
      expect(await stored(v)).toBe(3);
      const events = (await pool.query('SELECT type, ts FROM events WHERE vehicle_id = $1', [v])).rows;
      expect(events.map((e) => [e.type, e.ts.getTime()])).toEqual([['device_online', base]]);
      await waitFor(async () => heard.some((m) => m.type === 'event'), { timeoutMs: 5_000, what: 'pushed' });
      const positions = heard.filter((m) => m.type === 'position');
      expect(positions.map((m) => m.data.ts)).toEqual([new Date(base + 20_000).toISOString()]);
      const state = (await pool.query('SELECT ts, offline_since FROM vehicle_event_state WHERE vehicle_id = $1', [v]))
        .rows[0];
      expect(state.ts.getTime()).toBe(base + 20_000);
      expect(state.offline_since).toBeNull();
      // A late fix of such a vehicle is stored, with nothing to re-evaluate.
      const late = await send([{ ...at(v, base, -5, 44, -3), organizationId: bare }]);
      await waitFor(async () => processed([late.id]), { timeoutMs: 10_000, what: 'late processed' });
      expect(await stored(v)).toBe(4);
      expect((await pool.query('SELECT count(*)::int AS n FROM events WHERE vehicle_id = $1', [v])).rows[0].n).toBe(1);
      const after = (await pool.query('SELECT ts FROM vehicle_event_state WHERE vehicle_id = $1', [v])).rows[0];
      expect(after.ts.getTime()).toBe(base + 20_000);
    } finally {
      sub.disconnect();
    }
  });

  it('keeps the hot cache and the live map at each vehicle’s newest fix, also when an older fix arrives later', async () => {
    const v = await vehicle('cache');
    const base = Date.now() - 100_000;
    const live = await liveEvents(org);
    const first = await send([at(v, base, 50, 43, -3)]);
    await waitFor(async () => processed([first.id]), { timeoutMs: 10_000, what: 'stored' });
    const late = await send([at(v, base, 10, 43.5, -3)]);
    await waitFor(async () => processed([late.id]), { timeoutMs: 10_000, what: 'late fix stored' });
    expect(await stored(v)).toBe(2);
    // A marker for ordering: everything published before it was heard once it is.
    const marker = await send([at(v, base, 60, 43.25, -3)]);
    await waitFor(async () => processed([marker.id]), { timeoutMs: 10_000, what: 'newer fix stored' });
    await waitFor(async () => live.heard.some((m) => m.type === 'position' && m.data.lat === 43.25), {
      timeoutMs: 5_000,
      what: 'newer fix pushed',
    });
    live.close();
    const map = live.heard.flatMap((m) => (m.type === 'position' && m.data.vehicleId === v ? [m.data.lat] : []));
    expect(map).toEqual([43, 43.25]);
    // The cache is only a partial (not warm) hash here: read the raw field.
    const raw = await redis.hget(`latest:${org}`, v);
    expect(raw).toContain('"lat":43.25,');
    expect(await readLatest(redis, org)).toBeNull();
    // The late fix was counted (it re-evaluated the vehicle), so operators see how often it happens.
    const metrics = await (await fetch(`http://127.0.0.1:${worker.port}/metrics`)).text();
    expect(Number(/^events_late_fixes_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(1);
  });
});
