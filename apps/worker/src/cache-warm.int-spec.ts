import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { latestKey, readLatest, updateLatest, WARM_FIELD } from '@fleet/live';
import { createRedis, type Redis } from '@fleet/runtime';
import { runSource } from '@fleet/runtime/testing';
import pg from 'pg';

const prefix = `test:cache-warm:${process.pid}:`;
let testDb: TestDatabase;
let redis: Redis;
const orgs: string[] = [];
const vehicles: Record<string, string> = {};

beforeAll(async () => {
  testDb = await createTestDatabase('worker-cache-warm');
  redis = createRedis({ url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', keyPrefix: prefix });
  const client = new pg.Client({ connectionString: testDb.url });
  await client.connect();
  try {
    for (const slug of ['warm-a', 'warm-b']) {
      const org = await client.query<{ id: string }>(
        'INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id',
        [slug],
      );
      orgs.push(org.rows[0].id);
      for (const [i, name] of ['one', 'two'].entries()) {
        const v = await client.query<{ id: string }>(
          'INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, $2, $3) RETURNING id',
          [org.rows[0].id, name, `${slug}-${name}`],
        );
        vehicles[`${slug}/${name}`] = v.rows[0].id;
        await client.query(
          `INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh, battery)
           VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326), $6, $7)`,
          [v.rows[0].id, org.rows[0].id, new Date(Date.now() - i * 60_000), -3.7 + i / 100, 40.4 + i / 100, 10 * i, 80],
        );
      }
    }
  } finally {
    await client.end();
  }
});

afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
  redis.disconnect();
  await testDb?.drop();
});

const env = () => ({ DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'error' });

describe('nx run worker:cache-warm', () => {
  jest.setTimeout(60_000);

  it('rebuilds every organization’s hot cache from vehicle_state, replacing older cached fixes', async () => {
    // A cache left from before: an older fix than PostgreSQL's, and no warm mark.
    await updateLatest(redis, orgs[0]!, [
      {
        vehicleId: vehicles['warm-a/two']!,
        ts: new Date(Date.now() - 3_600_000).toISOString(),
        lat: 1,
        lon: 1,
        speedKmh: null,
        heading: null,
        altitude: null,
        accuracy: null,
        battery: null,
        attributes: null,
      },
    ]);
    expect(await readLatest(redis, orgs[0]!)).toBeNull();

    const run = runSource('apps/worker/src/cli/cache-warm.ts', env());
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/cache-warm: 4 vehicle\(s\) of 2 organization\(s\) cached/);

    for (const [i, org] of orgs.entries()) {
      const slug = ['warm-a', 'warm-b'][i]!;
      const cached = await readLatest(redis, org);
      expect(cached?.map((p) => p.vehicleId).sort()).toEqual([vehicles[`${slug}/one`], vehicles[`${slug}/two`]].sort());
      const two = cached?.find((p) => p.vehicleId === vehicles[`${slug}/two`]);
      expect(two).toMatchObject({ speedKmh: 10, battery: 80 });
      expect(two?.lat).toBeCloseTo(40.41, 9);
      expect(two?.lon).toBeCloseTo(-3.69, 9);
      expect(await redis.hexists(latestKey(org), WARM_FIELD)).toBe(1);
    }
  });

  it('warms one organization with --organization, and refuses an id that is not one', async () => {
    await redis.del(latestKey(orgs[0]!), latestKey(orgs[1]!));
    const run = runSource('apps/worker/src/cli/cache-warm.ts', env(), [`--organization=${orgs[1]}`]);
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/cache-warm: 2 vehicle\(s\) of 1 organization\(s\) cached/);
    expect(await readLatest(redis, orgs[0]!)).toBeNull();
    expect(await readLatest(redis, orgs[1]!)).toHaveLength(2);

    const bad = runSource('apps/worker/src/cli/cache-warm.ts', env(), ['--organization=acme']);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('--organization');
  });
});
