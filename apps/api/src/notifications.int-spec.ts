import {
  ErrorBody,
  NotificationDeliveryList,
  NotificationRule,
  NotificationRuleList,
  NotificationTestQueued,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

const prefix = `test:notifications:${process.pid}:`;
let testDb: TestDatabase;
let t: StartedApi;
let pool: pg.Pool;
let tokens: Record<string, string>;
let orgs: Record<string, string>;
let vehicleA: string;
let vehicleB: string;

beforeAll(async () => {
  testDb = await createTestDatabase('api-notifications');
  orgs = await seedOrganizations(testDb.url, ['a', 'b']);
  pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  pool.on('error', () => undefined);
  const vehicle = async (org: string, name: string) =>
    (
      await pool.query(
        'INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, $2, $3) RETURNING id',
        [org, name, `${name}-${process.pid}`],
      )
    ).rows[0].id as string;
  vehicleA = await vehicle(orgs['a'], 'van-a');
  vehicleB = await vehicle(orgs['b'], 'van-b');
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
  tokens = await loginAll(t.base, ['a', 'b']);
});

afterAll(async () => {
  await t?.api.stop();
  await pool?.end();
  await testDb?.drop();
});

const call = (as: string, method: string, path: string, body?: unknown) =>
  apiCall(t.base, tokens[as], method, path, body);

const valid = () => ({
  name: 'Depot alerts',
  eventTypes: ['geofence_enter'],
  targets: { email: 'ops@a.example', telegramChatId: '-100123456' },
  language: 'es',
  timeZone: 'Europe/Madrid',
  quietHours: { start: '22:00', end: '07:00', mode: 'defer' },
});

async function create(as: string, body: unknown) {
  const res = await call(as, 'POST', '/notification-rules', body);
  expect(res.status).toBe(201);
  return NotificationRule.parse(await res.json());
}

async function refused(res: Response, path: string) {
  expect(res.status).toBe(400);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.details?.map((d) => d.path)).toContain(path);
}

