import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { runSource } from '@fleet/runtime/testing';
import { verify } from '@node-rs/argon2';
import pg from 'pg';
import { DEMO } from './demo-data';
import { seed } from './main';

const TABLES = [
  'organizations',
  'users',
  'vehicles',
  'positions',
  'vehicle_state',
  'geofences',
  'events',
  'vehicle_counters',
  'vehicle_groups',
  'maintenance_rules',
  'maintenance_records',
];

async function counts(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, number> = {};
    for (const table of TABLES)
      out[table] = Number((await client.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
    return out;
  } finally {
    await client.end();
  }
}

describe('demo seed', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase('seed');
  });
  afterAll(() => testDb.drop());

  it('creates the demo organization, user, 25 vehicles with days of positions, geofences and events; a second run changes nothing', async () => {
    const result = await seed(testDb.url);
    const first = await counts(testDb.url);
    expect(first).toMatchObject({
      organizations: 1,
      users: 1,
      vehicles: 25,
      vehicle_state: 25,
      geofences: 3,
      vehicle_counters: 25,
      vehicle_groups: 3,
      maintenance_rules: 1,
      maintenance_records: 25,
    });
    expect(first['positions']).toBe(result.positions);
    expect(first['positions']).toBeGreaterThan(100_000);
    expect(first['events']).toBeGreaterThan(0);
    await seed(testDb.url);
    expect(await counts(testDb.url)).toEqual(first);
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    const user = await client.query('SELECT password_hash, role FROM users WHERE email = $1', [DEMO.email]);
    await client.end();
    expect(user.rows[0].role).toBe('admin');
    // Every vehicle in a depot, with an odometer of a used fleet and hours driven.
    const fleet = new pg.Client({ connectionString: testDb.url });
    await fleet.connect();
    const depots = await fleet.query(
      `SELECT g.name, count(*)::int AS n, min(c.odometer_km) AS km, min(c.engine_seconds) AS s
         FROM vehicles v JOIN vehicle_groups g ON g.id = v.group_id JOIN vehicle_counters c ON c.vehicle_id = v.id
        GROUP BY g.name ORDER BY g.name`,
    );
    await fleet.end();
    expect(depots.rows.map((r) => [r.name, r.n])).toEqual([
      ['Depot Norte', 12],
      ['Depot Sur', 13],
    ]);
    for (const r of depots.rows) {
      expect(r.km).toBeGreaterThan(18_000);
      expect(r.s).toBeGreaterThan(3_600);
    }
    expect(await verify(user.rows[0].password_hash, DEMO.password)).toBe(true);
  });

  it('refuses to run with APP_ENV=production and changes nothing', async () => {
    const other = await createTestDatabase('seed-prod');
    try {
      const run = runSource('tools/seed/main.ts', { APP_ENV: 'production', DATABASE_URL: other.url });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/production/);
      expect(Object.values(await counts(other.url)).every((n) => n === 0)).toBe(true);
    } finally {
      await other.drop();
    }
  });
});

describe('demo tracks', () => {
  it('drive along the street network at city speeds, inside Madrid', async () => {
    const { workingDay } = await import('./tracks');
    const fixes = workingDay(3, Date.UTC(2026, 0, 12), 15);
    expect(fixes.length).toBeGreaterThan(1500);
    for (const f of fixes) {
      expect(f.lat).toBeGreaterThan(40.39);
      expect(f.lat).toBeLessThan(40.48);
      expect(f.lon).toBeGreaterThan(-3.73);
      expect(f.lon).toBeLessThan(-3.65);
      expect(f.speedKmh).toBeLessThan(70);
    }
    expect(new Set(fixes.map((f) => f.ts)).size).toBe(fixes.length);
    expect(workingDay(3, Date.UTC(2026, 0, 12), 15)).toEqual(fixes);
  });
});
