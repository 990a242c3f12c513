import { ErrorBody, ReportRun, ReportRunList, ReportSchedule, ReportScheduleList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

const prefix = `test:report-schedules:${process.pid}:`;
let testDb: TestDatabase;
let t: StartedApi;
let pool: pg.Pool;
let tokens: Record<string, string>;
let orgs: Record<string, string>;
let vehicleA: string;
let vehicleB: string;

beforeAll(async () => {
  testDb = await createTestDatabase('api-report-schedules');
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
  name: 'Daily trips',
  kind: 'trips',
  vehicleIds: [vehicleA],
  recipients: ['Ops@A.example'],
  timing: { frequency: 'daily', hour: 7 },
  timeZone: 'Europe/Madrid',
  language: 'es',
});

async function create(as: string, body: unknown) {
  const res = await call(as, 'POST', '/report-schedules', body);
  expect(res.status).toBe(201);
  return ReportSchedule.parse(await res.json());
}

async function refused(res: Response, path: string) {
  expect(res.status).toBe(400);
  const body = ErrorBody.parse(await res.json());
  expect(body.error.details?.map((d) => d.path)).toContain(path);
}

describe('scheduled reports API', () => {
  jest.setTimeout(60_000);

  it('creates, reads, changes and deletes a user’s own schedule, with its next send in its time zone', async () => {
    const before = Date.now();
    const s = await create('operator@a', valid());
    expect(s).toMatchObject({
      name: 'Daily trips',
      kind: 'trips',
      vehicleIds: [vehicleA],
      recipients: ['ops@a.example'],
      timing: { frequency: 'daily', hour: 7 },
      timeZone: 'Europe/Madrid',
      language: 'es',
      enabled: true,
      lastRunAt: null,
    });
    const next = new Date(s.nextRunAt ?? 0);
    expect(next.getTime()).toBeGreaterThan(before);
    expect(next.getTime() - before).toBeLessThanOrEqual(25 * 3_600_000);
    expect(
      new Intl.DateTimeFormat('en', { timeZone: 'Europe/Madrid', hour: 'numeric', hourCycle: 'h23' }).format(next),
    ).toMatch(/^0?7$/);

    const list = ReportScheduleList.parse(await (await call('operator@a', 'GET', '/report-schedules')).json());
    expect(list.items.map((x) => x.id)).toEqual([s.id]);

    const patched = await call('operator@a', 'PATCH', `/report-schedules/${s.id}`, {
      timing: { frequency: 'monthly', dayOfMonth: 31, hour: 6 },
      enabled: false,
    });
    expect(patched.status).toBe(200);
    expect(ReportSchedule.parse(await patched.json())).toMatchObject({
      timing: { frequency: 'monthly', dayOfMonth: 31, hour: 6 },
      enabled: false,
      nextRunAt: null,
    });
    expect((await call('operator@a', 'DELETE', `/report-schedules/${s.id}`)).status).toBe(204);
    expect((await call('operator@a', 'GET', `/report-schedules/${s.id}`)).status).toBe(404);
  });

  it('refuses bad input naming the field', async () => {
    await refused(
      await call('operator@a', 'POST', '/report-schedules', { ...valid(), recipients: ['nope'] }),
      'recipients.0',
    );
    await refused(
      await call('operator@a', 'POST', '/report-schedules', { ...valid(), timeZone: 'Mars/Olympus' }),
      'timeZone',
    );
    await refused(
      await call('operator@a', 'POST', '/report-schedules', { ...valid(), timing: { frequency: 'daily', hour: 24 } }),
      'timing.hour',
    );
    await refused(
      await call('operator@a', 'POST', '/report-schedules', {
        ...valid(),
        timing: { frequency: 'weekly', weekday: 0, hour: 7 },
      }),
      'timing.weekday',
    );
    await refused(
      await call('operator@a', 'POST', '/report-schedules', { ...valid(), vehicleIds: [vehicleB] }),
      'vehicleIds.0',
    );
    await refused(await call('operator@a', 'POST', '/report-schedules', { ...valid(), vehicleIds: [] }), 'vehicleIds');
    await refused(await call('operator@a', 'POST', '/report-schedules', { ...valid(), kind: 'weather' }), 'kind');
    // The maintenance report too, like trips, for the vehicles named.
    await create('operator@a', { ...valid(), kind: 'maintenance' });
    const s = await create('operator@a', valid());
    await refused(await call('operator@a', 'PATCH', `/report-schedules/${s.id}`, { vehicleIds: [] }), 'vehicleIds');
    await refused(
      await call('operator@a', 'PATCH', `/report-schedules/${s.id}`, { vehicleIds: [vehicleB] }),
      'vehicleIds.0',
    );
    // An events report may cover every vehicle.
    await create('operator@a', { ...valid(), kind: 'events', vehicleIds: [] });
  });

  it('takes the organization’s vehicle groups beside or instead of vehicles, naming another’s group', async () => {
    const group = async (org: string, name: string) =>
      (await pool.query('INSERT INTO vehicle_groups (organization_id, name) VALUES ($1, $2) RETURNING id', [org, name]))
        .rows[0].id as string;
    const south = await group(orgs['a'], 'Sur');
    const theirs = await group(orgs['b'], 'Norte');
    const s = await create('operator@a', { ...valid(), vehicleIds: [], groupIds: [south] });
    expect(s).toMatchObject({ vehicleIds: [], groupIds: [south] });
    await refused(
      await call('operator@a', 'POST', '/report-schedules', { ...valid(), groupIds: [theirs] }),
      'groupIds.0',
    );
    await refused(await call('operator@a', 'PATCH', `/report-schedules/${s.id}`, { groupIds: [theirs] }), 'groupIds.0');
    // Neither vehicles nor groups left for a trips report.
    await refused(await call('operator@a', 'PATCH', `/report-schedules/${s.id}`, { groupIds: [] }), 'vehicleIds');
    const res = await call('operator@a', 'PATCH', `/report-schedules/${s.id}`, {
      vehicleIds: [vehicleA],
      groupIds: [],
    });
    expect(res.status).toBe(200);
    expect(ReportSchedule.parse(await res.json())).toMatchObject({ vehicleIds: [vehicleA], groupIds: [] });
  });

  it('lets a user limited to vehicle groups name only the vehicles and groups they see', async () => {
    const group = async (name: string, parent: string | null = null) =>
      (
        await pool.query(
          'INSERT INTO vehicle_groups (organization_id, name, parent_id) VALUES ($1, $2, $3) RETURNING id',
          [orgs['a'], name, parent],
        )
      ).rows[0].id as string;
    const region = await group('Región visible');
    const depot = await group('Depósito visible', region);
    const hidden = await group('Región oculta');
    const seen = (
      await pool.query(
        'INSERT INTO vehicles (organization_id, name, device_identifier, group_id) VALUES ($1, $2, $3, $4) RETURNING id',
        [orgs['a'], 'van-seen', `van-seen-${process.pid}`, depot],
      )
    ).rows[0].id as string;
    await pool.query(
      "INSERT INTO user_group_scopes (user_id, group_id) SELECT id, $1 FROM users WHERE email = 'viewer@a.example'",
      [region],
    );
    try {
      // vehicleA has no group: out of this user's sight, like the other region.
      await refused(
        await call('viewer@a', 'POST', '/report-schedules', { ...valid(), vehicleIds: [vehicleA] }),
        'vehicleIds.0',
      );
      await refused(
        await call('viewer@a', 'POST', '/report-schedules', { ...valid(), vehicleIds: [seen], groupIds: [hidden] }),
        'groupIds.0',
      );
      const s = await create('viewer@a', { ...valid(), vehicleIds: [seen], groupIds: [depot] });
      expect(s).toMatchObject({ vehicleIds: [seen], groupIds: [depot] });
    } finally {
      await pool.query('DELETE FROM user_group_scopes');
    }
  });

  it('answers 404 for another organization’s or another user’s schedule', async () => {
    const s = await create('operator@a', valid());
    for (const as of ['admin@b', 'viewer@a']) {
      expect((await call(as, 'GET', `/report-schedules/${s.id}`)).status).toBe(404);
      expect((await call(as, 'PATCH', `/report-schedules/${s.id}`, { name: 'x' })).status).toBe(404);
      expect((await call(as, 'POST', `/report-schedules/${s.id}/run`)).status).toBe(404);
      expect((await call(as, 'GET', `/report-schedules/${s.id}/runs`)).status).toBe(404);
      expect((await call(as, 'DELETE', `/report-schedules/${s.id}`)).status).toBe(404);
    }
    const others = ReportScheduleList.parse(await (await call('admin@b', 'GET', '/report-schedules')).json());
    expect(others.items.map((x) => x.id)).not.toContain(s.id);
    expect((await call('operator@a', 'GET', `/report-schedules/${s.id}`)).status).toBe(200);
  });

  it('queues a send of the last complete period once; a sent period is not sent again', async () => {
    const s = await create('operator@a', valid());
    const res = await call('operator@a', 'POST', `/report-schedules/${s.id}/run`);
    expect(res.status).toBe(202);
    const run = ReportRun.parse(await res.json());
    expect(run.status).toBe('pending');
    // Yesterday in Madrid: from a local midnight to the next, 23 to 25 hours.
    const hours = (Date.parse(run.periodTo) - Date.parse(run.periodFrom)) / 3_600_000;
    expect([23, 24, 25]).toContain(hours);
    expect(Date.parse(run.periodTo)).toBeLessThanOrEqual(Date.now());
    const again = ReportRun.parse(await (await call('operator@a', 'POST', `/report-schedules/${s.id}/run`)).json());
    expect(again.id).toBe(run.id);

    await pool.query(`UPDATE report_runs SET status = 'sent', sent_at = now() WHERE id = $1`, [run.id]);
    const sent = await call('operator@a', 'POST', `/report-schedules/${s.id}/run`);
    expect(sent.status).toBe(409);
    const runs = ReportRunList.parse(await (await call('operator@a', 'GET', `/report-schedules/${s.id}/runs`)).json());
    expect(runs.items).toEqual([expect.objectContaining({ id: run.id, status: 'sent' })]);
  });
});
