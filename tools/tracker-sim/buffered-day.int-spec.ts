// A tracker that was out of coverage uploads its day's buffer in one go (in packets, oldest first or
// newest first) after the gap; its twin delivered the same day in real time, record by record. Both
// drive through polygon and circle geofences and above the speed limit: the events of the buffered
// upload must be exactly those of real-time delivery (type, geofence and the fix they are stamped at).
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { destination, seededRandom } from '@fleet/geo';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { imeiOf, SimulatedTracker, type SimProtocol, type SimRecord } from './sim';
import { createTrackers, listenerPorts, PROTOCOLS as protocols, startService, type Service } from './testing';

const CENTER = { lat: 40.4, lon: -3.7 };
const FIXES = 240;

/** A day around CENTER, one fix every 10 s, steered back so that it keeps crossing the fences. */
function day(seed: number, t0: number): SimRecord[] {
  const random = seededRandom(seed);
  let here = destination(CENTER, random() * 360, random() * 1_500);
  let bearing = random() * 360;
  let fast = false;
  const out: SimRecord[] = [];
  for (let i = 0; i < FIXES; i++) {
    if (random() < 0.1) fast = !fast;
    const speedKmh = Math.round(fast ? 95 + random() * 30 : 20 + random() * 50);
    const away = Math.hypot((here.lat - CENTER.lat) * 111_000, (here.lon - CENTER.lon) * 85_000);
    if (away > 1_800) {
      const home = (Math.atan2((CENTER.lon - here.lon) * 85_000, (CENTER.lat - here.lat) * 111_000) * 180) / Math.PI;
      bearing = home + (random() - 0.5) * 60;
    } else bearing += (random() - 0.5) * 50;
    here = destination(here, bearing, (speedKmh / 3.6) * 10);
    out.push({ ts: t0 + i * 10_000, lat: here.lat, lon: here.lon, speedKmh, heading: ((bearing % 360) + 360) % 360 });
  }
  return out;
}

describe('a day buffered on the tracker gives the events of real-time delivery', () => {
  jest.setTimeout(240_000);
  const prefix = `test:tracker-buffered:${process.pid}:`;
  let testDb: TestDatabase;
  let pool: pg.Pool;
  const services: Service[] = [];
  let ports: Record<SimProtocol, number>;
  const start = async (file: string, env: Record<string, string>, portVar: string) =>
    services.push(
      await startService(
        file,
        { LOG_LEVEL: 'error', DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix, ...env },
        portVar,
      ),
    );

  beforeAll(async () => {
    testDb = await createTestDatabase('tracker-buffered');
    pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
    const { organizationId: org } = await createTrackers(testDb.url, {
      slug: 'buffered',
      count: protocols.length * 3 * 2,
      imeiPrefix: '35500000',
      speedLimitKmh: 90,
    });
    for (const wkt of [
      'POLYGON((-3.712 40.392, -3.700 40.392, -3.700 40.401, -3.712 40.401, -3.712 40.392))',
      'POLYGON((-3.698 40.402, -3.684 40.402, -3.684 40.412, -3.690 40.412, -3.690 40.406, -3.698 40.406, -3.698 40.402))',
    ])
      await pool.query(
        "INSERT INTO geofences (organization_id, name, kind, area) VALUES ($1, 'P', 'polygon', ST_GeomFromText($2, 4326))",
        [org, wkt],
      );
    await pool.query(
      `INSERT INTO geofences (organization_id, name, kind, area, center, radius_m)
       VALUES ($1, 'C', 'circle', ST_Buffer(ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326)::geography, 450, 'quad_segs=16')::geometry,
               ST_SetSRID(ST_MakePoint(-3.7, 40.4), 4326), 450)`,
      [org],
    );
    const listeners = await listenerPorts();
    ports = listeners.ports;
    await start('apps/trackers/src/main.ts', { TRACKER_WORKERS: '1', ...listeners.env }, 'PORT');
    await start(
      'apps/worker/src/main.ts',
      {
        INGEST_BLOCK_MS: '50',
        OVERSPEED_MIN_SECONDS: '30',
        // The offline rule follows arrival, not the timeline: kept out of the way.
        DEVICE_OFFLINE_MINUTES: String(7 * 24 * 60),
      },
      'METRICS_PORT',
    );
  });

  afterAll(async () => {
    for (const s of services) await s.stop();
    await pool?.end();
    await testDb?.drop();
  });

  it('for every protocol, oldest first and newest first', async () => {
    const t0 = Math.floor((Date.now() - 26 * 3600_000) / 1000) * 1000;
    const twins: Array<{ live: SimulatedTracker; buffered: SimulatedTracker; label: string }> = [];
    let n = 0;
    for (const protocol of protocols)
      for (const [seed, order] of [
        [1, 'oldest first'],
        [2, 'newest first'],
        [3, 'oldest first'],
      ] as const) {
        const records = day(seed * 100 + protocols.indexOf(protocol), t0);
        const device = (perFrame: number) =>
          new SimulatedTracker({
            host: '127.0.0.1',
            port: ports[protocol],
            protocol,
            imei: imeiOf('35500000', ++n),
            perFrame,
          });
        // Real time: one record per packet, each acknowledged before the next (as a tracker in coverage).
        const live = device(1);
        live.add(records);
        // After the gap: the whole day at once, in packets of 10 where the protocol has packets.
        const buffered = device(10);
        buffered.add(order === 'newest first' ? [...records].reverse() : records);
        twins.push({ live, buffered, label: `${protocol} ${order} (seed ${seed})` });
      }
    // The real-time twins first, one record at a time; the buffered ones only once those are stored.
    await Promise.all(twins.map((t) => t.live.run(Date.now() + 180_000)));
    const stored = async () => Number((await pool.query('SELECT count(*) AS n FROM positions')).rows[0].n);
    await waitFor(async () => (await stored()) === twins.length * FIXES, {
      timeoutMs: 60_000,
      what: 'live days stored',
    });
    await Promise.all(twins.map((t) => t.buffered.run(Date.now() + 120_000)));
    await waitFor(async () => (await stored()) === 2 * twins.length * FIXES, {
      timeoutMs: 60_000,
      what: 'buffered days stored',
    });
    const events = async (imei: string) =>
      (
        await pool.query<{ type: string; ts: Date; geofence_id: string | null }>(
          `SELECT e.type, e.ts, e.geofence_id FROM events e JOIN vehicles v ON v.id = e.vehicle_id
            WHERE v.device_identifier = $1 AND e.retracted_at IS NULL
              AND e.type NOT IN ('device_offline', 'device_online')
            ORDER BY e.ts, e.type, e.geofence_id`,
          [imei],
        )
      ).rows.map((r) => `${r.ts.toISOString()} ${r.type} ${r.geofence_id ?? ''}`);
    // Events (and retractions of those a late fix disproves) are written with the positions'
    // transaction; give a straggler batch a moment.
    await new Promise((r) => setTimeout(r, 1_000));
    let total = 0;
    for (const { live, buffered, label } of twins) {
      const expected = await events(live.options.imei);
      total += expected.length;
      expect({ label, events: await events(buffered.options.imei) }).toEqual({ label, events: expected });
    }
    // The days do cross the fences and the limit: the comparison is not between two empty lists.
    expect(total).toBeGreaterThan(twins.length * 4);
    const kinds = await pool.query<{ type: string }>('SELECT DISTINCT type FROM events ORDER BY type');
    expect(kinds.rows.map((r) => r.type)).toEqual(
      expect.arrayContaining(['geofence_enter', 'geofence_exit', 'overspeed']),
    );
  });
});
