import { hashPassword } from '@fleet/auth';
import { ErrorBody, Invitation, TokenResponse, User, UserList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';

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
