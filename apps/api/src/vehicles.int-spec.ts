import { hashPassword } from '@fleet/auth';
import { ErrorBody, TokenResponse, Vehicle, VehicleList, VehicleWithToken } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';
import { UNAVAILABLE_BUDGET } from './vehicles/vehicles';

const PASSWORD = 'fleet-test-password-1';
let testDb: TestDatabase;
let t: StartedApi;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  testDb = await createTestDatabase('api-vehicles');
  const client = new pg.Client({ connectionString: testDb.url });
  await client.connect();
  const hash = await hashPassword(PASSWORD);
  for (const slug of ['a', 'b']) {
    const org = await client.query('INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id', [
      `org-${slug}`,
    ]);
    for (const role of ['admin', 'operator', 'viewer']) {
      await client.query('INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, $3, $4)', [
        org.rows[0].id,
        `${role}@${slug}.example`,
        role,
        hash,
      ]);
    }
  }
  await client.end();
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:vehicles:${process.pid}:` });
  for (const slug of ['a', 'b']) {
    for (const role of ['admin', 'operator', 'viewer']) {
      const res = await fetch(`${t.base}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: `${role}@${slug}.example`, password: PASSWORD }),
      });
      tokens[`${role}@${slug}`] = TokenResponse.parse(await res.json()).accessToken;
    }
  }
});

afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

