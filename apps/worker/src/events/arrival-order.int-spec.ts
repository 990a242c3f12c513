import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { destination, seededRandom } from '@fleet/geo';
import { DEFAULT_STREAMS, publishStaged, stageBatch, type NormalizedPosition, type Staged } from '@fleet/queue-replay';
import { createRedis, type Redis } from '@fleet/runtime';
import { freePort, spawnSource, waitFor, type SourceProcess } from '@fleet/runtime/testing';
import fc from 'fast-check';
import pg from 'pg';

/**
 * Acceptance (#11): several vehicles' days of fixes through polygon and circle geofences and speed
 * limits, delivered in random partitions and random orders, with redeliveries, through two worker
 * processes with two consumer loops each → exactly the events of in-order delivery, each stamped at
 * the right fix. Each run drives twin vehicles: one twin's day is delivered in order, request after
 * request; the other's is shuffled, cut into requests, partly sent twice, and all of it published at
 * once so the four loops race.
 */
const prefix = `test:arrival-order:${process.pid}:`;
const CENTER = { lat: 40.4, lon: -3.7 };
const VEHICLES_PER_RUN = 4;
const FIXES_PER_DAY = 150;

interface EventRow {
  type: string;
  ts: string;
  geofence_id: string | null;
  lat: number | null;
  lon: number | null;
  attributes: Record<string, unknown>;
}

/**
 * A vehicle's day around CENTER, one fix every 10 s: stretches of calm and fast driving, turns, steered
 * back towards the centre so that it keeps crossing the fences; some fixes without speed.
 */
function syntheticDay(seed: number, vehicleId: string, organizationId: string, t0: number): NormalizedPosition[] {
  const random = seededRandom(seed);
  let here = destination(CENTER, random() * 360, random() * 1_500);
  let bearing = random() * 360;
  let fast = false;
  const fixes: NormalizedPosition[] = [];
  for (let i = 0; i < FIXES_PER_DAY; i++) {
    if (random() < 0.12) fast = !fast;
    const speedKmh = fast ? 85 + random() * 40 : 20 + random() * 55;
    const away = Math.hypot((here.lat - CENTER.lat) * 111_000, (here.lon - CENTER.lon) * 85_000);
    if (away > 1_800) {
      const home = (Math.atan2((CENTER.lon - here.lon) * 85_000, (CENTER.lat - here.lat) * 111_000) * 180) / Math.PI;
      bearing = home + (random() - 0.5) * 60;
    } else bearing += (random() - 0.5) * 50;
    here = destination(here, bearing, (speedKmh / 3.6) * 10);
    fixes.push({
      vehicleId,
      organizationId,
      ts: t0 + i * 10_000,
      lat: here.lat,
      lon: here.lon,
      speedKmh: random() < 0.08 ? undefined : Math.round(speedKmh * 10) / 10,
    });
  }
  return fixes;
}

