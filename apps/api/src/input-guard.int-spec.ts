import { ErrorBody, VehicleList, WebhookWithSecret } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

// Issue 11, finding 2: text PostgreSQL cannot store (NUL, lone surrogates) and hostile JSON used to reach
// the database and come back as 500s. Each is now a 400 naming the field, before any query runs.
let testDb: TestDatabase;
let t: StartedApi;
let admin: string;
let vehicleId: string;
let db: pg.Pool;

jest.setTimeout(60_000);

beforeAll(async () => {
  testDb = await createTestDatabase('api-input-guard');
  const orgs = await seedOrganizations(testDb.url, ['ig']);
  db = new pg.Pool({ connectionString: testDb.url, max: 1 });
  vehicleId = (
    await db.query(
      "INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, 'Guarded', 'guard-1') RETURNING id",
      [orgs['ig']],
    )
  ).rows[0].id;
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:input-guard:${process.pid}:` });
  admin = (await loginAll(t.base, ['ig']))['admin@ig'];
});

afterAll(async () => {
  await t?.api.stop();
  await db?.end();
  await testDb?.drop();
});

const NUL = 'a\u0000b';
const LONE = 'a\ud800b';
const circle = { kind: 'circle', center: { lat: 40, lon: -3 }, radiusM: 100 };

interface Case {
  name: string;
  method: string;
  path: () => string;
  body?: unknown;
  field: string;
}

// Every input the issue lists as a 500, plus lone surrogates where JSON can carry them (a query string
// cannot: percent-decoding turns invalid UTF-8 into U+FFFD).
const cases: Case[] = [
  { name: 'vehicles q filter', method: 'GET', path: () => `/vehicles?q=${encodeURIComponent(NUL)}`, field: 'query.q' },
  { name: 'users q filter', method: 'GET', path: () => `/users?q=${encodeURIComponent(NUL)}`, field: 'query.q' },
  {
    name: 'geofences q filter',
    method: 'GET',
    path: () => `/geofences?q=${encodeURIComponent(NUL)}`,
    field: 'query.q',
  },
  { name: 'vehicle name', method: 'POST', path: () => '/vehicles', body: { name: NUL }, field: 'body.name' },
  {
    name: 'vehicle name (lone surrogate)',
    method: 'POST',
    path: () => '/vehicles',
    body: { name: LONE },
    field: 'body.name',
  },
  {
    name: 'vehicle plate',
    method: 'POST',
    path: () => '/vehicles',
    body: { name: 'Van', plate: NUL },
    field: 'body.plate',
  },
  {
    name: 'vehicle attribute value',
    method: 'POST',
    path: () => '/vehicles',
    body: { name: 'Van', attributes: { note: NUL } },
    field: 'body.attributes.note',
  },
  {
    name: 'vehicle attribute value (lone surrogate)',
    method: 'POST',
    path: () => '/vehicles',
    body: { name: 'Van', attributes: { note: '\udc00' } },
    field: 'body.attributes.note',
  },
  {
    name: 'vehicle attribute key',
    method: 'POST',
    path: () => '/vehicles',
    body: { name: 'Van', attributes: { [NUL]: 1 } },
    field: 'body.attributes.a\\u0000b',
  },
  {
    name: 'vehicle rename',
    method: 'PATCH',
    path: () => `/vehicles/${vehicleId}`,
    body: { name: NUL },
    field: 'body.name',
  },
  {
    name: 'geofence name',
    method: 'POST',
    path: () => '/geofences',
    body: { name: NUL, ...circle },
    field: 'body.name',
  },
  {
    name: 'share-link name',
    method: 'POST',
    path: () => `/vehicles/${vehicleId}/share-links`,
    body: { name: NUL },
    field: 'body.name',
  },
  {
    name: 'invitation name',
    method: 'POST',
    path: () => '/users/invitations',
    body: { email: 'new@ig.example', name: NUL, role: 'viewer' },
    field: 'body.name',
  },
  { name: 'organization name', method: 'PATCH', path: () => '/organization', body: { name: NUL }, field: 'body.name' },
  {
    name: 'webhook url',
    method: 'POST',
    path: () => '/webhooks',
    body: { url: `https://hooks.example.com/${NUL}` },
    field: 'body.url',
  },
  {
    name: 'path id',
    method: 'GET',
    path: () => `/vehicles/${encodeURIComponent(NUL)}`,
    field: 'params.id',
  },
  {
    name: 'path id (invalid percent-encoding)',
    method: 'GET',
    path: () => '/geofences/%E0%A4%A',
    field: 'params.id',
  },
];

async function errorOf(res: Response) {
  return ErrorBody.parse(await res.json()).error;
}

