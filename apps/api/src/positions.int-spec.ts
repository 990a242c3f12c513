import { ErrorBody, LatestPositions, NearestList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { distanceM } from '@fleet/geo';
import { latestKey, updateLatest, WARM_FIELD } from '@fleet/live';
import { createRedis, type Redis } from '@fleet/runtime';
import { startOwnRedis } from '@fleet/runtime/testing';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';
import { addVehicle, createOrganization, login, setState } from './testing/tracking-fixtures';

const prefix = `test:positions:${process.pid}:`;
let testDb: TestDatabase;
let t: StartedApi;
let redis: Redis;
let db: pg.Client;
const now = Date.now();
const org: Record<string, string> = {};
const token: Record<string, string> = {};
const v: Record<string, string> = {};

const MADRID = { lat: 40.4168, lon: -3.7038 };
// Near 60°N a degree of longitude is half a degree of latitude: the planar (degree) order of the
// index and the geodesic order disagree. East is ~1.0 km away, North ~1.3 km.
const P = { lat: 60, lon: 25 };
const EAST = { lat: 60, lon: 25.018 };
const NORTH = { lat: 60.012, lon: 25 };
const FAR = { lat: 60.1, lon: 25.1 };

beforeAll(async () => {
  testDb = await createTestDatabase('api-positions');
  db = new pg.Client({ connectionString: testDb.url });
  await db.connect();
  const a = await createOrganization(db, 'pos-a');
  const n = await createOrganization(db, 'pos-n');
  const b = await createOrganization(db, 'pos-b');
  Object.assign(org, { a: a.id, n: n.id, b: b.id });
  v['alpha'] = await addVehicle(db, a.id, 'Alpha');
  v['bravo'] = await addVehicle(db, a.id, 'Bravo');
  v['charlie'] = await addVehicle(db, a.id, 'Charlie');
  v['delta'] = await addVehicle(db, a.id, 'Delta'); // never reported: not on the map
  await setState(db, a.id, v['alpha'], {
    ts: new Date(now - 5_000),
    ...MADRID,
    speedKmh: 42,
    heading: 90,
    battery: 81,
  });
  await setState(db, a.id, v['bravo'], { ts: new Date(now - 180_000), lat: 40.45, lon: -3.69, speedKmh: 1.5 });
  await setState(db, a.id, v['charlie'], { ts: new Date(now - 7_200_000), lat: 41.38, lon: 2.17, speedKmh: 50 });
  v['east'] = await addVehicle(db, n.id, 'East');
  v['north'] = await addVehicle(db, n.id, 'North');
  v['far'] = await addVehicle(db, n.id, 'Far');
  for (const [name, at] of [
    ['east', EAST],
    ['north', NORTH],
    ['far', FAR],
  ] as const)
    await setState(db, n.id, v[name]!, { ts: new Date(now - 1_000), ...at, speedKmh: 0 });
  // Organization B has a vehicle exactly at P and one beside Alpha: never visible to A or N.
  v['b-at-p'] = await addVehicle(db, b.id, 'B at P');
  await setState(db, b.id, v['b-at-p'], { ts: new Date(now - 1_000), ...P, speedKmh: 0 });
  v['b-madrid'] = await addVehicle(db, b.id, 'B Madrid');
  await setState(db, b.id, v['b-madrid'], { ts: new Date(now - 1_000), ...MADRID, speedKmh: 10 });

  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
  redis = createRedis({ url: t.config.redis.url, keyPrefix: prefix });
  for (const [k, o] of Object.entries({ a, n, b })) token[k] = await login(t.base, o.email);
});

afterAll(async () => {
  await t?.api.stop();
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    redis.disconnect();
  }
  await db?.end();
  await testDb?.drop();
});

const get = (as: string, path: string, base = t.base) =>
  fetch(`${base}/api/v1${path}`, { headers: { authorization: `Bearer ${token[as]}` } });

async function latest(as: string, query = '', base = t.base) {
  const res = await get(as, `/positions/latest${query}`, base);
  expect(res.status).toBe(200);
  return LatestPositions.parse(await res.json());
}
const names = (fc: LatestPositions) => fc.features.map((f) => f.properties.name);

