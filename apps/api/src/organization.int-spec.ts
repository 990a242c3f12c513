import { ErrorBody, Organization } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
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
