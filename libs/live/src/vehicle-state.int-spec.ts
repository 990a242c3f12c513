import { createFleet, createTestDatabase, type TestDatabase, type TestVehicle } from '@fleet/db/testing';
import IORedis from 'ioredis';
import pg from 'pg';
import { latestKey, readLatest } from './live';
import { LIVE_POSITION_SQL, toLivePosition, VehicleStates, type VehicleStateRow } from './vehicle-state';
import { warmLatest } from './warm';

let testDb: TestDatabase;
let pool: pg.Pool;
let states: VehicleStates;
let fleet: TestVehicle[];
let other: TestVehicle[];
const prefix = `test:vehicle-state:${process.pid}:`;
const redis = new IORedis('redis://127.0.0.1:6379', { keyPrefix: prefix, lazyConnect: true });
const TS = new Date('2026-11-28T10:00:00.123Z');

async function setState(v: TestVehicle, fix: { lat: number; lon: number; speedKmh: number | null }) {
  await pool.query(
    `INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh, heading, altitude, accuracy, battery, attributes)
     VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326), $6, 90, 650.5, 4, 0.75, $7)`,
    [v.id, v.organizationId, TS, fix.lon, fix.lat, fix.speedKmh, JSON.stringify({ ignition: true })],
  );
}

beforeAll(async () => {
  testDb = await createTestDatabase('live-vehicle-state');
  pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  states = new VehicleStates(pool);
  fleet = await createFleet(testDb.url, { count: 3, slug: 'state-a' });
  other = await createFleet(testDb.url, { count: 1, slug: 'state-b' });
  await setState(fleet[0]!, { lat: 40.4168, lon: -3.7038, speedKmh: 42.5 });
  await setState(fleet[1]!, { lat: -33.8688, lon: 151.2093, speedKmh: null });
  await setState(other[0]!, { lat: 48.8566, lon: 2.3522, speedKmh: 0 });
  await redis.connect();
}, 60_000);

afterAll(async () => {
  await redis.del(latestKey(fleet[0]!.organizationId));
  redis.disconnect();
  await pool?.end();
  await testDb?.drop();
});

describe('VehicleStates (vehicle_state as LivePositions)', () => {
  it('reads every fix of one organization as the live map shows it, and none of another', async () => {
    const positions = await states.ofOrganization(fleet[0]!.organizationId);
    expect(positions.sort((a, b) => a.lat - b.lat)).toEqual([
      {
        vehicleId: fleet[1]!.id,
        ts: TS.toISOString(),
        lat: -33.8688,
        lon: 151.2093,
        speedKmh: null,
        heading: 90,
        altitude: 650.5,
        accuracy: 4,
        battery: 0.75,
        attributes: { ignition: true },
      },
      expect.objectContaining({ vehicleId: fleet[0]!.id, lat: 40.4168, lon: -3.7038, speedKmh: 42.5 }),
    ]);
  });

  it('reads one vehicle’s fix, or null before its first', async () => {
    expect(await states.ofVehicle(other[0]!.id)).toMatchObject({ lat: 48.8566, lon: 2.3522, speedKmh: 0 });
    expect(await states.ofVehicle(fleet[2]!.id)).toBeNull();
  });

  it('projects the same row for hand-written queries (LIVE_POSITION_SQL)', async () => {
    const { rows } = await pool.query<VehicleStateRow>(
      `SELECT ${LIVE_POSITION_SQL} FROM vehicle_state WHERE vehicle_state.vehicle_id = $1`,
      [fleet[1]!.id],
    );
    expect(rows.map(toLivePosition)).toEqual([await states.ofVehicle(fleet[1]!.id)]);
  });

  it('lists the organization’s vehicles, with a fix or not', async () => {
    expect(await states.vehicleIds(fleet[0]!.organizationId)).toEqual(new Set(fleet.map((v) => v.id)));
  });

  it('warms the hot cache with the same positions', async () => {
    const org = fleet[0]!.organizationId;
    expect(await warmLatest(states, redis, org)).toBe(2);
    const cached = await readLatest(redis, org);
    expect(cached?.sort((a, b) => a.lat - b.lat)).toEqual(
      (await states.ofOrganization(org)).sort((a, b) => a.lat - b.lat),
    );
  });
});