describe('GET /positions/latest', () => {
  jest.setTimeout(30_000);

  it('rebuilds a cold cache from vehicle_state and answers every vehicle with a fix, with status', async () => {
    expect(await redis.exists(latestKey(org['a']!))).toBe(0);
    const fc = await latest('a');
    expect(await redis.hexists(latestKey(org['a']!), WARM_FIELD)).toBe(1);
    expect(fc.type).toBe('FeatureCollection');
    expect(names(fc)).toEqual(['Alpha', 'Bravo', 'Charlie']);
    const alpha = fc.features[0]!;
    expect(alpha.geometry.coordinates[0]).toBeCloseTo(MADRID.lon, 9);
    expect(alpha.geometry.coordinates[1]).toBeCloseTo(MADRID.lat, 9);
    expect(alpha.properties).toMatchObject({
      vehicleId: v['alpha'],
      ts: new Date(now - 5_000).toISOString(),
      speedKmh: 42,
      heading: 90,
      battery: 81,
      status: 'moving',
    });
    expect(alpha.properties.ageSeconds).toBeGreaterThanOrEqual(5);
    expect(fc.features.map((f) => f.properties.status)).toEqual(['moving', 'stopped', 'offline']);
  });

  it('serves what the worker put in the hot cache, and PostgreSQL again once the cache is gone', async () => {
    await latest('a'); // warm
    const moved = new Date(Date.now() - 1_000).toISOString();
    await updateLatest(redis, org['a']!, [
      {
        vehicleId: v['alpha']!,
        ts: moved,
        lat: 40.5,
        lon: -3.6,
        speedKmh: 0,
        heading: null,
        altitude: null,
        accuracy: null,
        battery: 80,
        attributes: null,
      },
    ]);
    let alpha = (await latest('a')).features.find((f) => f.properties.vehicleId === v['alpha'])!;
    expect(alpha.geometry.coordinates).toEqual([-3.6, 40.5]);
    expect(alpha.properties).toMatchObject({ ts: moved, status: 'stopped' });

    await redis.del(latestKey(org['a']!));
    alpha = (await latest('a')).features.find((f) => f.properties.vehicleId === v['alpha'])!;
    expect(alpha.properties.ts).toBe(new Date(now - 5_000).toISOString());
    expect(await redis.hexists(latestKey(org['a']!), WARM_FIELD)).toBe(1);
  });

  it('filters by status, by the offline threshold and by bbox (also across the antimeridian)', async () => {
    expect(names(await latest('a', '?status=moving'))).toEqual(['Alpha']);
    expect(names(await latest('a', '?status=stopped'))).toEqual(['Bravo']);
    expect(names(await latest('a', '?status=offline'))).toEqual(['Charlie']);
    expect(names(await latest('a', '?status=moving,stopped'))).toEqual(['Alpha', 'Bravo']);
    // Bravo's fix is 3 minutes old: offline with a 2-minute threshold; Charlie is 2 hours old.
    expect(names(await latest('a', '?status=offline&offlineAfterMinutes=2'))).toEqual(['Bravo', 'Charlie']);
    expect(names(await latest('a', '?status=offline&offlineAfterMinutes=180'))).toEqual([]);
    expect(names(await latest('a', '?bbox=-4,40,-3.5,41'))).toEqual(['Alpha', 'Bravo']);
    expect(names(await latest('a', '?bbox=2,41,2.5,42'))).toEqual(['Charlie']);
    expect(names(await latest('a', '?bbox=-3.70,40.44,-3.68,40.46&status=stopped'))).toEqual(['Bravo']);
    // west > east: the box wraps the antimeridian, so it holds longitudes ≥ 170 or ≤ -170 only.
    expect(names(await latest('a', '?bbox=170,-90,-170,90'))).toEqual([]);
    expect(names(await latest('a', '?bbox=0,-90,-170,90'))).toEqual(['Charlie']);
  });

  it('shows only the caller’s organization', async () => {
    expect(names(await latest('b'))).toEqual(['B at P', 'B Madrid']); // by name, case-insensitive
    expect(names(await latest('n'))).toEqual(['East', 'Far', 'North']);
  });

  it('names a vehicle created after the names were cached', async () => {
    await latest('a');
    const echo = await addVehicle(db, org['a']!, 'Echo');
    await setState(db, org['a']!, echo, { ts: new Date(), lat: 40.41, lon: -3.7, speedKmh: 5 });
    await updateLatest(redis, org['a']!, [
      {
        vehicleId: echo,
        ts: new Date().toISOString(),
        lat: 40.41,
        lon: -3.7,
        speedKmh: 5,
        heading: null,
        altitude: null,
        accuracy: null,
        battery: null,
        attributes: null,
      },
    ]);
    // Names are reloaded for an unknown vehicle at most every 2 s.
    await new Promise((r) => setTimeout(r, 2_100));
    expect(names(await latest('a'))).toEqual(['Alpha', 'Bravo', 'Charlie', 'Echo']);
    await db.query('DELETE FROM vehicles WHERE id = $1', [echo]);
    await redis.hdel(latestKey(org['a']!), echo);
  });

  it('answers from PostgreSQL when Redis is down', async () => {
    const own = await startOwnRedis();
    const api = await startTestApi({ DATABASE_URL: testDb.url, REDIS_URL: own.url }, { keyPrefix: prefix });
    try {
      const base = `http://127.0.0.1:${api.api.port}`;
      expect(names(await latest('a', '', base))).toEqual(['Alpha', 'Bravo', 'Charlie']);
      await own.stop();
      const fc = await latest('a', '?status=moving', base);
      expect(names(fc)).toEqual(['Alpha']);
    } finally {
      await api.api.stop();
      await own.stop().catch(() => undefined);
    }
  });

  it.each([
    ['?bbox=1,2,3', 'bbox'],
    ['?bbox=-200,0,10,10', 'bbox'],
    ['?bbox=0,50,10,40', 'bbox'],
    ['?status=parked', 'status'],
    ['?offlineAfterMinutes=0', 'offlineAfterMinutes'],
    ['?offlineAfterMinutes=ten', 'offlineAfterMinutes'],
    ['?colour=red', 'colour'],
  ])('refuses %s with 400 naming %s', async (query, param) => {
    const res = await get('a', `/positions/latest${query}`);
    expect(res.status).toBe(400);
    const body = ErrorBody.parse(await res.json());
    expect(JSON.stringify(body.error.details)).toContain(param);
  });

  it('requires a signed-in user', async () => {
    expect((await fetch(`${t.base}/api/v1/positions/latest`)).status).toBe(401);
    expect((await fetch(`${t.base}/api/v1/positions/nearest?lat=0&lon=0`)).status).toBe(401);
  });
});

