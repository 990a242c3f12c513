/**
 * The data set of `nx run tools:bench-queries`, generated once into its own database and reused by
 * later runs (a marker row records what was generated; a different spec regenerates from scratch).
 *
 * Set-based: every INSERT is one `generate_series` statement per chunk, computed by PostgreSQL, never
 * a row at a time from Node. Shape:
 * - one organization, one admin user, `vehicles` vehicles;
 * - vehicle 0 reports at 1 Hz for `days1Hz` days ending at the anchor time (2,592,000 fixes for 30
 *   days): 20 minutes of driving along a winding curve, then 10 minutes parked, with ~2 m GPS jitter;
 * - every other vehicle reports every 30 s, the same drive/park rhythm around its own spot in a
 *   1°×1° box around Madrid, as many fixes as it takes to reach `positions` in total;
 * - vehicle_state holds each vehicle's last fix; every tenth vehicle stopped reporting two hours
 *   before the anchor (offline).
 *
 * Rows of one vehicle are stored together, as batched uploads (trackers and phones at 1 Hz send
 * batches, which the worker inserts in one statement) would store them.
 */
import { hashPassword } from '@fleet/auth';
import { dropDatabase, ensureDatabase, runMigrations } from '@fleet/db';
import pg from 'pg';

export interface BenchDataSpec {
  vehicles: number;
  positions: number;
  days1Hz: number;
}

export interface BenchData {
  organizationId: string;
  email: string;
  password: string;
  /** The 1 Hz vehicle. */
  fastVehicleId: string;
  /** Time of the last fix of the 1 Hz vehicle. */
  anchor: Date;
  positions: number;
}

const SPEC_VERSION = 1;
const EMAIL = 'bench@queries.example';
const PASSWORD = 'bench-queries-password';
const OTHER_INTERVAL_S = 30;

// The track as a function of `u`, the seconds driven so far (parks freeze u). Degrees; the
// derivatives give speed and heading. The same curve, scaled, serves every vehicle.
const curve = (u: string, scale: string, lat0: string, lon0: string) => ({
  lat: `(${lat0} + ${scale} * (0.08 * sin(${u} / 2700.0) + 0.03 * sin(${u} / 388.5)))`,
  lon: `(${lon0} + ${scale} * (0.10 * sin(${u} / 3650.0 + 1) + 0.03 * cos(${u} / 456.5)))`,
  dlat: `(${scale} * (0.08 / 2700.0 * cos(${u} / 2700.0) + 0.03 / 388.5 * cos(${u} / 388.5)))`,
  dlon: `(${scale} * (0.10 / 3650.0 * cos(${u} / 3650.0 + 1) - 0.03 / 456.5 * sin(${u} / 456.5)))`,
});

/** The SELECT producing positions for (vehicle_id, t) rows of `source`, t in seconds since the series start. */
function positionsSelect(source: string, scale: string, lat0: string, lon0: string): string {
  const c = curve('u', scale, lat0, lon0);
  return `
SELECT vehicle_id, ts,
       ST_SetSRID(ST_MakePoint(lon + (random() - 0.5) * 0.00004, lat + (random() - 0.5) * 0.00003), 4326),
       CASE WHEN driving THEN (3.6 * sqrt((dlat * 111320) ^ 2 + (dlon * 111320 * cos(radians(lat))) ^ 2))::real ELSE 0 END,
       CASE WHEN driving THEN ((degrees(atan2(dlon * cos(radians(lat)), dlat)) + 360)::numeric % 360)::real END,
       650 + 20 * sin(u / 1000.0), 5, 100 - (t % 86400) / 1440.0, 'bench'
  FROM (SELECT vehicle_id, ts, t, u, driving, ${c.lat} AS lat, ${c.lon} AS lon, ${c.dlat} AS dlat, ${c.dlon} AS dlon
          FROM (SELECT s.*, (t - t % 1800) + least(t % 1800, 1200) AS u, (t % 1800) < 1200 AS driving
                  FROM (${source}) s) a) b`;
}

const INSERT =
  'INSERT INTO positions (vehicle_id, ts, point, speed_kmh, heading, altitude, accuracy, battery, protocol)';

