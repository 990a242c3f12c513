import { hash } from '@node-rs/argon2';
import { createDb, createPool, schema } from '@fleet/db';
import { sql } from 'drizzle-orm';
import { DEMO, demoVehicles } from './demo-data';
import { GEOFENCES } from './madrid';
import { workingDay } from './tracks';

export interface SeedOptions {
  /** Days of history before the anchor day. */
  days?: number;
  /** Seconds between two fixes of a moving vehicle. */
  stepSeconds?: number;
}

export interface SeedResult {
  organizationId: string;
  vehicles: number;
  positions: number;
}

/**
 * `nx run db:seed`: the demo organization, its admin, 25 vehicles with a few days of positions
 * driven along central Madrid streets, geofences and the enter/exit events those tracks produce.
 * Idempotent: the history is anchored to the day of the first run (kept in the organization's
 * settings), and every insert skips what exists, so a second run changes nothing. Refused in
 * production, where no demo user may exist.
 */
export async function seed(url: string, options: SeedOptions = {}): Promise<SeedResult> {
  const days = options.days ?? 3;
  const step = options.stepSeconds ?? 15;
  const pool = createPool({ url, max: 2, applicationName: 'fleet-seed', statementTimeoutMs: 300_000 });
  const db = createDb(pool);
  try {
    const { org, vehicleIds } = await db.transaction(async (tx) => {
      const [org] = await tx
        .insert(schema.organizations)
        .values({
          name: DEMO.organization,
          slug: DEMO.slug,
          settings: { demoAnchor: new Date().toISOString().slice(0, 10) },
        })
        .onConflictDoUpdate({ target: schema.organizations.slug, set: { name: DEMO.organization } })
        .returning();
      const existing = await tx.execute<{ id: string }>(
        sql`SELECT id FROM users WHERE lower(email) = lower(${DEMO.email})`,
      );
      if (existing.rows.length === 0) {
        await tx.insert(schema.users).values({
          organizationId: org.id,
          email: DEMO.email,
          name: 'Demo Admin',
          role: 'admin',
          passwordHash: await hash(DEMO.password),
        });
      }
      const fleet = demoVehicles().map((v) => ({ ...v, organizationId: org.id }));
      await tx.insert(schema.vehicles).values(fleet).onConflictDoNothing({ target: schema.vehicles.deviceIdentifier });
      const ids = await tx.execute<{ id: string; device_identifier: string }>(
        sql`SELECT id, device_identifier FROM vehicles WHERE organization_id = ${org.id} AND device_identifier LIKE 'demo-%' ORDER BY device_identifier`,
      );
      return { org, vehicleIds: ids.rows.map((r) => r.id) };
    });

    let anchorDay = (org.settings as { demoAnchor?: string }).demoAnchor;
    if (!anchorDay) {
      // An organization seeded before anchors existed: fix its anchor now, once.
      anchorDay = new Date().toISOString().slice(0, 10);
      await pool.query(
        `UPDATE organizations SET settings = settings || jsonb_build_object('demoAnchor', $2::text) WHERE id = $1`,
        [org.id, anchorDay],
      );
    }
    const anchor = Date.parse(`${anchorDay}T00:00:00Z`);
    const first = anchor - days * 86_400_000;
    await pool.query('SELECT ensure_position_partitions($1, $2)', [new Date(first), Math.ceil(days / 28) + 2]);
    let positions = 0;
    for (let i = 0; i < vehicleIds.length; i++) {
      for (let d = 0; d < days; d++) {
        const fixes = workingDay(i, first + d * 86_400_000, step);
        positions += fixes.length;
        await pool.query(
          `INSERT INTO positions (vehicle_id, ts, point, speed_kmh, heading, accuracy, protocol)
           SELECT $1, timestamptz 'epoch' + t.ts * interval '1 millisecond', ST_SetSRID(ST_MakePoint(t.lon, t.lat), 4326), t.speed, t.heading, 8, 'seed'
             FROM unnest($2::bigint[], $3::float8[], $4::float8[], $5::real[], $6::real[]) AS t(ts, lat, lon, speed, heading)
           ON CONFLICT DO NOTHING`,
          [
            vehicleIds[i],
            fixes.map((f) => f.ts),
            fixes.map((f) => f.lat),
            fixes.map((f) => f.lon),
            fixes.map((f) => f.speedKmh),
            fixes.map((f) => f.heading),
          ],
        );
      }
    }
    // The latest fix of each demo vehicle, as the worker would have left it.
    await pool.query(
      `INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh, heading, accuracy)
       SELECT DISTINCT ON (p.vehicle_id) p.vehicle_id, $1, p.ts, p.point, p.speed_kmh, p.heading, p.accuracy
         FROM positions p WHERE p.vehicle_id = ANY($2::uuid[]) ORDER BY p.vehicle_id, p.ts DESC
       ON CONFLICT (vehicle_id) DO UPDATE SET ts = EXCLUDED.ts, point = EXCLUDED.point, speed_kmh = EXCLUDED.speed_kmh,
         heading = EXCLUDED.heading, accuracy = EXCLUDED.accuracy, updated_at = now()
       WHERE vehicle_state.ts < EXCLUDED.ts`,
      [org.id, vehicleIds],
    );
    // Their odometer and engine hours, as the worker would have counted them: a used fleet's reading
    // (18,000–58,000 km) plus the seeded days' distance, and the time spent moving between fixes.
    await pool.query(
      `WITH steps AS (
         SELECT vehicle_id, ts, point, speed_kmh,
                lag(point) OVER w AS prev, lag(ts) OVER w AS prev_ts, lag(speed_kmh) OVER w AS prev_speed
           FROM positions WHERE vehicle_id = ANY($1::uuid[])
         WINDOW w AS (PARTITION BY vehicle_id ORDER BY ts)
       )
       INSERT INTO vehicle_counters (vehicle_id, ts, lat, lon, ignition, odometer_km, engine_seconds)
       SELECT vehicle_id, max(ts),
              (array_agg(ST_Y(point) ORDER BY ts DESC))[1], (array_agg(ST_X(point) ORDER BY ts DESC))[1], false,
              18000 + abs(hashtext(vehicle_id::text)) % 40000
                + coalesce(sum(ST_Distance(prev::geography, point::geography)), 0) / 1000,
              coalesce(sum(extract(epoch FROM ts - prev_ts)) FILTER (WHERE prev_speed > 0 AND ts - prev_ts < interval '10 minutes'), 0)
         FROM steps GROUP BY vehicle_id
       ON CONFLICT (vehicle_id) DO NOTHING`,
      [vehicleIds],
    );
    // Two depots in a region, the fleet split between them, and a service rule for the whole fleet.
    const group = async (name: string, parent: string | null): Promise<string> => {
      const found = await pool.query<{ id: string }>(
        'SELECT id FROM vehicle_groups WHERE organization_id = $1 AND parent_id IS NOT DISTINCT FROM $2 AND name = $3',
        [org.id, parent, name],
      );
      if (found.rows[0]) return found.rows[0].id;
      return (
        await pool.query<{ id: string }>(
          'INSERT INTO vehicle_groups (organization_id, parent_id, name) VALUES ($1, $2, $3) RETURNING id',
          [org.id, parent, name],
        )
      ).rows[0].id;
    };
    const region = await group('Madrid', null);
    const depots = [await group('Depot Norte', region), await group('Depot Sur', region)];
    await pool.query(
      `UPDATE vehicles v SET group_id = ($2::uuid[])[1 + (x.n % 2)]
         FROM (SELECT id, row_number() OVER (ORDER BY device_identifier) AS n FROM vehicles WHERE id = ANY($1::uuid[])) x
        WHERE v.id = x.id AND v.group_id IS NULL`,
      [vehicleIds, depots],
    );
    await pool.query(
      `INSERT INTO maintenance_rules (organization_id, name, every_km, every_months, notify_before_km, notify_before_days)
       SELECT $1, 'Oil and filters', 15000, 12, 1000, 14
        WHERE NOT EXISTS (SELECT 1 FROM maintenance_rules WHERE organization_id = $1)`,
      [org.id],
    );
    // Each vehicle's last service under it, 0–16,000 km ago, so some are due and most are not.
    await pool.query(
      `INSERT INTO maintenance_records (organization_id, vehicle_id, rule_id, done_at, odometer_km, engine_hours, note)
       SELECT $1, c.vehicle_id, r.id, now() - (abs(hashtext(c.vehicle_id::text || 'days')) % 300) * interval '1 day',
              c.odometer_km - abs(hashtext(c.vehicle_id::text || 'km')) % 16000, round(c.engine_seconds / 3600), 'Seeded'
         FROM vehicle_counters c
         JOIN maintenance_rules r ON r.organization_id = $1 AND r.name = 'Oil and filters'
        WHERE c.vehicle_id = ANY($2::uuid[])
          AND NOT EXISTS (SELECT 1 FROM maintenance_records m WHERE m.vehicle_id = c.vehicle_id)`,
      [org.id, vehicleIds],
    );
    for (const g of GEOFENCES) {
      const exists = await pool.query('SELECT 1 FROM geofences WHERE organization_id = $1 AND name = $2', [
        org.id,
        g.name,
      ]);
      if (exists.rowCount) continue;
      if (g.kind === 'polygon') {
        const wkt = `POLYGON((${g.ring.map(([lat, lon]) => `${lon} ${lat}`).join(', ')}))`;
        await pool.query(
          `INSERT INTO geofences (organization_id, name, kind, area) VALUES ($1, $2, 'polygon', ST_GeomFromText($3, 4326))`,
          [org.id, g.name, wkt],
        );
      } else {
        await pool.query(
          `INSERT INTO geofences (organization_id, name, kind, area, center, radius_m)
           VALUES ($1, $2, 'circle', ST_Buffer(ST_SetSRID(ST_MakePoint($4, $3), 4326)::geography, $5)::geometry,
                   ST_SetSRID(ST_MakePoint($4, $3), 4326), $5)`,
          [org.id, g.name, g.center[0], g.center[1], g.radiusM],
        );
      }
    }
    // Enter and exit events: where consecutive fixes of a vehicle fall on different sides of a fence.
    await pool.query(
      `WITH fixes AS (
         SELECT p.vehicle_id, p.ts, p.point, g.id AS geofence_id, ST_Intersects(p.point, g.area) AS inside
           FROM positions p JOIN geofences g ON g.organization_id = $1
          WHERE p.vehicle_id = ANY($2::uuid[]) AND p.ts >= $3
       ), changes AS (
         SELECT *, lag(inside) OVER (PARTITION BY vehicle_id, geofence_id ORDER BY ts) AS was FROM fixes
       )
       INSERT INTO events (organization_id, vehicle_id, type, ts, geofence_id, point)
       SELECT $1, vehicle_id, CASE WHEN inside THEN 'geofence_enter' ELSE 'geofence_exit' END, ts, geofence_id, point
         FROM changes WHERE was IS NOT NULL AND was <> inside
       ON CONFLICT DO NOTHING`,
      [org.id, vehicleIds, new Date(first)],
    );
    return { organizationId: org.id, vehicles: vehicleIds.length, positions };
  } finally {
    await pool.end();
  }
}

async function main() {
  if (process.env['APP_ENV'] === 'production') {
    console.error('seed: refused: APP_ENV=production must never contain demo users or demo data');
    process.exit(1);
  }
  const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/fleet';
  const result = await seed(url);
  console.log(
    `seed: organization "${DEMO.organization}", ${result.vehicles} vehicles, ${result.positions} positions of history; login ${DEMO.email} / ${DEMO.password}`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`seed failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