describe('notification rules API', () => {
  jest.setTimeout(60_000);

  it('creates, reads, changes and deletes a user’s own rule', async () => {
    const rule = await create('operator@a', { ...valid(), vehicleIds: [vehicleA] });
    expect(rule).toMatchObject({
      name: 'Depot alerts',
      eventTypes: ['geofence_enter'],
      vehicleIds: [vehicleA],
      targets: { email: 'ops@a.example', telegramChatId: '-100123456' },
      language: 'es',
      timeZone: 'Europe/Madrid',
      quietHours: { start: '22:00', end: '07:00', mode: 'defer' },
      enabled: true,
    });
    const list = NotificationRuleList.parse(await (await call('operator@a', 'GET', '/notification-rules')).json());
    expect(list.items.map((r) => r.id)).toEqual([rule.id]);

    const patched = await call('operator@a', 'PATCH', `/notification-rules/${rule.id}`, {
      quietHours: null,
      targets: { email: 'night@a.example' },
      enabled: false,
    });
    expect(patched.status).toBe(200);
    expect(NotificationRule.parse(await patched.json())).toMatchObject({
      quietHours: null,
      targets: { email: 'night@a.example', telegramChatId: null },
      enabled: false,
    });

    expect((await call('operator@a', 'DELETE', `/notification-rules/${rule.id}`)).status).toBe(204);
    expect((await call('operator@a', 'GET', `/notification-rules/${rule.id}`)).status).toBe(404);
  });

  it('names each bad field: e-mail, event type, time zone, HH:MM, no channel, another organization’s vehicle', async () => {
    await refused(
      await call('admin@a', 'POST', '/notification-rules', { ...valid(), targets: { email: 'not-an-address' } }),
      'targets.email',
    );
    await refused(
      await call('admin@a', 'POST', '/notification-rules', { ...valid(), eventTypes: ['sunrise'] }),
      'eventTypes.0',
    );
    await refused(
      await call('admin@a', 'POST', '/notification-rules', { ...valid(), timeZone: 'Mars/Olympus' }),
      'timeZone',
    );
    await refused(
      await call('admin@a', 'POST', '/notification-rules', { ...valid(), quietHours: { start: '24:00', end: '7:00' } }),
      'quietHours.start',
    );
    await refused(
      await call('admin@a', 'POST', '/notification-rules', { ...valid(), quietHours: { start: '22:00', end: '7:00' } }),
      'quietHours.end',
    );
    await refused(await call('admin@a', 'POST', '/notification-rules', { ...valid(), targets: {} }), 'targets');
    await refused(
      await call('admin@a', 'POST', '/notification-rules', { ...valid(), vehicleIds: [vehicleB] }),
      'vehicleIds.0',
    );
    const rule = await create('admin@a', valid());
    await refused(
      await call('admin@a', 'PATCH', `/notification-rules/${rule.id}`, { timeZone: 'Nowhere' }),
      'timeZone',
    );
    await refused(await call('admin@a', 'GET', '/notification-deliveries?status=lost'), 'status');
  });

  it('takes the organization’s vehicle groups, naming another organization’s group', async () => {
    const group = async (org: string, name: string) =>
      (await pool.query('INSERT INTO vehicle_groups (organization_id, name) VALUES ($1, $2) RETURNING id', [org, name]))
        .rows[0].id as string;
    const south = await group(orgs['a'], 'Sur');
    const theirs = await group(orgs['b'], 'Norte');
    const r = await create('admin@a', { ...valid(), groupIds: [south, south] });
    expect(r).toMatchObject({ vehicleIds: [], groupIds: [south] });
    await refused(
      await call('admin@a', 'POST', '/notification-rules', { ...valid(), groupIds: [theirs] }),
      'groupIds.0',
    );
    await refused(
      await call('admin@a', 'PATCH', `/notification-rules/${r.id}`, { groupIds: [south, theirs] }),
      'groupIds.1',
    );
    const res = await call('admin@a', 'PATCH', `/notification-rules/${r.id}`, { groupIds: [] });
    expect(res.status).toBe(200);
    expect(NotificationRule.parse(await res.json()).groupIds).toEqual([]);
  });

  it('answers 404 for another organization’s rule and another user’s, and never lists them', async () => {
    const rule = await create('admin@a', valid());
    for (const as of ['admin@b', 'viewer@a']) {
      expect((await call(as, 'GET', `/notification-rules/${rule.id}`)).status).toBe(404);
      expect((await call(as, 'PATCH', `/notification-rules/${rule.id}`, { name: 'x' })).status).toBe(404);
      expect((await call(as, 'POST', `/notification-rules/${rule.id}/test`)).status).toBe(404);
      expect((await call(as, 'GET', `/notification-deliveries?ruleId=${rule.id}`)).status).toBe(404);
      expect((await call(as, 'DELETE', `/notification-rules/${rule.id}`)).status).toBe(404);
      const list = NotificationRuleList.parse(await (await call(as, 'GET', '/notification-rules')).json());
      expect(list.items.map((r) => r.id)).not.toContain(rule.id);
    }
    expect((await call('admin@a', 'GET', `/notification-rules/${rule.id}`)).status).toBe(200);
  });

  it('queues a test send per channel, shown in the delivery log of its owner only', async () => {
    const rule = await create('viewer@a', valid());
    const res = await call('viewer@a', 'POST', `/notification-rules/${rule.id}/test`);
    expect(res.status).toBe(202);
    const queued = NotificationTestQueued.parse(await res.json());
    expect(queued.deliveryIds).toHaveLength(2);

    const log = NotificationDeliveryList.parse(
      await (await call('viewer@a', 'GET', `/notification-deliveries?ruleId=${rule.id}&status=pending`)).json(),
    );
    expect(log.items.map((d) => [d.eventType, d.channel, d.status, d.ruleName]).sort()).toEqual([
      ['test', 'email', 'pending', 'Depot alerts'],
      ['test', 'telegram', 'pending', 'Depot alerts'],
    ]);
    const sent = NotificationDeliveryList.parse(
      await (await call('viewer@a', 'GET', `/notification-deliveries?status=sent`)).json(),
    );
    expect(sent.items).toEqual([]);
    const other = NotificationDeliveryList.parse(
      await (await call('admin@b', 'GET', '/notification-deliveries')).json(),
    );
    expect(other.items).toEqual([]);
  });
});