describe('GET /positions/nearest', () => {
  jest.setTimeout(30_000);

  async function nearest(as: string, query: string) {
    const res = await get(as, `/positions/nearest${query}`);
    expect(res.status).toBe(200);
    return NearestList.parse(await res.json()).items;
  }

  it('orders by geodesic distance, not by the index’s degrees, with distances on the ellipsoid', async () => {
    const items = await nearest('n', `?lat=${P.lat}&lon=${P.lon}`);
    expect(items.map((i) => i.name)).toEqual(['East', 'North', 'Far']);
    for (const [item, at] of [
      [items[0]!, EAST],
      [items[1]!, NORTH],
      [items[2]!, FAR],
    ] as const) {
      expect(Math.abs(item.distanceM - distanceM(P, at))).toBeLessThan(0.01);
      expect(item).toMatchObject({ lat: at.lat, lon: at.lon, status: 'stopped' });
    }
    expect(items[0]!.distanceM).toBeGreaterThan(990);
    expect(items[0]!.distanceM).toBeLessThan(1_010);
    // The single nearest is East, though North is nearer in degrees.
    expect((await nearest('n', `?lat=${P.lat}&lon=${P.lon}&limit=1`)).map((i) => i.name)).toEqual(['East']);
    expect((await nearest('n', `?lat=${P.lat}&lon=${P.lon}&limit=2`)).map((i) => i.name)).toEqual(['East', 'North']);
  });

  it('stops at maxDistanceM', async () => {
    expect((await nearest('n', `?lat=60&lon=25&maxDistanceM=1200`)).map((i) => i.name)).toEqual(['East']);
    expect((await nearest('n', `?lat=60&lon=25&maxDistanceM=500`)).map((i) => i.name)).toEqual([]);
    expect((await nearest('n', `?lat=60&lon=25&maxDistanceM=20000&limit=100`)).length).toBe(3);
  });

  it('sees only the caller’s organization', async () => {
    const a = await nearest('a', `?lat=${MADRID.lat}&lon=${MADRID.lon}&limit=100`);
    expect(a.map((i) => i.name)).toEqual(['Alpha', 'Bravo', 'Charlie']);
    expect(a[0]!.distanceM).toBeLessThan(0.001);
    expect(a[2]!.distanceM).toBeCloseTo(distanceM(MADRID, { lat: 41.38, lon: 2.17 }), 1);
    const b = await nearest('b', `?lat=${P.lat}&lon=${P.lon}&limit=1`);
    expect(b.map((i) => i.name)).toEqual(['B at P']);
  });

  it.each([
    ['?lon=25', 'lat'],
    ['?lat=91&lon=0', 'lat'],
    ['?lat=0&lon=181', 'lon'],
    ['?lat=0&lon=x', 'lon'],
    ['?lat=0&lon=0&limit=101', 'limit'],
    ['?lat=0&lon=0&limit=0', 'limit'],
    ['?lat=0&lon=0&maxDistanceM=-5', 'maxDistanceM'],
  ])('refuses %s with 400 naming %s', async (query, param) => {
    const res = await get('n', `/positions/nearest${query}`);
    expect(res.status).toBe(400);
    expect(JSON.stringify(ErrorBody.parse(await res.json()).error.details)).toContain(param);
  });
});