function call(as: string, method: string, path: string, body?: unknown) {
  return fetch(`${t.base}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${tokens[as]}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('vehicles', () => {
  jest.setTimeout(30_000);

  it('creates a vehicle with a proposed identifier and a device token shown once, which ingestion accepts', async () => {
    const res = await call('operator@a', 'POST', '/vehicles', {
      name: 'Van 7',
      plate: '1234 ABC',
      type: 'van',
      speedLimitKmh: 90,
      color: '#1f77b4',
    });
    expect(res.status).toBe(201);
    const { vehicle, deviceToken } = VehicleWithToken.parse(await res.json());
    expect(vehicle.deviceIdentifier).toMatch(/^[2-9a-hjkmnp-z]{20}$/);
    const ingest = await fetch(`${t.base}/api/v1/positions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${deviceToken}` },
      body: JSON.stringify({ ts: Date.now() - 1000, lat: 40.4, lon: -3.7 }),
    });
    expect(ingest.status).toBe(202);
    const again = Vehicle.parse(await (await call('viewer@a', 'GET', `/vehicles/${vehicle.id}`)).json());
    expect(again).toEqual(vehicle);
    expect(JSON.stringify(again)).not.toContain(deviceToken);
  });

  it('regenerates the device token (the old one stops working) and disables a device', async () => {
    const { vehicle, deviceToken: first } = VehicleWithToken.parse(
      await (await call('admin@a', 'POST', '/vehicles', { name: 'Truck 1', type: 'truck' })).json(),
    );
    const regenerated = VehicleWithToken.parse(
      await (await call('operator@a', 'POST', `/vehicles/${vehicle.id}/device-token`)).json(),
    );
    const send = (token: string) =>
      fetch(`${t.base}/api/v1/positions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ ts: Date.now() - 500, lat: 41, lon: 2 }),
      });
    expect((await send(first)).status).toBe(401);
    expect((await send(regenerated.deviceToken)).status).toBe(202);
    const disabled = Vehicle.parse(
      await (await call('operator@a', 'PATCH', `/vehicles/${vehicle.id}`, { deviceDisabled: true })).json(),
    );
    expect(disabled.deviceDisabled).toBe(true);
    expect((await send(regenerated.deviceToken)).status).toBe(403);
  });

  it('lists with search, sorting and pagination', async () => {
    for (const name of ['Alpha', 'Bravo', 'Charlie']) await call('admin@a', 'POST', '/vehicles', { name, type: 'car' });
    const page = VehicleList.parse(
      await (await call('viewer@a', 'GET', '/vehicles?sort=-name&limit=2&offset=0')).json(),
    );
    expect(page.items).toHaveLength(2);
    expect(page.total).toBeGreaterThanOrEqual(5);
    const names = page.items.map((v) => v.name);
    expect([...names].sort().reverse()).toEqual(names);
    const search = VehicleList.parse(await (await call('viewer@a', 'GET', '/vehicles?q=brav')).json());
    expect(search.items.map((v) => v.name)).toEqual(['Bravo']);
    const bad = await call('viewer@a', 'GET', '/vehicles?limit=100000&sort=speed');
    expect(bad.status).toBe(400);
    expect(
      ErrorBody.parse(await bad.json())
        .error.details?.map((d) => d.path)
        .sort(),
    ).toEqual(['limit', 'sort']);
  });

  it('enforces roles: viewers read, operators manage, only admins delete', async () => {
    expect((await call('viewer@a', 'POST', '/vehicles', { name: 'Nope' })).status).toBe(403);
    // Unknown fields are refused, not ignored: a typo must not be silently dropped.
    const typo = await call('operator@a', 'POST', '/vehicles', { name: 'Typo', speedlimit: 80 });
    expect(typo.status).toBe(400);
    expect(JSON.stringify(ErrorBody.parse(await typo.json()).error.details)).toContain('speedlimit');
    const { vehicle } = VehicleWithToken.parse(
      await (await call('operator@a', 'POST', '/vehicles', { name: 'Temp' })).json(),
    );
    expect((await call('operator@a', 'DELETE', `/vehicles/${vehicle.id}`)).status).toBe(403);
    expect((await call('admin@a', 'DELETE', `/vehicles/${vehicle.id}`)).status).toBe(204);
    expect((await call('admin@a', 'GET', `/vehicles/${vehicle.id}`)).status).toBe(404);
    expect((await fetch(`${t.base}/api/v1/vehicles`)).status).toBe(401);
  });

  it('answers 404 for every vehicle URL and method of another organization', async () => {
    const { vehicle } = VehicleWithToken.parse(
      await (await call('admin@b', 'POST', '/vehicles', { name: 'B-secret' })).json(),
    );
    const attempts: Array<[string, string, unknown?]> = [
      ['GET', `/vehicles/${vehicle.id}`],
      ['PATCH', `/vehicles/${vehicle.id}`, { name: 'hijacked' }],
      ['DELETE', `/vehicles/${vehicle.id}`],
      ['POST', `/vehicles/${vehicle.id}/device-token`],
    ];
    for (const [method, path, body] of attempts) {
      const res = await call('admin@a', method, path, body);
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    const list = VehicleList.parse(await (await call('admin@a', 'GET', '/vehicles?q=B-secret')).json());
    expect(list.items).toHaveLength(0);
    expect(Vehicle.parse(await (await call('viewer@b', 'GET', `/vehicles/${vehicle.id}`)).json()).name).toBe(
      'B-secret',
    );
  });

  it('refuses a taken device identifier with 409 naming the field, and SQL-looking input harmlessly', async () => {
    await call('admin@a', 'POST', '/vehicles', { name: 'One', deviceIdentifier: 'imei-000111' });
    const dup = await call('admin@b', 'POST', '/vehicles', { name: 'Two', deviceIdentifier: 'imei-000111' });
    expect(dup.status).toBe(409);
    expect(ErrorBody.parse(await dup.json()).error.details?.[0]?.path).toBe('deviceIdentifier');
    for (const q of ["' OR 1=1 --", "'; DROP TABLE vehicles; --", '%', '_', '\\']) {
      const res = await call('viewer@a', 'GET', `/vehicles?q=${encodeURIComponent(q)}`);
      expect(res.status).toBe(200);
      expect(VehicleList.parse(await res.json()).items).toHaveLength(0);
    }
    for (const injection of ["' OR 1=1 --", "car' OR '1'='1", '1; DROP TABLE vehicles']) {
      // Harmless either way: refused (too long for a type) or matching nothing.
      const byType = await call('viewer@a', 'GET', `/vehicles?type=${encodeURIComponent(injection)}`);
      if (byType.status === 200) expect(VehicleList.parse(await byType.json()).items).toHaveLength(0);
      else expect(byType.status).toBe(400);
      for (const param of ['sort', 'limit', 'offset']) {
        const res = await call('viewer@a', 'GET', `/vehicles?${param}=${encodeURIComponent(injection)}`);
        expect([param, res.status]).toEqual([param, 400]);
        expect(await res.text()).not.toMatch(/syntax|SELECT|postgres|at \w+ \(/i);
      }
    }
    expect((await call('viewer@a', 'GET', `/vehicles/${encodeURIComponent("1' OR '1'='1")}`)).status).toBe(404);
  });
});