export async function ensureBenchData(
  dbUrl: string,
  spec: BenchDataSpec,
  log: (line: string) => void,
): Promise<BenchData> {
  const wanted = { version: SPEC_VERSION, ...spec };
  await ensureDatabase(dbUrl);
  let pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  try {
    const done = await pool
      .query<{ value: { spec: typeof wanted; data: BenchData } }>("SELECT value FROM bench_meta WHERE key = 'done'")
      .catch(() => ({ rows: [] }));
    const found = done.rows[0]?.value;
    // jsonb keeps its own key order: compare field by field.
    const same = found && Object.entries(wanted).every(([k, value]) => found.spec[k as keyof typeof wanted] === value);
    if (found && same) {
      log(`data: reusing ${found.data.positions.toLocaleString('en-US')} positions generated earlier`);
      return { ...found.data, anchor: new Date(found.data.anchor) };
    }
  } finally {
    await pool.end();
  }

  log('data: generating (first run, or the spec changed)…');
  await dropDatabase(dbUrl);
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const started = Date.now();
  try {
    await pool.query('CREATE TABLE bench_meta (key text PRIMARY KEY, value jsonb NOT NULL)');
    const anchor = new Date(Math.floor(Date.now() / 1000) * 1000);
    const org = await pool.query<{ id: string }>(
      "INSERT INTO organizations (name, slug) VALUES ('Bench queries', 'bench-queries') RETURNING id",
    );
    const organizationId = org.rows[0].id;
    await pool.query(
      "INSERT INTO users (organization_id, email, name, role, password_hash) VALUES ($1, $2, 'Bench', 'admin', $3)",
      [organizationId, EMAIL, await hashPassword(PASSWORD)],
    );
    await pool.query(
      `INSERT INTO vehicles (organization_id, name, device_identifier, attributes)
       SELECT $1, 'Bench ' || lpad(i::text, 4, '0'), 'bench-q-' || i, jsonb_build_object('bench', i)
         FROM generate_series(0, $2::int - 1) i`,
      [organizationId, spec.vehicles],
    );
    const fast = await pool.query<{ id: string }>("SELECT id FROM vehicles WHERE attributes->>'bench' = '0'");
    const fastVehicleId = fast.rows[0].id;
    await pool.query('SELECT ensure_position_partitions($1::timestamptz, 4)', [
      new Date(anchor.getTime() - (spec.days1Hz + 2) * 86_400_000),
    ]);
    // Building the GiST index once at the end is several times faster than maintaining it per row.
    await pool.query('DROP INDEX IF EXISTS positions_point_gist');

    const fastCount = spec.days1Hz * 86_400;
    const first = new Date(anchor.getTime() - (fastCount - 1) * 1000);
    for (let day = 0; day < spec.days1Hz; day++) {
      await pool.query(
        `${INSERT} ${positionsSelect(
          `SELECT $1::uuid AS vehicle_id, t, $2::timestamptz + make_interval(secs => t) AS ts
             FROM generate_series($3::int, $4::int) t`,
          '1',
          '40.42',
          '-3.70',
        )}`,
        [fastVehicleId, first, day * 86_400, (day + 1) * 86_400 - 1],
      );
      log(`data: 1 Hz vehicle, day ${day + 1}/${spec.days1Hz} (${Math.round((Date.now() - started) / 1000)} s)`);
    }

    const others = spec.vehicles - 1;
    const perVehicle = Math.ceil((spec.positions - fastCount) / others);
    const chunk = 100;
    for (let lo = 1; lo <= others; lo += chunk) {
      const hi = Math.min(others, lo + chunk - 1);
      // Every tenth vehicle went offline two hours before the anchor; the others reported recently.
      await pool.query(
        `${INSERT} ${positionsSelect(
          `SELECT v.id AS vehicle_id, k * ${OTHER_INTERVAL_S} + i * 97 AS t,
                  $1::timestamptz - make_interval(secs => (CASE WHEN i % 10 = 0 THEN 7200 ELSE i % 60 END)
                                                          + ($4::int - 1 - k) * ${OTHER_INTERVAL_S}) AS ts,
                  i
             FROM (SELECT id, (attributes->>'bench')::int AS i FROM vehicles) v
             CROSS JOIN generate_series(0, $4::int - 1) k
            WHERE v.i BETWEEN $2 AND $3`,
          '0.3',
          '(40.0 + ((i * 7919) % 1000) / 1000.0)',
          '(-4.2 + ((i * 104729) % 1000) / 1000.0)',
        )}`,
        [anchor, lo, hi, perVehicle],
      );
      log(`data: vehicles ${lo}–${hi} of ${others} (${Math.round((Date.now() - started) / 1000)} s)`);
    }
    log('data: GiST index on positions.point…');
    await pool.query('CREATE INDEX positions_point_gist ON positions USING gist (point)');
    await pool.query(
      `INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh, heading, altitude, accuracy, battery)
       SELECT v.id, v.organization_id, p.ts, p.point, p.speed_kmh, p.heading, p.altitude, p.accuracy, p.battery
         FROM vehicles v
         CROSS JOIN LATERAL (SELECT * FROM positions WHERE vehicle_id = v.id ORDER BY ts DESC LIMIT 1) p`,
    );
    log('data: VACUUM ANALYZE…');
    await pool.query('VACUUM ANALYZE positions');
    await pool.query('VACUUM ANALYZE vehicle_state');
    const total = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM positions')).rows[0].n);
    const data: BenchData = {
      organizationId,
      email: EMAIL,
      password: PASSWORD,
      fastVehicleId,
      anchor,
      positions: total,
    };
    await pool.query("INSERT INTO bench_meta (key, value) VALUES ('done', $1)", [{ spec: wanted, data }]);
    log(`data: ${total.toLocaleString('en-US')} positions generated in ${Math.round((Date.now() - started) / 1000)} s`);
    return data;
  } finally {
    await pool.end();
  }
}
