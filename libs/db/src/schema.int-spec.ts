import { eq, sql } from 'drizzle-orm';
import { createDb, createPool, ensurePositionPartitions, schema, type Database, type Pool } from './index';
import { pointSql } from './postgis';
import { createTestDatabase, type TestDatabase } from './testing';

let testDb: TestDatabase;
let pool: Pool;
let db: Database;

beforeAll(async () => {
  testDb = await createTestDatabase('db-schema');
  pool = createPool({ url: testDb.url, max: 2 });
  db = createDb(pool);
});

afterAll(async () => {
  await pool.end();
  await testDb.drop();
});

async function makeVehicle(identifier: string) {
  const [org] = await db
    .insert(schema.organizations)
    .values({ name: 'Org', slug: `org-${identifier}` })
    .returning();
  const [vehicle] = await db
    .insert(schema.vehicles)
    .values({ organizationId: org.id, name: 'Van 1', deviceIdentifier: identifier })
    .returning();
  return { org, vehicle };
}

describe('database schema', () => {
  it('has PostGIS and a positions table partitioned by month with a GiST index', async () => {
    const postgis = await pool.query('SELECT postgis_version() AS v');
    expect(postgis.rows[0].v).toMatch(/^3\./);
    const parts = await pool.query<{ name: string }>(
      "SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'positions'::regclass ORDER BY 1",
    );
    const names = parts.rows.map((r) => r.name);
    const now = new Date();
    const thisMonth = `positions_y${now.getUTCFullYear()}m${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
    expect(names).toContain(thisMonth);
    expect(names).toContain('positions_default');
    const gist = await pool.query(
      "SELECT indexdef FROM pg_indexes WHERE tablename = 'positions' AND indexdef ILIKE '%gist%'",
    );
    expect(gist.rowCount).toBe(1);
  });

  it('compresses staged payloads with lz4 where the server has it', async () => {
    const lz4 = await pool.query(
      "SELECT 'lz4' = ANY (enumvals) AS ok FROM pg_settings WHERE name = 'default_toast_compression'",
    );
    const column = await pool.query(
      "SELECT attcompression AS c FROM pg_attribute WHERE attrelid = 'ingest_staging'::regclass AND attname = 'payload'",
    );
    expect(column.rows[0].c).toBe(lz4.rows[0].ok ? 'l' : '');
    // Debian's and the official images' PostgreSQL 15 are built with lz4: this checks the real path here.
    expect(lz4.rows[0].ok).toBe(true);
  });

  it('stores a position with its point and refuses a second fix of the same vehicle at the same instant', async () => {
    const { vehicle } = await makeVehicle('dup-test');
    const ts = new Date();
    await db
      .insert(schema.positions)
      .values({ vehicleId: vehicle.id, ts, point: { lat: 40.4168, lon: -3.7038 }, speedKmh: 42 });
    const again = await db
      .insert(schema.positions)
      .values({ vehicleId: vehicle.id, ts, point: { lat: 1, lon: 1 } })
      .onConflictDoNothing()
      .returning();
    expect(again).toHaveLength(0);
    const [row] = await db.select().from(schema.positions).where(eq(schema.positions.vehicleId, vehicle.id));
    expect(row.point.lat).toBeCloseTo(40.4168, 6);
    expect(row.point.lon).toBeCloseTo(-3.7038, 6);
    expect(row.speedKmh).toBe(42);
  });

  it('moves fixes out of the default partition when the partition for their month is created later', async () => {
    const { vehicle } = await makeVehicle('old-import');
    const old = new Date(Date.UTC(2019, 4, 17, 8, 30));
    await pool.query(
      `INSERT INTO positions (vehicle_id, ts, point) VALUES ($1, $2, ${'ST_SetSRID(ST_MakePoint(2.17, 41.38), 4326)'})`,
      [vehicle.id, old],
    );
    const before = await pool.query('SELECT tableoid::regclass::text AS part FROM positions WHERE vehicle_id = $1', [
      vehicle.id,
    ]);
    expect(before.rows[0].part).toBe('positions_default');
    const created = await pool.query("SELECT ensure_position_partitions('2019-05-01T00:00:00Z', 1) AS n");
    expect(created.rows[0].n).toBe(1);
    const after = await pool.query('SELECT tableoid::regclass::text AS part FROM positions WHERE vehicle_id = $1', [
      vehicle.id,
    ]);
    expect(after.rows).toEqual([{ part: 'positions_y2019m05' }]);
    // Running the maintenance again creates nothing new.
    const again = await pool.query("SELECT ensure_position_partitions('2019-05-01T00:00:00Z', 1) AS n");
    expect(again.rows[0].n).toBe(0);
    expect(await ensurePositionPartitions(pool, { monthsAhead: 1 })).toBeGreaterThanOrEqual(0);
  });

  it('records an event only once per natural key, even without a geofence', async () => {
    const { org, vehicle } = await makeVehicle('events-test');
    const ts = new Date();
    const event = { organizationId: org.id, vehicleId: vehicle.id, type: 'overspeed', ts };
    await db.insert(schema.events).values(event).onConflictDoNothing();
    await db.insert(schema.events).values(event).onConflictDoNothing();
    const rows = await db.select().from(schema.events).where(eq(schema.events.vehicleId, vehicle.id));
    expect(rows).toHaveLength(1);
  });

  it('finds the nearest vehicle state with a KNN query', async () => {
    const a = await makeVehicle('knn-a');
    const b = await makeVehicle('knn-b');
    const ts = new Date();
    await db.insert(schema.vehicleState).values([
      { vehicleId: a.vehicle.id, organizationId: a.org.id, ts, point: { lat: 40.0, lon: -3.0 } },
      { vehicleId: b.vehicle.id, organizationId: b.org.id, ts, point: { lat: 41.0, lon: 2.0 } },
    ]);
    const res = await db.execute<{ vehicle_id: string }>(
      sql`SELECT vehicle_id FROM vehicle_state ORDER BY point <-> ${pointSql({ lat: 41.38, lon: 2.17 })} LIMIT 1`,
    );
    expect(res.rows[0].vehicle_id).toBe(b.vehicle.id);
  });
});