describe('text PostgreSQL cannot store', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s: 400 naming the field, nothing stored', async (_n, c) => {
    const before = await db.query('SELECT (SELECT count(*) FROM vehicles) v, (SELECT count(*) FROM geofences) g');
    const res = await apiCall(t.base, admin, c.method, c.path(), c.body);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.details?.map((d) => d.path)).toContain(c.field);
    const after = await db.query('SELECT (SELECT count(*) FROM vehicles) v, (SELECT count(*) FROM geofences) g');
    expect(after.rows).toEqual(before.rows);
  });

  it('still accepts the same requests with clean text, emoji included', async () => {
    const res = await apiCall(t.base, admin, 'POST', '/vehicles', {
      name: 'Van 🚐',
      plate: 'AB-12',
      attributes: { note: 'ok 😀', nested: { deep: [1, 2, { x: 'y' }] } },
    });
    expect(res.status).toBe(201);
    const list = await apiCall(t.base, admin, 'GET', `/vehicles?q=${encodeURIComponent('🚐')}`);
    expect(list.status).toBe(200);
    expect(VehicleList.parse(await list.json()).items.map((v) => v.name)).toContain('Van 🚐');
  });
});

describe('hostile JSON bodies', () => {
  const deep = (levels: number) => '['.repeat(levels) + ']'.repeat(levels);
  const deepObject = (levels: number) => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels);

  it.each([
    ['vehicle attributes nested 6,000 levels', 'POST', '/vehicles', `{"name":"Deep","attributes":{"x":${deep(6000)}}}`],
    [
      'vehicle attributes nested 100,000 levels',
      'POST',
      '/vehicles',
      `{"name":"Deep","attributes":{"x":${deepObject(100_000)}}}`,
    ],
    ['geofence attributes nested 50,000 levels', 'POST', '/geofences', `{"name":"Deep","attributes":${deep(50_000)}}`],
    ['organization update nested 200,000 levels', 'PATCH', '/organization', deep(200_000)],
    ['webhook update nested 200,000 levels', 'PATCH', `/webhooks/00000000-0000-4000-8000-000000000000`, deep(200_000)],
  ])('%s: 400, never a RangeError', async (_n, method, path, body) => {
    const res = await fetch(`${t.base}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.details?.[0]?.message).toMatch(/nested deeper/);
    expect((await db.query("SELECT count(*)::int n FROM vehicles WHERE name = 'Deep'")).rows[0].n).toBe(0);
  });

  it('refuses a body with too many keys and items in all', async () => {
    const body = `{"name":"Wide","attributes":{"x":[${Array(400_000).fill(0).join(',')}]}}`;
    const res = await fetch(`${t.base}/api/v1/vehicles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body,
    });
    expect(res.status).toBe(400);
    expect((await errorOf(res)).details?.[0]?.message).toMatch(/keys and items/);
  });
});

describe('ids that are not UUIDs', () => {
  it.each([
    ['GET', '/vehicles/not-a-uuid'],
    ['PATCH', '/vehicles/12345'],
    ['GET', '/vehicles/0/history'],
    ['GET', '/vehicles/x/trips'],
    ['GET', '/vehicles/x/share-links'],
    ['GET', '/geofences/abc'],
    ['GET', '/events/abc'],
    ['GET', '/webhooks/abc'],
    ['GET', '/webhooks/abc/deliveries'],
    ['PATCH', '/users/abc'],
    ['DELETE', '/share-links/abc'],
    ['GET', '/shared/%2e%2e'],
  ])('%s %s: 404 or 400, not 500', async (method, path) => {
    const body = method === 'PATCH' ? {} : undefined;
    const res = await apiCall(t.base, admin, method, path, body);
    expect([400, 404]).toContain(res.status);
  });
});

describe('numbers beyond what their column holds (found by the route fuzz suite)', () => {
  it('refuses a vehicle speed limit too small for `real` (1e-50) with 400 naming it', async () => {
    for (const [method, path] of [
      ['POST', '/vehicles'],
      ['PATCH', `/vehicles/${vehicleId}`],
    ]) {
      const res = await apiCall(t.base, admin, method, path, { name: 'Tiny', speedLimitKmh: 1e-50 });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).details?.map((d) => d.path)).toContain('speedLimitKmh');
    }
    expect((await db.query("SELECT count(*)::int n FROM vehicles WHERE name = 'Tiny'")).rows[0].n).toBe(0);
  });

  it.each(['9223372036854775808', '9999999999999999999'])(
    'refuses a webhook deliveries cursor beyond bigint (%s) with 400 naming it',
    async (cursor) => {
      const created = await apiCall(t.base, admin, 'POST', '/webhooks', { url: 'https://hooks.example.com/c' });
      const id = WebhookWithSecret.parse(await created.json()).webhook.id;
      const res = await apiCall(t.base, admin, 'GET', `/webhooks/${id}/deliveries?cursor=${cursor}`);
      expect(res.status).toBe(400);
      expect((await errorOf(res)).details?.map((d) => d.path)).toContain('cursor');
      expect(
        (await apiCall(t.base, admin, 'GET', `/webhooks/${id}/deliveries?cursor=9223372036854775807`)).status,
      ).toBe(200);
    },
  );
});

describe('bodies that cannot be read', () => {
  it.each(['gzip', 'deflate', 'br'])(
    'answers 400 to a body that is not %s as its Content-Encoding says',
    async (encoding) => {
      const res = await fetch(`${t.base}/api/v1/vehicles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json', 'content-encoding': encoding },
        body: 'not compressed at all',
      });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe('bad_request');
    },
  );
});
