import { ErrorBody, Invitation, Organization, User, VehicleWithToken } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { countPositions, startWorkerProcess, type WorkerProcess } from './testing/fixtures';
import { startTestApi, type StartedApi } from './testing/harness';

// Issue 11, finding 11: no answer tells an organization what another one holds (emails, device
// identifiers), and an organization can require the device token on the OsmAnd port.
const prefix = `test:identifiers:${process.pid}:`;
let testDb: TestDatabase;
let db: pg.Pool;
/** Two replicas of the API on one database and Redis, as in production. */
let one: StartedApi;
let two: StartedApi;
let worker: WorkerProcess;
let tokens: Record<string, string>;
let orgs: Record<string, string>;

beforeAll(async () => {
  testDb = await createTestDatabase('api-identifiers');
  db = new pg.Pool({ connectionString: testDb.url, max: 2 });
  orgs = await seedOrganizations(testDb.url, ['a', 'b']);
  one = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
  two = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
  worker = await startWorkerProcess({ DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix, INGEST_BLOCK_MS: '100' });
  tokens = await loginAll(one.base, ['a', 'b']);
}, 60_000);

afterAll(async () => {
  await worker?.stop();
  await one?.api.stop();
  await two?.api.stop();
  await db?.end();
  await testDb?.drop();
});

const call = (as: string | undefined, method: string, path: string, body?: unknown) =>
  apiCall(one.base, as && tokens[as], method, path, body);

describe('invitations', () => {
  jest.setTimeout(30_000);

  it('answers an email another organization uses exactly as a fresh one; accepting tells the invitee, who stays where they are', async () => {
    const fresh = await call('admin@a', 'POST', '/users/invitations', { email: 'newcomer@a.example', role: 'viewer' });
    const elsewhere = await call('admin@a', 'POST', '/users/invitations', {
      email: 'Viewer@B.example',
      role: 'viewer',
    });
    expect([fresh.status, elsewhere.status]).toEqual([201, 201]);
    expect(elsewhere.headers.get('content-type')).toBe(fresh.headers.get('content-type'));
    const [a, b] = [Invitation.parse(await fresh.json()), Invitation.parse(await elsewhere.json())];
    expect(Object.keys(b).sort()).toEqual(Object.keys(a).sort());
    expect(b).toMatchObject({ email: 'Viewer@B.example', role: 'viewer' });
    expect(b.token.length).toBe(a.token.length);

    const accepted = await call(undefined, 'POST', '/auth/accept-invitation', {
      token: b.token,
      password: 'another-password-1',
    });
    expect(accepted.status).toBe(409);
    expect(ErrorBody.parse(await accepted.json()).error.message).toMatch(/already has an account/);
    const owner = await db.query('SELECT organization_id FROM users WHERE lower(email) = $1', ['viewer@b.example']);
    expect(owner.rows).toEqual([{ organization_id: orgs['b'] }]);

    const joined = await call(undefined, 'POST', '/auth/accept-invitation', {
      token: a.token,
      password: 'newcomer-password-1',
    });
    expect(joined.status).toBe(201);
    expect(User.parse(await joined.json())).toMatchObject({ email: 'newcomer@a.example', role: 'viewer' });
  });

  it("refuses only the admin's own members (409 naming the email), whatever the case", async () => {
    for (const email of ['operator@a.example', 'OPERATOR@A.example', 'newcomer@a.example']) {
      const res = await call('admin@a', 'POST', '/users/invitations', { email, role: 'viewer' });
      expect([email, res.status]).toEqual([email, 409]);
      const body = ErrorBody.parse(await res.json());
      expect(body.error.details).toEqual([{ path: 'email', message: 'already a member' }]);
    }
  });
});

