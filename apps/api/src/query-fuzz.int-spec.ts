import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import fc from 'fast-check';
import pg from 'pg';
import { ROUTES, type RouteDoc } from './openapi/routes';
import { loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

// Every documented route a signed-in user can call, driven with malformed and hostile input: whatever
// the query string, path id or JSON body, the answer is a 2xx or a 4xx — never a 5xx, never a crash.
// Streams (SSE) and deletions are left out: a stream stays open, a deletion would remove the fixtures.
let testDb: TestDatabase;
let t: StartedApi;
let admin: string;
let vehicleId: string;

beforeAll(async () => {
  testDb = await createTestDatabase('api-query-fuzz');
  const orgs = await seedOrganizations(testDb.url, ['fz']);
  const pool = new pg.Pool({ connectionString: testDb.url, max: 1 });
  vehicleId = (
    await pool.query(
      "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Fuzzed', 'fuzz-1') RETURNING id",
      [orgs['fz']],
    )
  ).rows[0].id;
  await pool.query(
    `INSERT INTO positions (vehicle_id, ts, point, speed_kmh)
     SELECT $1, now() - g * interval '10 seconds', ST_SetSRID(ST_MakePoint(-3.7 + g / 10000.0, 40.4), 4326), 30
       FROM generate_series(1, 200) g`,
    [vehicleId],
  );
  await pool.end();
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:query-fuzz:${process.pid}:` });
  admin = (await loginAll(t.base, ['fz']))['admin@fz'];
});

afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

const isStream = (r: RouteDoc) => /\/live$/.test(r.path);
const targets = ROUTES.filter(
  (r) =>
    r.method !== 'delete' &&
    !isStream(r) &&
    ((r.security === 'user' && !r.path.startsWith('/api/v1/auth/')) ||
      // Public routes a stranger can hit: the share link, and the sign-in family.
      (r.security === 'none' && r.path.startsWith('/api/v1/'))),
);

const hostile = fc.oneof(
  fc.string(),
  fc.constantFrom('', ' ', 'NaN', 'Infinity', '-1', '0', '1e309', '99999999999999999999', '2026-13-45', ',,,'),
  fc.constantFrom("' OR 1=1 --", '%00', '../../etc/passwd', '{"a":1}', '[]', 'null', 'true', '\u0000', '😀'),
  fc.integer().map(String),
  fc.double().map(String),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

function queryOf(route: RouteDoc) {
  const known = Object.keys(route.query?.shape ?? {});
  const key = known.length
    ? fc.oneof(fc.constantFrom(...known), fc.string({ maxLength: 8 }))
    : fc.string({ maxLength: 8 });
  return fc.array(fc.tuple(key, hostile), { maxLength: 5 });
}

const idOf = fc.oneof(
  fc.constant('VEHICLE'),
  fc.uuid(),
  fc.constantFrom('not-a-uuid', '0', '%2e%2e', 'ffffffff-ffff-ffff-ffff-ffffffffffff'),
);

describe('fuzzed query strings, ids and bodies on every signed-in route and the public ones', () => {
  jest.setTimeout(180_000);

  it('has routes to drive', () => {
    expect(targets.length).toBeGreaterThan(20);
  });

  it.each(targets.map((r) => [`${r.method.toUpperCase()} ${r.path}`, r] as const))(
    '%s never answers 5xx',
    async (_name, route) => {
      await fc.assert(
        fc.asyncProperty(
          queryOf(route),
          idOf,
          fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.string({ maxLength: 10 }), hostile)),
          async (query, id, body) => {
            const path = route.path
              .replace(':id', id === 'VEHICLE' ? vehicleId : encodeURIComponent(id))
              .replace(':token', encodeURIComponent(id));
            const qs = new URLSearchParams(query).toString();
            const withBody = route.method === 'post' || route.method === 'patch' || route.method === 'put';
            const res = await fetch(`${t.base}${path}${qs ? `?${qs}` : ''}`, {
              method: route.method.toUpperCase(),
              headers: {
                authorization: `Bearer ${admin}`,
                ...(withBody ? { 'content-type': 'application/json' } : {}),
              },
              body: withBody ? JSON.stringify(body) : undefined,
            });
            const text = await res.text();
            if (res.status >= 500)
              throw new Error(`${route.method} ${path}?${qs} → ${res.status}: ${text.slice(0, 300)}`);
          },
        ),
        { numRuns: 25 },
      );
    },
  );
});
