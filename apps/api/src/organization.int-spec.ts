import {
  ErrorBody,
  Organization,
  OrganizationCreated,
  PlatformOrganizationList,
  TokenResponse,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { runSource } from '@fleet/runtime/testing';
import pg from 'pg';
import { loadApiConfig } from './config';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

let testDb: TestDatabase;
let t: StartedApi;
let tokens: Record<string, string>;
let orgs: Record<string, string>;

beforeAll(async () => {
  testDb = await createTestDatabase('api-organization');
  orgs = await seedOrganizations(testDb.url, ['a', 'b']);
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:organization:${process.pid}:` });
  tokens = await loginAll(t.base, ['a', 'b']);
});

afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

const call = (as: string, method: string, body?: unknown) => apiCall(t.base, tokens[as], method, '/organization', body);
const read = async (as: string) => {
  const res = await call(as, 'GET');
  expect(res.status).toBe(200);
  return Organization.parse(await res.json());
};

describe('organization settings', () => {
  jest.setTimeout(30_000);

  it('shows every member their own organization, keeping everything by default', async () => {
    for (const role of ['admin', 'operator', 'viewer'])
      expect(await read(`${role}@a`)).toMatchObject({
        id: orgs['a'],
        name: 'org-a',
        slug: 'org-a',
        positionRetentionDays: null,
        eventRetentionDays: null,
      });
    expect((await read('viewer@b')).id).toBe(orgs['b']);
    expect((await apiCall(t.base, undefined, 'GET', '/organization')).status).toBe(401);
  });

  it('lets an admin set and clear retention, for their organization only', async () => {
    const res = await call('admin@a', 'PATCH', { positionRetentionDays: 90, eventRetentionDays: 365 });
    expect(res.status).toBe(200);
    expect(Organization.parse(await res.json())).toMatchObject({ positionRetentionDays: 90, eventRetentionDays: 365 });
    expect(await read('viewer@a')).toMatchObject({ positionRetentionDays: 90, eventRetentionDays: 365 });
    expect(await read('viewer@b')).toMatchObject({ positionRetentionDays: null, eventRetentionDays: null });

    const renamed = Organization.parse(await (await call('admin@a', 'PATCH', { name: 'Acme Logistics' })).json());
    expect(renamed).toMatchObject({ name: 'Acme Logistics', positionRetentionDays: 90, eventRetentionDays: 365 });
    const cleared = Organization.parse(await (await call('admin@a', 'PATCH', { positionRetentionDays: null })).json());
    expect(cleared).toMatchObject({ positionRetentionDays: null, eventRetentionDays: 365 });
  });

  it('refuses non-admins (403) and bad values (400 naming the field)', async () => {
    for (const as of ['operator@a', 'viewer@a'])
      expect((await call(as, 'PATCH', { positionRetentionDays: 1 })).status).toBe(403);
    for (const [body, path] of [
      [{ positionRetentionDays: 0 }, 'positionRetentionDays'],
      [{ positionRetentionDays: -5 }, 'positionRetentionDays'],
      [{ positionRetentionDays: 1.5 }, 'positionRetentionDays'],
      [{ eventRetentionDays: '30' }, 'eventRetentionDays'],
      [{ eventRetentionDays: 40_000 }, 'eventRetentionDays'],
      [{ name: '' }, 'name'],
      [{ slug: 'mine' }, 'slug'],
    ] as const) {
      const res = await call('admin@a', 'PATCH', body);
      expect(res.status).toBe(400);
      expect(ErrorBody.parse(await res.json()).error.details?.map((d) => d.path)).toContain(path);
    }
    expect(await read('admin@a')).toMatchObject({ positionRetentionDays: null, eventRetentionDays: 365 });
  });
});

describe('the OsmAnd token setting', () => {
  jest.setTimeout(30_000);

  it('is off by default and switched by an admin only, naming a bad value', async () => {
    expect(await read('viewer@a')).toMatchObject({ osmandTokenRequired: false });
    expect((await call('operator@a', 'PATCH', { osmandTokenRequired: true })).status).toBe(403);
    const bad = await call('admin@a', 'PATCH', { osmandTokenRequired: 'yes' });
    expect(bad.status).toBe(400);
    expect(ErrorBody.parse(await bad.json()).error.details?.map((d) => d.path)).toEqual(['osmandTokenRequired']);
    const on = await call('admin@a', 'PATCH', { osmandTokenRequired: true });
    expect(Organization.parse(await on.json()).osmandTokenRequired).toBe(true);
    // The other settings are untouched, and other organizations keep theirs.
    expect(await read('viewer@a')).toMatchObject({ osmandTokenRequired: true, eventRetentionDays: 365 });
    expect(await read('viewer@b')).toMatchObject({ osmandTokenRequired: false });
    const off = await call('admin@a', 'PATCH', { osmandTokenRequired: false, name: 'Acme Logistics' });
    expect(Organization.parse(await off.json())).toMatchObject({ osmandTokenRequired: false, name: 'Acme Logistics' });
  });
});

describe('platform administration', () => {
  jest.setTimeout(60_000);
  const ADMIN_TOKEN = 'pl4tf0rm-t0ken-for-tests-Qx7Vb2Nm9Kd3';
  let p: StartedApi;
  const platform = (method: string, token: string | undefined, body?: unknown, base = p.base) =>
    apiCall(base, token, method, '/platform/organizations', body);
  const orgCount = async () =>
    PlatformOrganizationList.parse(await (await platform('GET', ADMIN_TOKEN)).json()).items.length;
  const login = (email: string, password: string) =>
    fetch(`${t.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });

  beforeAll(async () => {
    p = await startTestApi(
      { DATABASE_URL: testDb.url, PLATFORM_ADMIN_TOKEN: ADMIN_TOKEN },
      { keyPrefix: `test:platform:${process.pid}:` },
    );
  });
  afterAll(async () => {
    await p?.api.stop();
  });

  it('does not exist without PLATFORM_ADMIN_TOKEN: the same 404 as an unknown path', async () => {
    for (const method of ['GET', 'POST']) {
      const res = await platform(method, ADMIN_TOKEN, method === 'POST' ? {} : undefined, t.base);
      expect(res.status).toBe(404);
      expect(ErrorBody.parse(await res.json()).error).toEqual({
        code: 'not_found',
        message: `no route for ${method} /api/v1/platform/organizations`,
      });
    }
    const unknown = await apiCall(t.base, ADMIN_TOKEN, 'GET', '/platform/nothing-here');
    expect(ErrorBody.parse(await unknown.json()).error.code).toBe('not_found');
  });

  it('refuses anyone without the platform token, an organization admin included', async () => {
    const wrong = ADMIN_TOKEN.slice(0, -1) + (ADMIN_TOKEN.endsWith('x') ? 'y' : 'x');
    for (const token of [undefined, wrong, 'short', tokens['admin@a']]) {
      for (const method of ['GET', 'POST']) {
        const body = method === 'POST' ? { name: 'Intruder', adminEmail: 'intruder@evil.example' } : undefined;
        const res = await platform(method, token, body);
        expect([method, res.status]).toEqual([method, 401]);
        expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      }
    }
    const basic = await fetch(`${p.base}/api/v1/platform/organizations`, {
      headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_TOKEN}`).toString('base64')}` },
    });
    expect(basic.status).toBe(401);
    const all = PlatformOrganizationList.parse(await (await platform('GET', ADMIN_TOKEN)).json()).items;
    expect(all.map((o) => o.name)).not.toContain('Intruder');
  });

  it('creates an organization with its first admin, who signs in with the password shown once', async () => {
    const res = await platform('POST', ADMIN_TOKEN, { name: 'Ærø Logística', adminEmail: 'Boss@aero.example' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const created = OrganizationCreated.parse(await res.json());
    expect(created.organization).toMatchObject({
      name: 'Ærø Logística',
      slug: 'aero-logistica',
      osmandTokenRequired: false,
    });
    expect(created.admin).toMatchObject({ email: 'Boss@aero.example', role: 'admin' });
    expect(created.generatedPassword).toMatch(/^[\w-]{24}$/);

    const signIn = await login('boss@aero.example', created.generatedPassword!);
    expect(signIn.status).toBe(200);
    const access = TokenResponse.parse(await signIn.json()).accessToken;
    const own = Organization.parse(await (await apiCall(t.base, access, 'GET', '/organization')).json());
    expect(own.id).toBe(created.organization.id);
    // A full admin of the new organization: may invite and change its settings.
    expect((await apiCall(t.base, access, 'PATCH', '/organization', { eventRetentionDays: 30 })).status).toBe(200);

    const listed = PlatformOrganizationList.parse(await (await platform('GET', ADMIN_TOKEN)).json()).items;
    expect(listed.find((o) => o.id === created.organization.id)).toMatchObject({ users: 1, vehicles: 0 });
    expect(listed.find((o) => o.id === orgs['a'])).toMatchObject({ users: 3 });
  });

  it('derives a free slug, keeps a chosen one, and refuses taken slugs and emails without creating anything', async () => {
    const make = (body: Record<string, unknown>) => platform('POST', ADMIN_TOKEN, body);
    const first = OrganizationCreated.parse(
      await (await make({ name: 'Twin Fleet', adminEmail: 'one@twin.example', adminPassword: 'long-enough-1' })).json(),
    );
    const second = OrganizationCreated.parse(
      await (await make({ name: 'Twin  fleet!', adminEmail: 'two@twin.example' })).json(),
    );
    expect([first.organization.slug, second.organization.slug]).toEqual(['twin-fleet', 'twin-fleet-2']);
    expect(first.generatedPassword).toBeUndefined();
    expect((await login('one@twin.example', 'long-enough-1')).status).toBe(200);
    const chosen = await make({ name: 'Other', slug: 'other-co', adminEmail: 'x@other.example' });
    expect(OrganizationCreated.parse(await chosen.json()).organization.slug).toBe('other-co');

    const before = await orgCount();
    for (const [body, path] of [
      [{ name: 'Again', slug: 'twin-fleet', adminEmail: 'three@twin.example' }, 'slug'],
      [{ name: 'Steal', adminEmail: 'ADMIN@a.example' }, 'adminEmail'],
    ] as const) {
      const res = await make(body);
      expect(res.status).toBe(409);
      expect(ErrorBody.parse(await res.json()).error.details?.map((d) => d.path)).toEqual([path]);
    }
    expect(await orgCount()).toBe(before);
    expect((await login('three@twin.example', 'whatever-password')).status).toBe(401);
  });

  it('refuses bad input with 400 naming each field', async () => {
    const before = await orgCount();
    for (const [body, paths] of [
      [{ name: '', adminEmail: 'a@b.example' }, ['name']],
      [{ name: 'Nul\u0000Org', adminEmail: 'a@b.example' }, ['name']],
      [{ name: 'Ok', adminEmail: 'not-an-email' }, ['adminEmail']],
      [{ name: 'Ok', adminEmail: 'a@b.example', adminPassword: 'short' }, ['adminPassword']],
      [{ name: 'Ok', adminEmail: 'a@b.example', slug: 'Bad Slug' }, ['slug']],
      [{ name: 'Ok', adminEmail: 'a@b.example', role: 'admin' }, ['role']],
      [{}, ['name', 'adminEmail']],
    ] as const) {
      const res = await platform('POST', ADMIN_TOKEN, body);
      expect([JSON.stringify(body), res.status]).toEqual([JSON.stringify(body), 400]);
      // (NUL is refused by the API's input guard, which names the field `body.name`.)
      const named = ErrorBody.parse(await res.json()).error.details?.map((d) => d.path.replace(/^body\./, ''));
      expect(named).toEqual(paths);
    }
    expect(await orgCount()).toBe(before);
  });

  it('refuses to start in production with a weak platform token, naming it', () => {
    const env = { APP_ENV: 'production', JWT_SECRET: 'Zr8Qp1vX4mN7cT2wL9yB5kH3sD6aGfJe' };
    const weakTokens = [
      'short',
      'change-me-change-me-change-me-change-me',
      'x'.repeat(40),
      'passwordpasswordpasswordpassword', // 32 characters, but guessable
    ];
    for (const weak of weakTokens)
      expect(() => loadApiConfig({ ...env, PLATFORM_ADMIN_TOKEN: weak })).toThrow(/PLATFORM_ADMIN_TOKEN/);
    expect(loadApiConfig({ ...env, PLATFORM_ADMIN_TOKEN: ADMIN_TOKEN }).platform.adminToken).toBe(ADMIN_TOKEN);
    expect(loadApiConfig(env).platform.adminToken).toBeUndefined();
  });
});

