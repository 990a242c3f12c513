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
