import {
  ErrorBody,
  MaintenanceRecord,
  MaintenanceRecordList,
  MaintenanceRule,
  MaintenanceRuleList,
  MaintenanceStatusList,
  VehicleMaintenance,
  VehicleWithToken,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

let testDb: TestDatabase;
let t: StartedApi;
let tokens: Record<string, string>;
let pool: pg.Pool;

beforeAll(async () => {
  testDb = await createTestDatabase('api-maintenance');
  await seedOrganizations(testDb.url, ['a', 'b']);
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:maintenance:${process.pid}:` });
  tokens = await loginAll(t.base, ['a', 'b']);
  pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await t?.api.stop();
  await testDb?.drop();
});

const call = (as: string, method: string, path: string, body?: unknown) =>
  apiCall(t.base, tokens[as], method, path, body);

async function createVehicle(as: string, name: string): Promise<string> {
  const res = await call(as, 'POST', '/vehicles', { name });
  expect(res.status).toBe(201);
  return VehicleWithToken.parse(await res.json()).vehicle.id;
}

async function createRule(as: string, body: unknown): Promise<MaintenanceRule> {
  const res = await call(as, 'POST', '/maintenance/rules', body);
  expect(res.status).toBe(201);
  return MaintenanceRule.parse(await res.json());
}

async function errorOf(res: Response, status: number) {
  expect(res.status).toBe(status);
  return ErrorBody.parse(await res.json()).error;
}

/** What the worker would have counted for the vehicle. */
const counted = (vehicleId: string, km: number, hours: number) =>
  pool.query(
    `INSERT INTO vehicle_counters (vehicle_id, ts, lat, lon, odometer_km, engine_seconds) VALUES ($1, now(), 40, -3, $2, $3)
     ON CONFLICT (vehicle_id) DO UPDATE SET odometer_km = EXCLUDED.odometer_km, engine_seconds = EXCLUDED.engine_seconds`,
    [vehicleId, km, hours * 3600],
  );

describe('maintenance', () => {
  jest.setTimeout(30_000);

  it('creates, lists, changes and deletes rules; refuses bad ones naming the field; viewers read only', async () => {
    const v = await createVehicle('admin@a', 'Rule van');
    const rule = await createRule('operator@a', {
      name: ' Oil ',
      vehicleId: v,
      everyKm: 15_000,
      everyMonths: 12,
      notifyBeforeKm: 500,
    });
    expect(rule).toMatchObject({
      name: 'Oil',
      vehicleId: v,
      groupId: null,
      everyKm: 15_000,
      notifyBeforeDays: 0,
      enabled: true,
    });
    const list = MaintenanceRuleList.parse(await (await call('viewer@a', 'GET', '/maintenance/rules')).json());
    expect(list.items.map((r) => r.id)).toContain(rule.id);

    expect((await errorOf(await call('admin@a', 'POST', '/maintenance/rules', { name: 'x' }), 400)).details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'everyKm' })]),
    );
    await errorOf(await call('admin@a', 'POST', '/maintenance/rules', { name: 'x', everyKm: -1 }), 400);
    await errorOf(await call('viewer@a', 'POST', '/maintenance/rules', { name: 'x', everyKm: 1 }), 403);
    // Another organization's vehicle is "not found", like a missing one.
    await errorOf(await call('admin@b', 'POST', '/maintenance/rules', { name: 'x', everyKm: 1, vehicleId: v }), 404);
    await errorOf(await call('admin@b', 'GET', `/maintenance/rules/${rule.id}`), 404);
    // Removing the only interval is refused on the merged rule.
    await errorOf(
      await call('admin@a', 'PATCH', `/maintenance/rules/${rule.id}`, { everyKm: null, everyMonths: null }),
      400,
    );

    const changed = MaintenanceRule.parse(
      await (
        await call('admin@a', 'PATCH', `/maintenance/rules/${rule.id}`, { enabled: false, everyMonths: null })
      ).json(),
    );
    expect(changed).toMatchObject({ enabled: false, everyMonths: null, everyKm: 15_000 });
    expect((await call('admin@a', 'DELETE', `/maintenance/rules/${rule.id}`)).status).toBe(204);
    await errorOf(await call('admin@a', 'GET', `/maintenance/rules/${rule.id}`), 404);
  });

  it('shows each vehicle against its rules, due ones first; marking done records the counters and moves the next service', async () => {
    const calm = await createVehicle('admin@a', 'A calm van');
    const busy = await createVehicle('admin@a', 'Z busy van');
    const rule = await createRule('admin@a', {
      name: 'Tyres',
      everyKm: 1_000,
      notifyBeforeKm: 100,
      everyEngineHours: 50,
    });
    await counted(calm, 100, 2);
    await counted(busy, 950, 10);

    const status = MaintenanceStatusList.parse(await (await call('viewer@a', 'GET', '/maintenance/status')).json());
    const ours = status.items.filter((s) => s.vehicleId === calm || s.vehicleId === busy);
    // The busy van (within the 100 km notice) comes first, despite its name.
    expect(ours.map((s) => s.vehicleId)).toEqual([busy, calm]);
    expect(ours[0]).toMatchObject({ odometerKm: 950, engineHours: 10 });
    expect(ours[0].rules.find((r) => r.ruleId === rule.id)).toMatchObject({
      nextKm: 1_000,
      nextEngineHours: 50,
      nextAt: null,
      due: true,
      overdue: false,
      lastService: null,
    });
    expect(ours[1].rules.find((r) => r.ruleId === rule.id)).toMatchObject({ due: false, overdue: false });

    await errorOf(
      await call('viewer@a', 'POST', `/vehicles/${busy}/maintenance/records`, { ruleId: rule.id, note: 'x' }),
      403,
    );
    await errorOf(
      await call('admin@b', 'POST', `/vehicles/${busy}/maintenance/records`, { ruleId: rule.id, note: 'x' }),
      404,
    );
    const res = await call('operator@a', 'POST', `/vehicles/${busy}/maintenance/records`, {
      ruleId: rule.id,
      note: 'four new tyres',
    });
    expect(res.status).toBe(201);
    const record = MaintenanceRecord.parse(await res.json());
    expect(record).toMatchObject({
      ruleId: rule.id,
      ruleName: 'Tyres',
      odometerKm: 950,
      engineHours: 10,
      note: 'four new tyres',
    });
    expect(record.userName).not.toBeNull();

    const after = VehicleMaintenance.parse(
      await (await call('viewer@a', 'GET', `/vehicles/${busy}/maintenance`)).json(),
    );
    expect(after.rules.find((r) => r.ruleId === rule.id)).toMatchObject({
      nextKm: 1_950,
      nextEngineHours: 60,
      due: false,
      lastService: { id: record.id, odometerKm: 950, engineHours: 10 },
    });
    const history = MaintenanceRecordList.parse(
      await (await call('viewer@a', 'GET', `/vehicles/${busy}/maintenance/records`)).json(),
    );
    expect(history).toMatchObject({ total: 1, items: [{ id: record.id, note: 'four new tyres' }] });
    await errorOf(await call('admin@b', 'GET', `/vehicles/${busy}/maintenance/records`), 404);
    await errorOf(
      await call('admin@a', 'POST', `/vehicles/${busy}/maintenance/records`, {
        ruleId: rule.id,
        doneAt: new Date(Date.now() + 86_400_000).toISOString(),
      }),
      400,
    );
  });

  it('applies a group rule to the vehicles of the group and of the groups below only, and shows a limited user only their vehicles', async () => {
    const parent = (
      await pool.query<{ id: string; organization_id: string }>(
        `INSERT INTO vehicle_groups (organization_id, name) SELECT organization_id, 'Trucks' FROM vehicles WHERE id = $1 RETURNING id`,
        [await createVehicle('admin@a', 'probe')],
      )
    ).rows[0].id;
    const child = (
      await pool.query<{ id: string }>(
        `INSERT INTO vehicle_groups (organization_id, name, parent_id) SELECT organization_id, 'Small trucks', id
           FROM vehicle_groups WHERE id = $1 RETURNING id`,
        [parent],
      )
    ).rows[0].id;
    const inChild = await createVehicle('admin@a', 'in child');
    const outside = await createVehicle('admin@a', 'outside');
    await pool.query('UPDATE vehicles SET group_id = $2 WHERE id = $1', [inChild, child]);
    const rule = await createRule('admin@a', { name: 'Brakes', groupId: parent, everyMonths: 6, notifyBeforeDays: 14 });
    const of = async (id: string) =>
      VehicleMaintenance.parse(await (await call('viewer@a', 'GET', `/vehicles/${id}/maintenance`)).json()).rules.map(
        (r) => r.ruleId,
      );
    expect(await of(inChild)).toContain(rule.id);
    expect(await of(outside)).not.toContain(rule.id);
    // The rule does not apply to `outside`: it cannot be marked done there.
    await errorOf(await call('admin@a', 'POST', `/vehicles/${outside}/maintenance/records`, { ruleId: rule.id }), 404);
    const grouped = MaintenanceStatusList.parse(
      await (await call('viewer@a', 'GET', `/maintenance/status?groupId=${parent}`)).json(),
    );
    expect(grouped.items.map((v) => v.vehicleId)).toEqual([inChild]);

    // A viewer limited to the group: only its vehicles, the others "not found".
    await pool.query(
      "INSERT INTO user_group_scopes (user_id, group_id) SELECT id, $1 FROM users WHERE email = 'viewer@a.example'",
      [parent],
    );
    const limited = MaintenanceStatusList.parse(await (await call('viewer@a', 'GET', '/maintenance/status')).json());
    expect(limited.items.map((v) => v.vehicleId)).toEqual([inChild]);
    await errorOf(await call('viewer@a', 'GET', `/vehicles/${outside}/maintenance`), 404);
    await errorOf(await call('viewer@a', 'GET', `/vehicles/${outside}/maintenance/records`), 404);
  });
});