describe('nx run api:create-organization (the CLI, run as a process)', () => {
  jest.setTimeout(60_000);
  const CLI = 'apps/api/src/cli/create-organization.ts';
  const run = (args: string[]) => runSource(CLI, { DATABASE_URL: testDb.url, APP_ENV: 'test' }, args);
  const orgsNamed = async (name: string) => {
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    try {
      return (await client.query('SELECT id FROM organizations WHERE name = $1', [name])).rowCount;
    } finally {
      await client.end();
    }
  };
  const login = (email: string, password: string) =>
    fetch(`${t.base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password }),
    });

  it('creates an organization and its admin, printing a generated password once', async () => {
    const res = run(['--name', 'Cli Freight', '--admin-email', 'admin@cli.example']);
    expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: '' });
    expect(res.stdout).toMatch(/created organization "Cli Freight" \(slug cli-freight, id [0-9a-f-]{36}\)/);
    const password = /admin password \(shown this once[^)]*\): (\S+)/.exec(res.stdout)?.[1];
    expect(password).toBeDefined();
    expect((await login('admin@cli.example', password!)).status).toBe(200);
  });

  it('takes a given password and prints JSON with --json', async () => {
    const res = run([
      '--name=Cli Two',
      '--admin-email=two@cli.example',
      '--admin-password=cli-password-2',
      '--admin-name=Two',
      '--json',
    ]);
    expect(res.status).toBe(0);
    const created = OrganizationCreated.parse(JSON.parse(res.stdout));
    expect(created).toMatchObject({ organization: { name: 'Cli Two', slug: 'cli-two' }, admin: { role: 'admin' } });
    expect(created.generatedPassword).toBeUndefined();
    expect(res.stdout).not.toContain('cli-password-2');
    expect((await login('two@cli.example', 'cli-password-2')).status).toBe(200);
  });

  it('refuses bad arguments (exit 2) and taken emails (exit 1) with a clear message, creating nothing', async () => {
    for (const [args, message] of [
      [['--name', 'Cli Bad'], /--admin-email: required/],
      [['--admin-email', 'bad@cli.example'], /--name: required/],
      [['--name', 'Cli Bad', '--admin-email', 'nope'], /--admin-email: .*email/i],
      [
        ['--name', 'Cli Bad', '--admin-email', 'bad@cli.example', '--admin-password', 'short'],
        /--admin-password: at least 10/,
      ],
      [['--name', 'Cli Bad', '--admin-email', 'bad@cli.example', '--role', 'x'], /Unknown option '--role'/],
    ] as const) {
      const res = run([...args]);
      expect([args.join(' '), res.status]).toEqual([args.join(' '), 2]);
      expect(res.stderr).toMatch(message);
      expect(res.stderr).toContain('nx run api:create-organization');
    }
    const taken = run(['--name', 'Cli Bad', '--admin-email', 'ADMIN@cli.example']);
    expect(taken.status).toBe(1);
    expect(taken.stderr).toMatch(/a user with this email exists[\s\S]*--admin-email: already has an account/);
    expect(await orgsNamed('Cli Bad')).toBe(0);
  });
});
