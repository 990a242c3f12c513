import { hashPassword } from '@fleet/auth';
import { ErrorBody, Invitation, TokenResponse, User, UserList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { spawnSource, startOwnRedis } from '@fleet/runtime/testing';
import IORedis from 'ioredis';
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';
import { openSse } from './testing/sse';

const PASSWORD = 'users-test-password';
let testDb: TestDatabase;
let t: StartedApi;
const tokens: Record<string, string> = {};
const ids: Record<string, string> = {};

beforeAll(async () => {
  testDb = await createTestDatabase('api-users');
  const client = new pg.Client({ connectionString: testDb.url });
  await client.connect();
  const hash = await hashPassword(PASSWORD);
  for (const slug of ['a', 'b']) {
    const org = await client.query('INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id', [
      `users-${slug}`,
    ]);
    for (const role of ['admin', 'viewer']) {
      const u = await client.query(
        'INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id',
        [org.rows[0].id, `${role}@u${slug}.example`, role, hash],
      );
      ids[`${role}@${slug}`] = u.rows[0].id;
    }
  }
  await client.end();
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:users:${process.pid}:` });
  for (const key of Object.keys(ids)) {
    const [role, slug] = key.split('@');
    const res = await fetch(`${t.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: `${role}@u${slug}.example`, password: PASSWORD, client: 'mobile' }),
    });
    tokens[key] = TokenResponse.parse(await res.json()).accessToken;
  }
});
afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