describe('events do not depend on arrival order', () => {
  jest.setTimeout(120_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let redis: Redis;
  let org: string;
  const workers: SourceProcess[] = [];
  const ports: number[] = [];
  const metric = async (port: number, name: string) => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    return Number(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)`, 'm').exec(text)?.[1] ?? 0);
  };

  beforeAll(async () => {
    testDb = await createTestDatabase('worker-arrival-order');
    pool = new pg.Pool({ connectionString: testDb.url, max: 4 });
    pool.on('error', () => undefined);
    org = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('Order', 'order') RETURNING id")).rows[0]
      .id;
    // Two polygons (one concave) and two circles, around and across the area the vehicles drive in.
    for (const wkt of [
      'POLYGON((-3.712 40.392, -3.700 40.392, -3.700 40.401, -3.712 40.401, -3.712 40.392))',
      'POLYGON((-3.698 40.402, -3.684 40.402, -3.684 40.412, -3.690 40.412, -3.690 40.406, -3.698 40.406, -3.698 40.402))',
    ])
      await pool.query(
        "INSERT INTO geofences (organization_id, name, kind, area) VALUES ($1, 'P', 'polygon', ST_GeomFromText($2, 4326))",
        [org, wkt],
      );
    for (const [lon, lat, radius] of [
      [-3.7, 40.4, 450],
      [-3.715, 40.41, 600],
    ])
      await pool.query(
        `INSERT INTO geofences (organization_id, name, kind, area, center, radius_m)
         VALUES ($1, 'C', 'circle', ST_Buffer(ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, $4, 'quad_segs=16')::geometry,
                 ST_SetSRID(ST_MakePoint($2, $3), 4326), $4)`,
        [org, lon, lat, radius],
      );
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const worker = spawnSource('apps/worker/src/main.ts', {
        APP_ENV: 'test',
        LOG_LEVEL: 'error',
        METRICS_PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: testDb.url,
        REDIS_URL: 'redis://127.0.0.1:6379',
        REDIS_KEY_PREFIX: prefix,
        INGEST_CONCURRENCY: '2',
        // Small reads: more, smaller write transactions racing each other.
        INGEST_READ_COUNT: '3',
        INGEST_BLOCK_MS: '50',
        OVERSPEED_MIN_SECONDS: '30',
        // The offline rule follows arrival, not the timeline: kept out of the way.
        DEVICE_OFFLINE_MINUTES: String(7 * 24 * 60),
      });
      workers.push(worker);
      ports.push(port);
      await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => null))?.status === 200, {
        timeoutMs: 30_000,
        what: `worker ${i} ready: ${worker.output()}`,
      });
    }
  });

  afterAll(async () => {
    for (const w of workers) {
      w.child.kill('SIGTERM');
      await w.exited;
    }
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

  const vehicle = async (name: string, speedLimitKmh: number | null) =>
    (
      await pool.query(
        'INSERT INTO vehicles (organization_id, name, device_identifier, speed_limit_kmh) VALUES ($1, $2, $2, $3) RETURNING id',
        [org, name, speedLimitKmh],
      )
    ).rows[0].id as string;
  const processed = async (ids: string[]) =>
    Number(
      (
        await pool.query(
          'SELECT count(*) AS n FROM ingest_staging WHERE id = ANY($1::bigint[]) AND processed_at IS NOT NULL',
          [ids],
        )
      ).rows[0].n,
    ) === ids.length;
  const stage = (positions: NormalizedPosition[]) => stageBatch(pool, { protocol: 'test', positions });
  const publish = (staged: Staged) => publishStaged(redis, staged, { names: DEFAULT_STREAMS, maxLen: 100_000 });
  /** The vehicle's events still standing (retracted ones are not), in a form comparable across twins. */
  const standing = async (vehicleId: string) =>
    (
      await pool.query<EventRow>(
        `SELECT type, to_char(ts AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') AS ts, geofence_id, ST_Y(point) AS lat,
                ST_X(point) AS lon, attributes
           FROM events WHERE vehicle_id = $1 AND retracted_at IS NULL ORDER BY ts, type, geofence_id`,
        [vehicleId],
      )
    ).rows;
  const fixesAt = async (vehicleId: string) =>
    new Set(
      (
        await pool.query<{ ts: string }>(
          "SELECT to_char(ts AT TIME ZONE 'UTC', 'HH24:MI:SS.MS') AS ts FROM positions WHERE vehicle_id = $1",
          [vehicleId],
        )
      ).rows.map((r) => r.ts),
    );

  const seen = { enter: 0, exit: 0, overspeed: 0, retracted: 0 };
  let run = 0;

  it('gives every vehicle exactly the events of in-order delivery, each at the right fix', async () => {
    const started = Date.now();
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 64 }),
        fc.integer({ min: 1, max: 2 ** 31 - 1 }),
        async (seed, cuts, orderSeed) => {
          run++;
          const next = seededRandom(orderSeed);
          const t0 = Date.now() - 12 * 3_600_000 + run * 3_600_000;
          const twins: Array<{ ordered: string; shuffled: string; day: NormalizedPosition[] }> = [];
          for (let i = 0; i < VEHICLES_PER_RUN; i++) {
            const limit = i === VEHICLES_PER_RUN - 1 ? null : 80;
            const ordered = await vehicle(`r${run}-${i}-ordered`, limit);
            const shuffled = await vehicle(`r${run}-${i}-shuffled`, limit);
            twins.push({ ordered, shuffled, day: syntheticDay(seed + i, ordered, org, t0) });
          }

          // In order: each vehicle's day in requests sent one after the other has been handled.
          await Promise.all(
            twins.map(async ({ day }, i) => {
              for (let at = 0, c = i; at < day.length; c++) {
                const size = cuts[c % cuts.length];
                const staged = await stage(day.slice(at, at + size));
                await publish(staged);
                await waitFor(async () => processed([staged.id]), { timeoutMs: 20_000, what: 'in order' });
                at += size;
              }
            }),
          );

          // Shuffled: every fix of every twin in a random order, cut into requests of random sizes;
          // some requests published twice, some fixes sent again in requests of their own.
          const all = twins.flatMap(({ day, shuffled }) => day.map((p) => ({ ...p, vehicleId: shuffled })));
          for (let i = all.length - 1; i > 0; i--) {
            const j = Math.floor(next() * (i + 1));
            [all[i], all[j]] = [all[j], all[i]];
          }
          const requests: NormalizedPosition[][] = [];
          for (let at = 0, c = 0; at < all.length; c++) {
            const size = cuts[(c * 7) % cuts.length];
            requests.push(all.slice(at, at + size));
            at += size;
          }
          for (let i = 0; i < 10; i++) {
            const from = Math.floor(next() * all.length);
            requests.push(all.slice(from, from + 1 + Math.floor(next() * 5)));
          }
          const staged = await Promise.all(requests.map(stage));
          const deliveries = [...staged, ...staged.filter(() => next() < 0.2)];
          for (let i = deliveries.length - 1; i > 0; i--) {
            const j = Math.floor(next() * (i + 1));
            [deliveries[i], deliveries[j]] = [deliveries[j], deliveries[i]];
          }
          await Promise.all(deliveries.map(publish));
          await waitFor(async () => processed(staged.map((s) => s.id)), { timeoutMs: 60_000, what: 'shuffled' });
          // A redelivery still in a loop's hands commits nothing new, but let it finish.
          await waitFor(
            async () => Number((await redis.xpending(DEFAULT_STREAMS.stream, DEFAULT_STREAMS.group))[0]) === 0,
            { timeoutMs: 20_000, what: 'stream drained' },
          );

          for (const { ordered, shuffled, day } of twins) {
            const expected = await standing(ordered);
            const actual = await standing(shuffled);
            expect(actual).toEqual(expected);
            // Stamped at a fix: every geofence event at one of the vehicle's fixes, overspeed at its start.
            const at = await fixesAt(shuffled);
            expect(at.size).toBe(day.length);
            for (const e of actual) expect(at.has(e.ts)).toBe(true);
            seen.enter += expected.filter((e) => e.type === 'geofence_enter').length;
            seen.exit += expected.filter((e) => e.type === 'geofence_exit').length;
            seen.overspeed += expected.filter((e) => e.type === 'overspeed').length;
            seen.retracted += Number(
              (
                await pool.query(
                  'SELECT count(*) AS n FROM events WHERE vehicle_id = $1 AND retracted_at IS NOT NULL',
                  [shuffled],
                )
              ).rows[0].n,
            );
          }
        },
      ),
      { numRuns: 4, endOnFailure: true },
    );
    // The days did exercise every rule, and the shuffles did make the detector correct itself.
    expect(seen.enter).toBeGreaterThan(10);
    expect(seen.exit).toBeGreaterThan(10);
    expect(seen.overspeed).toBeGreaterThan(4);
    expect(seen.retracted).toBeGreaterThan(0);
    // Both processes wrote, and both met late fixes.
    for (const port of ports) {
      expect(await metric(port, 'positions_stored_total')).toBeGreaterThan(0);
      expect(await metric(port, 'events_late_fixes_total')).toBeGreaterThan(0);
    }
    expect(Date.now() - started).toBeLessThan(90_000);
  });
});
