import { keyId, TokenService } from '@fleet/auth';
import { SignJWT } from 'jose';
import { ErrorBody, Me, TokenResponse } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { hashPassword } from '@fleet/auth';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';

const SECRET_A = 'rotation-secret-A-0123456789-abcdefghijklmnop';
const SECRET_B = 'rotation-secret-B-0123456789-abcdefghijklmnop';
const PASSWORD = 'correct horse battery staple';

let testDb: TestDatabase;
let users: { a: string; b: string };

async function seedUsers(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const ids: string[] = [];
    for (const slug of ['alpha', 'beta']) {
      const org = await client.query('INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id', [slug]);
      const user = await client.query(
        "INSERT INTO users (organization_id, email, name, role, password_hash) VALUES ($1, $2, 'User', 'operator', $3) RETURNING id",
        [org.rows[0].id, `ops@${slug}.example`, await hashPassword(PASSWORD)],
      );
      ids.push(user.rows[0].id);
    }
    return { a: ids[0], b: ids[1] };
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  testDb = await createTestDatabase('api-auth');
  users = await seedUsers(testDb.url);
});
afterAll(() => testDb.drop());

const prefix = () => `test:auth:${process.pid}:${Math.random().toString(36).slice(2)}:`;
const start = (env: Record<string, string> = {}, keyPrefix = prefix()) =>
  startTestApi(
    { DATABASE_URL: testDb.url, JWT_SECRET: SECRET_A, LOGIN_MAX_FAILURES_PER_ACCOUNT: '3', ...env },
    { keyPrefix },
  );