const call = (as: string | undefined, method: string, path: string, body?: unknown) =>
  fetch(`${t.base}/api/v1${path}`, {
    method,
    headers: {
      ...(as && { authorization: `Bearer ${tokens[as]}` }),
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('users and invitations', () => {
  jest.setTimeout(30_000);

  it('invites a user who accepts, signs in with the invited role, and is listed to admins only', async () => {
    const inv = await call('admin@a', 'POST', '/users/invitations', {
      email: 'new.operator@ua.example',
      name: 'Nova',
      role: 'operator',
    });
    expect(inv.status).toBe(201);
    const invitation = Invitation.parse(await inv.json());
    const accepted = await call(undefined, 'POST', '/auth/accept-invitation', {
      token: invitation.token,
      password: 'a long enough password',
    });
    expect(accepted.status).toBe(201);
    expect(User.parse(await accepted.json())).toMatchObject({
      email: 'new.operator@ua.example',
      role: 'operator',
      name: 'Nova',
    });
    expect(
      (
        await call(undefined, 'POST', '/auth/accept-invitation', {
          token: invitation.token,
          password: 'a long enough password',
        })
      ).status,
    ).toBe(404);
    const login = await fetch(`${t.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'new.operator@ua.example', password: 'a long enough password' }),
    });
    expect(TokenResponse.parse(await login.json()).user.role).toBe('operator');
    const list = UserList.parse(await (await call('admin@a', 'GET', '/users')).json());
    expect(list.items.map((u) => u.email)).toContain('new.operator@ua.example');
    expect(list.items.map((u) => u.email)).not.toContain('admin@ub.example');
    expect((await call('viewer@a', 'GET', '/users')).status).toBe(403);
    const page = UserList.parse(await (await call('admin@a', 'GET', '/users?role=operator&limit=1')).json());
    expect(page).toMatchObject({ total: 1, limit: 1, offset: 0 });
    expect(page.items[0]?.email).toBe('new.operator@ua.example');
    for (const injection of ["' OR 1=1 --", "x%' OR email LIKE '%"]) {
      const res = await call('admin@a', 'GET', `/users?q=${encodeURIComponent(injection)}`);
      expect(res.status).toBe(200);
      expect(UserList.parse(await res.json()).items).toHaveLength(0);
    }
    expect((await call('admin@a', 'GET', `/users?role=${encodeURIComponent("admin' OR '1'='1")}`)).status).toBe(400);
    expect(
      (await call('viewer@a', 'POST', '/users/invitations', { email: 'x@ua.example', role: 'admin' })).status,
    ).toBe(403);
  });

  it('changes roles and disables users (their sessions end), but never lets an admin lock themselves out', async () => {
    const refresh = await fetch(`${t.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'viewer@ua.example', password: PASSWORD, client: 'mobile' }),
    });
    const viewerRefresh = TokenResponse.parse(await refresh.json()).refreshToken;
    const disabled = await call('admin@a', 'PATCH', `/users/${ids['viewer@a']}`, { disabled: true });
    expect(User.parse(await disabled.json()).disabled).toBe(true);
    expect(
      (await call(undefined, 'POST', '/auth/refresh', { refreshToken: viewerRefresh, client: 'mobile' })).status,
    ).toBe(401);
    const relogin = await fetch(`${t.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'viewer@ua.example', password: PASSWORD }),
    });
    expect(relogin.status).toBe(401);
    const self = await call('admin@a', 'PATCH', `/users/${ids['admin@a']}`, { role: 'viewer' });
    expect(self.status).toBe(409);
    expect(ErrorBody.parse(await self.json()).error.code).toBe('conflict');
  });

  it('answers 404 for users of another organization and refuses a member of its own', async () => {
    expect((await call('admin@a', 'PATCH', `/users/${ids['viewer@b']}`, { role: 'admin' })).status).toBe(404);
    // Another organization's email is invited like a fresh one (identifiers.int-spec.ts): no existence answer.
    const dup = await call('admin@a', 'POST', '/users/invitations', { email: 'VIEWER@ua.example', role: 'viewer' });
    expect(dup.status).toBe(409);
  });
});

describe('immediate revocation', () => {
  jest.setTimeout(60_000);
  const keyPrefix = `test:users:${process.pid}:`;
  let db: pg.Pool;
  let redis: IORedis;
  let orgA: string;

  beforeAll(async () => {
    db = new pg.Pool({ connectionString: testDb.url, max: 2 });
    redis = new IORedis(t.config.redis.url, { keyPrefix });
    orgA = (await db.query<{ id: string }>("SELECT id FROM organizations WHERE name = 'users-a'")).rows[0].id;
  });
  afterAll(async () => {
    await db?.end();
    redis?.disconnect();
  });

  /** A new user of organization a, signed in: its id and access token. */
  async function signedIn(role: 'admin' | 'operator' | 'viewer', base = t.base) {
    const email = `${role}-${randomUUID().slice(0, 8)}@ua.example`;
    const { rows } = await db.query<{ id: string }>(
      'INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, $3, $4) RETURNING id',
      [orgA, email, role, await hashPassword(PASSWORD)],
    );
    const res = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: PASSWORD, client: 'mobile' }),
    });
    expect(res.status).toBe(200);
    return { id: rows[0].id, email, ...TokenResponse.parse(await res.json()) };
  }
  const meOf = (token: string, base = t.base) =>
    fetch(`${base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
  const expectRevoked = async (res: Response) => {
    expect(res.status).toBe(401);
    expect(ErrorBody.parse(await res.json()).error.message).toMatch(/revoked/);
  };

  it('disables a signed-in user: their next request is 401 on every replica, and their live stream (on another replica) closes within 1 s', async () => {
    const other = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix });
    try {
      const user = await signedIn('operator');
      expect((await meOf(user.accessToken, other.base)).status).toBe(200);
      const stream = await openSse(`${other.base}/api/v1/live`, { authorization: `Bearer ${user.accessToken}` });
      expect(stream.status).toBe(200);
      await stream.waitFor(() => stream.retry !== undefined, 'the stream to open');
      let endedAt = 0;
      void stream.ended.then(() => (endedAt = Date.now()));

      const res = await call('admin@a', 'PATCH', `/users/${user.id}`, { disabled: true });
      const answeredAt = Date.now();
      expect(res.status).toBe(200);
      await Promise.race([stream.ended, new Promise((r) => setTimeout(r, 1_000))]);
      expect(endedAt).toBeGreaterThan(0);
      expect(endedAt - answeredAt).toBeLessThan(1_000);
      expect(stream.events.at(-1)?.event).toBe('revoked');
      await expectRevoked(await meOf(user.accessToken));
      await expectRevoked(await meOf(user.accessToken, other.base));
      expect(
        (await call(undefined, 'POST', '/auth/refresh', { refreshToken: user.refreshToken, client: 'mobile' })).status,
      ).toBe(401);
      const reopen = await openSse(`${other.base}/api/v1/live`, { authorization: `Bearer ${user.accessToken}` });
      expect(reopen.status).toBe(401);
      reopen.close();
    } finally {
      await other.api.stop();
    }
  });

  it('demotes an operator: their next request is 401 and a new sign-in carries the new role', async () => {
    const user = await signedIn('operator');
    const created = await fetch(`${t.base}/api/v1/vehicles`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Demoted van' }),
    });
    expect(created.status).toBe(201);
    const vehicle = (await created.json()) as { id: string };
    expect((await call('admin@a', 'PATCH', `/users/${user.id}`, { role: 'viewer' })).status).toBe(200);
    // GPX upload by a signed-in user checks the session too.
    const gpx = await fetch(`${t.base}/api/v1/vehicles/${vehicle.id}/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/gpx+xml' },
      body: '<?xml version="1.0"?><gpx version="1.1" creator="t"><trk><trkseg></trkseg></trk></gpx>',
    });
    expect(gpx.status).toBe(401);
    await expectRevoked(
      await fetch(`${t.base}/api/v1/vehicles`, {
        method: 'POST',
        headers: { authorization: `Bearer ${user.accessToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'Another van' }),
      }),
    );
    const again = await fetch(`${t.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: PASSWORD }),
    });
    expect(TokenResponse.parse(await again.json()).user.role).toBe('viewer');
    // A change that takes nothing away (a new name) leaves sessions alone.
    const kept = await signedIn('viewer');
    expect((await call('admin@a', 'PATCH', `/users/${kept.id}`, { name: 'Renamed', role: 'viewer' })).status).toBe(200);
    expect((await meOf(kept.accessToken)).status).toBe(200);
  });

  it('deletes a user (admin): 204, their token refused at once; not yourself, not another organization’s, not as a viewer', async () => {
    const user = await signedIn('viewer');
    expect((await call('viewer@b', 'DELETE', `/users/${user.id}`)).status).toBe(403);
    expect((await call('admin@b', 'DELETE', `/users/${user.id}`)).status).toBe(404);
    expect((await call('admin@a', 'DELETE', `/users/${ids['admin@a']}`)).status).toBe(409);
    expect((await call('admin@a', 'DELETE', '/users/not-a-uuid')).status).toBe(404);
    expect((await meOf(user.accessToken)).status).toBe(200);
    expect((await call('admin@a', 'DELETE', `/users/${user.id}`)).status).toBe(204);
    await expectRevoked(await meOf(user.accessToken));
    expect((await call('admin@a', 'DELETE', `/users/${user.id}`)).status).toBe(404);
    const list = UserList.parse(await (await call('admin@a', 'GET', '/users?limit=500')).json());
    expect(list.items.map((u) => u.id)).not.toContain(user.id);
  });

  it('deletes a user from the command line (nx run api:delete-user), never the last admin', async () => {
    const user = await signedIn('operator');
    const env = { DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: keyPrefix };
    const run = (args: string[]) => {
      const child = spawnSource('apps/api/src/cli/delete-user.ts', env, args);
      return child.exited.then((code) => ({ code, output: child.output() }));
    };
    const deleted = await run([`--email=${user.email.toUpperCase()}`]);
    expect(deleted.output).toContain(user.id);
    expect(deleted.code).toBe(0);
    await expectRevoked(await meOf(user.accessToken));
    const last = await run(['--email=admin@ub.example']);
    expect(last.code).toBe(1);
    expect(last.output).toMatch(/last admin/);
    expect((await call('admin@b', 'GET', '/users')).status).toBe(200);
    expect((await run(['--email=nobody@ua.example'])).code).toBe(1);
  });

  it('ends a revoked user’s live stream even when the announcement was missed (periodic session check)', async () => {
    const api = await startTestApi({ DATABASE_URL: testDb.url, LIVE_SESSION_CHECK_SECONDS: '0.2' }, { keyPrefix });
    try {
      const user = await signedIn('viewer', api.base);
      const stream = await openSse(`${api.base}/api/v1/live`, { authorization: `Bearer ${user.accessToken}` });
      expect(stream.status).toBe(200);
      await stream.waitFor(() => stream.retry !== undefined, 'the stream to open');
      // Raised behind the API's back: no announcement on the channel.
      await db.query('UPDATE users SET session_version = session_version + 1 WHERE id = $1', [user.id]);
      await redis.del(`auth:sv:${user.id}`);
      const started = Date.now();
      await Promise.race([stream.ended, new Promise((r) => setTimeout(r, 3_000))]);
      expect(Date.now() - started).toBeLessThan(2_000);
      expect(stream.events.at(-1)?.event).toBe('revoked');
    } finally {
      await api.api.stop();
    }
  });

  it('falls back to PostgreSQL when Redis lacks the session version', async () => {
    const user = await signedIn('viewer');
    expect((await meOf(user.accessToken)).status).toBe(200);
    // Raised behind the API's back, cache dropped: PostgreSQL decides.
    await db.query('UPDATE users SET session_version = session_version + 1 WHERE id = $1', [user.id]);
    await redis.del(`auth:sv:${user.id}`);
    await expectRevoked(await meOf(user.accessToken));
  });

  it('checks sessions against PostgreSQL while Redis is down: revoked tokens stay refused, current ones work', async () => {
    const own = await startOwnRedis();
    const api = await startTestApi({ DATABASE_URL: testDb.url, REDIS_URL: own.url }, { keyPrefix: 'revocation-down:' });
    try {
      const kept = await signedIn('viewer', api.base);
      const gone = await signedIn('viewer', api.base);
      await own.stop();
      await db.query('UPDATE users SET session_version = session_version + 1 WHERE id = $1', [gone.id]);
      expect((await meOf(kept.accessToken, api.base)).status).toBe(200);
      await expectRevoked(await meOf(gone.accessToken, api.base));
    } finally {
      await api.api.stop();
      await own.destroy();
    }
  });
});