describe('device identifiers held by another organization', () => {
  jest.setTimeout(30_000);
  const answer = async (res: Response) => {
    const body = ErrorBody.parse(await res.json());
    return { status: res.status, code: body.error.code, message: body.error.message, details: body.error.details };
  };

  it('get the same answer as one this organization holds, which never says "registered"', async () => {
    const mine = VehicleWithToken.parse(
      await (await call('admin@b', 'POST', '/vehicles', { name: 'Mine', deviceIdentifier: 'imei-b-own-1' })).json(),
    );
    const theirs = await call('admin@b', 'POST', '/vehicles', { name: 'X', deviceIdentifier: 'imei-000111' });
    const own = await call('admin@b', 'POST', '/vehicles', { name: 'Y', deviceIdentifier: 'imei-b-own-1' });
    const other = await call('admin@b', 'POST', '/vehicles', { name: 'Z', deviceIdentifier: 'imei-b-other-2' });
    const renamed = await call(
      'admin@b',
      'PATCH',
      `/vehicles/${VehicleWithToken.parse(await other.json()).vehicle.id}`,
      {
        deviceIdentifier: 'imei-000111',
      },
    );
    const [a, b, c] = [await answer(theirs), await answer(own), await answer(renamed)];
    expect(a).toEqual(b);
    expect(c).toEqual(a);
    expect(a).toMatchObject({ status: 409, details: [{ path: 'deviceIdentifier', message: 'not available' }] });
    expect(JSON.stringify(a)).not.toMatch(/regist|in use|exist|organi[sz]ation/i);
    expect(mine.vehicle.deviceIdentifier).toBe('imei-b-own-1');
  });

  it('stop being answered after a budget of refusals an hour: every chosen identifier is refused (429), generated ones still work', async () => {
    // Probing identifiers one by one (IMEI ranges) would map what other organizations hold.
    await call('admin@b', 'POST', '/vehicles', { name: 'Held', deviceIdentifier: 'imei-777000' });
    const statuses: number[] = [];
    for (let i = 0; i < UNAVAILABLE_BUDGET + 2; i++)
      statuses.push(
        (await call('admin@a', 'POST', '/vehicles', { name: 'P', deviceIdentifier: 'imei-777000' })).status,
      );
    const refusals = statuses.indexOf(429);
    expect(refusals).toBeGreaterThan(0);
    expect(refusals).toBeLessThanOrEqual(UNAVAILABLE_BUDGET);
    expect(statuses.slice(0, refusals).every((s) => s === 409)).toBe(true);
    expect(statuses.slice(refusals).every((s) => s === 429)).toBe(true);

    // Now a free identifier gets the same 429 as a taken one: the answers no longer tell them apart.
    const free = await call('admin@a', 'POST', '/vehicles', { name: 'F', deviceIdentifier: 'imei-free-424242' });
    expect(free.status).toBe(429);
    expect(Number(free.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(ErrorBody.parse(await free.json()).error.details?.[0]?.path).toBe('deviceIdentifier');
    const some = VehicleList.parse(await (await call('admin@a', 'GET', '/vehicles')).json()).items[0];
    const patch = await call('admin@a', 'PATCH', `/vehicles/${some.id}`, { deviceIdentifier: 'imei-free-434343' });
    expect(patch.status).toBe(429);
    // Unchanged identifiers and generated ones are no probe.
    expect(
      (
        await call('admin@a', 'PATCH', `/vehicles/${some.id}`, {
          deviceIdentifier: some.deviceIdentifier,
          name: 'Kept',
        })
      ).status,
    ).toBe(200);
    const generated = await call('admin@a', 'POST', '/vehicles', { name: 'Generated' });
    expect(generated.status).toBe(201);
    expect(VehicleWithToken.parse(await generated.json()).vehicle.deviceIdentifier).toMatch(/^[2-9a-hjkmnp-z]{20}$/);
    expect((await call('admin@a', 'GET', '/vehicles?q=imei-free')).status).toBe(200);
    expect(VehicleList.parse(await (await call('admin@a', 'GET', '/vehicles?q=imei-free')).json()).total).toBe(0);
    // Another organization's budget is its own.
    expect(
      (await call('admin@b', 'POST', '/vehicles', { name: 'B', deviceIdentifier: 'imei-free-444444' })).status,
    ).toBe(201);
  });
});