function post(t: StartedApi, path: string, body: unknown, headers: Record<string, string> = {}) {
  return fetch(`${t.base}/api/v1${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}
const me = (t: StartedApi, token: string) =>
  fetch(`${t.base}/api/v1/auth/me`, { headers: { authorization: `Bearer ${token}` } });
const login = async (t: StartedApi, email = 'ops@alpha.example', client: 'web' | 'mobile' = 'mobile') => {
  const res = await post(t, '/auth/login', { email, password: PASSWORD, client });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('fleet_refresh=')) ?? '';
  return { body: TokenResponse.parse(await res.json()), cookie };
};

describe('sign-in and sessions', () => {
  jest.setTimeout(60_000);
  let t: StartedApi;
  beforeAll(async () => {
    t = await start();
  });
  afterAll(() => t.api.stop());

  it('signs in with email and password and answers who the caller is', async () => {
    const { body } = await login(t);
    expect(body.user).toMatchObject({ email: 'ops@alpha.example', role: 'operator', organization: { name: 'alpha' } });
    expect(body.expiresIn).toBe(900);
    const res = await me(t, body.accessToken);
    expect(res.status).toBe(200);
    expect(Me.parse(await res.json()).id).toBe(users.a);
  });

  it('gives the web client an httpOnly, SameSite refresh cookie and no refresh token in the body', async () => {
    const { body, cookie } = await login(t, 'ops@alpha.example', 'web');
    expect(body.refreshToken).toBeUndefined();
    expect(cookie).toMatch(
      /^fleet_refresh=[^;]+; Max-Age=\d+; Path=\/api\/v1\/auth; Expires=[^;]+; HttpOnly; SameSite=Strict$/,
    );
    const refreshed = await post(t, '/auth/refresh', {}, { cookie: cookie.split(';')[0] });
    expect(refreshed.status).toBe(200);
  });

  it('refuses a wrong password and an unknown account with the same 401', async () => {
    const wrong = await post(t, '/auth/login', { email: 'ops@beta.example', password: 'nope' });
    const unknown = await post(t, '/auth/login', { email: 'nobody@beta.example', password: 'nope' });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(ErrorBody.parse(await wrong.json()).error.message).toBe(ErrorBody.parse(await unknown.json()).error.message);
  });

  it('rotates refresh tokens, and revokes the whole family when an old one is used again', async () => {
    const { body } = await login(t);
    const first = body.refreshToken!;
    const r1 = await post(t, '/auth/refresh', { refreshToken: first, client: 'mobile' });
    expect(r1.status).toBe(200);
    const second = TokenResponse.parse(await r1.json()).refreshToken!;
    expect(second).not.toBe(first);
    const reuse = await post(t, '/auth/refresh', { refreshToken: first, client: 'mobile' });
    expect(reuse.status).toBe(401);
    expect(ErrorBody.parse(await reuse.json()).error.message).toMatch(/already used/);
    // The thief's use revoked the legitimate successor too.
    expect((await post(t, '/auth/refresh', { refreshToken: second, client: 'mobile' })).status).toBe(401);
  });

  it('signs out: the refresh token stops working', async () => {
    const { body } = await login(t);
    expect((await post(t, '/auth/logout', { refreshToken: body.refreshToken })).status).toBe(204);
    expect((await post(t, '/auth/refresh', { refreshToken: body.refreshToken, client: 'mobile' })).status).toBe(401);
  });

  it('refuses tampered, expired, unsigned and foreign-key tokens with 401', async () => {
    const { body } = await login(t);
    const [h, p, s] = body.accessToken.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = `${h}.${Buffer.from(JSON.stringify({ ...payload, org: 'someone-else', role: 'admin' })).toString('base64url')}.${s}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${p}.`;
    const expired = await new TokenService({ secret: SECRET_A }).sign(
      { sub: users.a, org: payload.org, role: 'admin', sv: 0 },
      { ttlSeconds: 60, now: Date.now() - 3_600_000 },
    );
    const foreign = await new TokenService({ secret: 'some-other-secret-0123456789-abcdefghijk' }).sign({
      sub: users.a,
      org: payload.org,
      role: 'admin',
      sv: 0,
    });
    // Well signed with the real secret, but without `exp`: it would never expire.
    const forever = await new SignJWT({ org: payload.org, role: 'admin', sv: 0 })
      .setProtectedHeader({ alg: 'HS256', kid: keyId(SECRET_A) })
      .setSubject(users.a)
      .setIssuer('fleet')
      .setAudience('fleet-api')
      .setIssuedAt()
      .sign(new TextEncoder().encode(SECRET_A));
    for (const token of [tampered, none, expired, foreign, forever, 'garbage']) {
      const res = await me(t, token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expect(ErrorBody.parse(await (await me(t, expired)).json()).error.message).toMatch(/expired/);
  });

  it('changes the password: every session ends at once (access tokens too), the caller gets a fresh one', async () => {
    const other = await login(t, 'ops@beta.example');
    const elsewhere = await login(t, 'ops@beta.example');
    const res = await post(
      t,
      '/auth/password',
      { currentPassword: PASSWORD, newPassword: 'a brand new passphrase', client: 'mobile' },
      { authorization: `Bearer ${other.body.accessToken}` },
    );
    expect(res.status).toBe(200);
    const fresh = TokenResponse.parse(await res.json());
    expect((await post(t, '/auth/refresh', { refreshToken: other.body.refreshToken, client: 'mobile' })).status).toBe(
      401,
    );
    for (const old of [other.body.accessToken, elsewhere.body.accessToken]) {
      const refused = await me(t, old);
      expect(refused.status).toBe(401);
      expect(ErrorBody.parse(await refused.json()).error.message).toMatch(/revoked/);
    }
    expect((await me(t, fresh.accessToken)).status).toBe(200);
    expect((await post(t, '/auth/refresh', { refreshToken: fresh.refreshToken, client: 'mobile' })).status).toBe(200);
    expect(
      (await post(t, '/auth/login', { email: 'ops@beta.example', password: 'a brand new passphrase' })).status,
    ).toBe(200);
    const weak = await post(
      t,
      '/auth/password',
      { currentPassword: 'a brand new passphrase', newPassword: 'short' },
      { authorization: `Bearer ${fresh.accessToken}` },
    );
    expect(ErrorBody.parse(await weak.json()).error.details?.[0]?.path).toBe('newPassword');
  });
});

describe('brute force', () => {
  jest.setTimeout(60_000);

  it('limits failed sign-ins per account with 429 and Retry-After, across API replicas', async () => {
    const keyPrefix = prefix();
    const replicas = [await start({}, keyPrefix), await start({}, keyPrefix)];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await post(replicas[i % 2], '/auth/login', { email: 'ops@alpha.example', password: `guess-${i}` });
        statuses.push(res.status);
        if (res.status === 429) expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
      // Even the right password waits out the window.
      expect((await post(replicas[0], '/auth/login', { email: 'ops@alpha.example', password: PASSWORD })).status).toBe(
        429,
      );
    } finally {
      for (const r of replicas) await r.api.stop();
    }
  });

  it('checks at most 5 passwords for 200 parallel sign-ins to one account from rotating addresses, then refuses the right password', async () => {
    const keyPrefix = prefix();
    const env = { LOGIN_MAX_FAILURES_PER_ACCOUNT: '5', LOGIN_MAX_ATTEMPTS_PER_IP: '1000' };
    const replicas = [await start(env, keyPrefix), await start(env, keyPrefix)];
    const checks = async () => {
      let total = 0;
      for (const r of replicas) {
        const text = await (await fetch(`${r.base}/metrics`)).text();
        total += Number(/^auth_password_checks_total(?:\{[^}]*\})? (\d+)$/m.exec(text)?.[1] ?? 'NaN');
      }
      return total;
    };
    try {
      const before = await checks();
      // The attacker's guesses, spread over both replicas and over 200 claimed client addresses.
      const responses = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          post(
            replicas[i % 2],
            '/auth/login',
            { email: 'ops@alpha.example', password: `guess-${i}` },
            { 'x-forwarded-for': `203.0.113.${i % 250}` },
          ),
        ),
      );
      const statuses = responses.map((r) => r.status);
      const checked = (await checks()) - before;
      expect(checked).toBeLessThanOrEqual(5);
      expect(statuses.filter((s) => s === 401).length).toBe(checked);
      expect(statuses.filter((s) => s === 429).length).toBe(200 - checked);
      for (const r of responses.filter((x) => x.status === 429))
        expect(Number(r.headers.get('retry-after'))).toBeGreaterThan(0);
      // Locked: even the right password is refused, without being checked.
      const right = await post(replicas[1], '/auth/login', { email: 'ops@alpha.example', password: PASSWORD });
      expect(right.status).toBe(429);
      expect(await checks()).toBe(before + checked);
    } finally {
      for (const r of replicas) await r.api.stop();
    }
  });

  it('ignores a client’s X-Forwarded-For by default: rotating it does not reset the per-IP limit', async () => {
    const t = await start({ LOGIN_MAX_ATTEMPTS_PER_IP: '3' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          (
            await post(
              t,
              '/auth/login',
              { email: `xff${i}@alpha.example`, password: 'x' },
              { 'x-forwarded-for': `198.51.100.${i + 1}` },
            )
          ).status,
        );
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await t.api.stop();
    }
    // Behind the gateway (TRUST_PROXY=1 in compose and Helm), its X-Forwarded-For names the client.
    const behind = await start({ LOGIN_MAX_ATTEMPTS_PER_IP: '3', TRUST_PROXY: '1' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++)
        statuses.push(
          (
            await post(
              behind,
              '/auth/login',
              { email: `gw${i}@alpha.example`, password: 'x' },
              { 'x-forwarded-for': `198.51.100.${i + 1}` },
            )
          ).status,
        );
      expect(statuses).toEqual([401, 401, 401, 401, 401]);
    } finally {
      await behind.api.stop();
    }
  });

  it('limits attempts per client IP', async () => {
    const t = await start({ LOGIN_MAX_ATTEMPTS_PER_IP: '4' });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push((await post(t, '/auth/login', { email: `user${i}@alpha.example`, password: 'x' })).status);
      expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    } finally {
      await t.api.stop();
    }
  });
});

describe('JWT secret rotation drill (double publication)', () => {
  jest.setTimeout(60_000);

  it('keeps sessions through step 1 and refuses old tokens after step 2', async () => {
    const keyPrefix = prefix();
    const before = await start({ JWT_SECRET: SECRET_A }, keyPrefix);
    const { body } = await login(before);
    await before.api.stop();

    // Step 1: new secret published, the old one kept as previous; restart.
    const step1 = await start({ JWT_SECRET: SECRET_B, JWT_SECRET_PREVIOUS: SECRET_A }, keyPrefix);
    expect((await me(step1, body.accessToken)).status).toBe(200);
    const refreshed = await post(step1, '/auth/refresh', { refreshToken: body.refreshToken, client: 'mobile' });
    expect(refreshed.status).toBe(200);
    const newAccess = TokenResponse.parse(await refreshed.json()).accessToken;
    await step1.api.stop();

    // Step 2: the previous secret is withdrawn; restart.
    const step2 = await start({ JWT_SECRET: SECRET_B }, keyPrefix);
    try {
      expect((await me(step2, body.accessToken)).status).toBe(401);
      expect((await me(step2, newAccess)).status).toBe(200);
    } finally {
      await step2.api.stop();
    }
  });
});