describe('OsmAnd device tokens', () => {
  jest.setTimeout(60_000);
  let va: VehicleWithToken;
  let va2: VehicleWithToken;
  let vb: VehicleWithToken;

  beforeAll(async () => {
    const make = async (as: string, deviceIdentifier: string) => {
      const res = await call(as, 'POST', '/vehicles', { name: deviceIdentifier, deviceIdentifier });
      expect(res.status).toBe(201);
      return VehicleWithToken.parse(await res.json());
    };
    va = await make('admin@a', 'imei-356938035643809');
    va2 = await make('admin@a', 'imei-356938035643817');
    vb = await make('admin@b', 'imei-490154203237518');
  });

  let clock = Math.floor(Date.now() / 1000) - 3_000;
  /** One OsmAnd fix on a replica's port (query form); `extra` adds parameters such as the token. */
  const osmand = (api: StartedApi, identifier: string, extra = '', headers: Record<string, string> = {}) =>
    fetch(`http://127.0.0.1:${api.api.osmandPort}/?id=${identifier}&timestamp=${++clock}&lat=40.4&lon=-3.7${extra}`, {
      method: 'POST',
      headers,
    });
  const basic = (user: string, password: string) => ({
    authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`,
  });
  const traccarJson = (api: StartedApi, identifier: string, query = '') =>
    fetch(`http://127.0.0.1:${api.api.osmandPort}/${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        device_id: identifier,
        location: { timestamp: new Date(++clock * 1000).toISOString(), coords: { latitude: 40.4, longitude: -3.7 } },
      }),
    });
  const stored = (vehicle: VehicleWithToken) => countPositions(testDb.url, [vehicle.vehicle.id]);
  const unauthorizedCount = async (api: StartedApi) => {
    const text = await (await fetch(`${api.base}/metrics`)).text();
    return [...text.matchAll(/^positions_rejected_total\{[^}]*reason="unauthorized"[^}]*\} (\d+)/gm)]
      .filter((m) => /protocol="(osmand|traccar_json)"/.test(m[0]))
      .reduce((sum, m) => sum + Number(m[1]), 0);
  };

  it('accepts the identifier alone by default; a token, when sent, must be this device’s and is never stored', async () => {
    expect((await osmand(one, va.vehicle.deviceIdentifier)).status).toBe(200);
    expect((await osmand(two, va.vehicle.deviceIdentifier)).status).toBe(200);
    expect((await osmand(one, va.vehicle.deviceIdentifier, `&hdop=1.5&token=${va.deviceToken}`)).status).toBe(200);
    // A wrong token, or another vehicle's (even of the same organization), is refused: never routed by identifier.
    const before = await unauthorizedCount(one);
    for (const extra of ['&token=not-a-token', `&token=${va2.deviceToken}`, `&token=${vb.deviceToken}`])
      expect([extra, (await osmand(one, va.vehicle.deviceIdentifier, extra)).status]).toEqual([extra, 401]);
    expect(await unauthorizedCount(one)).toBe(before + 3);
    await waitFor(async () => (await stored(va)) === 3, { timeoutMs: 15_000, what: 'three fixes stored' });
    const attributes = await db.query<{ attributes: Record<string, unknown> }>(
      'SELECT attributes FROM positions WHERE vehicle_id = $1',
      [va.vehicle.id],
    );
    const kept = attributes.rows.map((row) => row.attributes ?? {}).find((a) => 'hdop' in a);
    expect(kept).toEqual({ hdop: 1.5 });
    for (const row of attributes.rows) expect(Object.keys(row.attributes ?? {})).not.toContain('token');
    expect(await stored(va2)).toBe(0);
    expect(await stored(vb)).toBe(0);
  });

  it('requires the token of every device of an organization that asks for it, on every replica within a second', async () => {
    const storedBefore = await stored(va);
    // Both replicas have the device cached as "identifier suffices" (the test above).
    const on = await call('admin@a', 'PATCH', '/organization', { osmandTokenRequired: true });
    expect(Organization.parse(await on.json()).osmandTokenRequired).toBe(true);
    const changedAt = Date.now();
    const refused = await osmand(one, va.vehicle.deviceIdentifier);
    expect(refused.status).toBe(401);
    expect(ErrorBody.parse(await refused.json()).error.message).toMatch(/requires its device token/);
    expect(refused.headers.get('www-authenticate')).toMatch(/^Basic/);
    let slipped = 0; // fixes the other replica still took while its cache was stale
    await waitFor(
      async () => {
        const status = (await osmand(two, va.vehicle.deviceIdentifier)).status;
        if (status === 200) slipped += 1;
        return status === 401;
      },
      { timeoutMs: 5_000, what: 'the other replica requires the token' },
    );
    expect(Date.now() - changedAt).toBeLessThan(2_500);

    const before = await unauthorizedCount(one);
    for (const res of [
      await osmand(one, va2.vehicle.deviceIdentifier),
      await traccarJson(one, va.vehicle.deviceIdentifier),
      await fetch(`${one.base}/api/v1/osmand?id=${va.vehicle.deviceIdentifier}&lat=40&lon=-3`),
      await osmand(one, va.vehicle.deviceIdentifier, '', basic(va.vehicle.deviceIdentifier, 'wrong-token')),
    ])
      expect(res.status).toBe(401);
    expect(await unauthorizedCount(one)).toBe(before + 4);

    // With the token: query string, form body, HTTP Basic password (any user name), JSON with ?token=.
    const accepted = [
      await osmand(one, va.vehicle.deviceIdentifier, `&token=${encodeURIComponent(va.deviceToken)}`),
      await osmand(two, va.vehicle.deviceIdentifier, '', basic('anyone', va.deviceToken)),
      await fetch(`${one.base}/api/v1/osmand`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: `id=${va.vehicle.deviceIdentifier}&timestamp=${++clock}&lat=40.5&lon=-3.6&token=${encodeURIComponent(va.deviceToken)}`,
      }),
      await traccarJson(two, va.vehicle.deviceIdentifier, `?token=${encodeURIComponent(va.deviceToken)}`),
    ];
    expect(accepted.map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await waitFor(async () => (await stored(va)) === storedBefore + slipped + 4, {
      timeoutMs: 15_000,
      what: 'the four fixes with a token',
    });
    expect(await stored(va2)).toBe(0);

    // Another organization's devices are not affected.
    expect((await osmand(two, vb.vehicle.deviceIdentifier)).status).toBe(200);
  });

  it('accepts the identifier alone again once the organization stops requiring tokens', async () => {
    const off = await call('admin@a', 'PATCH', '/organization', { osmandTokenRequired: false });
    expect(Organization.parse(await off.json()).osmandTokenRequired).toBe(false);
    expect((await osmand(one, va.vehicle.deviceIdentifier)).status).toBe(200);
    // The other replica has this device cached as "token required" (the test above).
    await waitFor(async () => (await osmand(two, va.vehicle.deviceIdentifier)).status === 200, {
      timeoutMs: 5_000,
      what: 'the other replica accepts the identifier alone',
    });
  });
});
