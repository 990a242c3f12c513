import {
  Driver,
  DriverAssignment,
  DriverAssignmentList,
  DriverList,
  ErrorBody,
  VehicleDriver,
  VehicleWithToken,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

let testDb: TestDatabase;
let t: StartedApi;
let tokens: Record<string, string>;
let orgs: Record<string, string>;

beforeAll(async () => {
  testDb = await createTestDatabase('api-drivers');
  orgs = await seedOrganizations(testDb.url, ['a', 'b']);
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:drivers:${process.pid}:` });
  tokens = await loginAll(t.base, ['a', 'b']);
});

afterAll(async () => {
  await t?.api.stop();
  await testDb?.drop();
});

const call = (as: string, method: string, path: string, body?: unknown) =>
  apiCall(t.base, tokens[as], method, path, body);

async function createDriver(as: string, body: unknown): Promise<Driver> {
  const res = await call(as, 'POST', '/drivers', body);
  expect(res.status).toBe(201);
  return Driver.parse(await res.json());
}

async function createVehicle(as: string, name: string): Promise<string> {
  const res = await call(as, 'POST', '/vehicles', { name });
  expect(res.status).toBe(201);
  return VehicleWithToken.parse(await res.json()).vehicle.id;
}

async function errorOf(res: Response, status: number) {
  expect(res.status).toBe(status);
  return ErrorBody.parse(await res.json()).error;
}

describe('drivers', () => {
  jest.setTimeout(30_000);

  it('creates, reads, lists, changes and deletes a driver; viewers read only', async () => {
    const d = await createDriver('operator@a', {
      name: '  Ana Pérez ',
      licenceNumber: 'B-123',
      licenceExpiresOn: '2030-05-31',
      uniqueId: '01000000ABCDEF2D',
      phone: '+34 600 000 000',
    });
    expect(d).toMatchObject({
      name: 'Ana Pérez',
      licenceNumber: 'B-123',
      licenceExpiresOn: '2030-05-31',
      uniqueId: '01000000ABCDEF2D',
      notes: null,
    });
    const got = Driver.parse(await (await call('viewer@a', 'GET', `/drivers/${d.id}`)).json());
    expect(got).toEqual(d);
    const list = DriverList.parse(await (await call('viewer@a', 'GET', '/drivers?q=abcdef')).json());
    expect(list.items.map((x) => x.id)).toEqual([d.id]);

    await errorOf(await call('viewer@a', 'POST', '/drivers', { name: 'Nope' }), 403);
    await errorOf(await call('viewer@a', 'PATCH', `/drivers/${d.id}`, { name: 'Nope' }), 403);

    const changed = await call('admin@a', 'PATCH', `/drivers/${d.id}`, { notes: 'night shifts', uniqueId: null });
    expect(changed.status).toBe(200);
    expect(Driver.parse(await changed.json())).toMatchObject({
      notes: 'night shifts',
      uniqueId: null,
      name: 'Ana Pérez',
    });

    expect((await call('operator@a', 'DELETE', `/drivers/${d.id}`)).status).toBe(204);
    await errorOf(await call('admin@a', 'GET', `/drivers/${d.id}`), 404);
  });

  it('names the bad field of a driver', async () => {
    const cases: Array<[unknown, string]> = [
      [{}, 'name'],
      [{ name: 'X', licenceExpiresOn: '31/05/2030' }, 'licenceExpiresOn'],
      [{ name: 'X', uniqueId: 'has space' }, 'uniqueId'],
      [{ name: 'X', uniqueId: 'x'.repeat(65) }, 'uniqueId'],
      [{ name: 'X', colour: 'red' }, ''],
    ];
    for (const [body, path] of cases) {
      const error = await errorOf(await call('admin@a', 'POST', '/drivers', body), 400);
      expect(error.details?.map((p) => p.path).join(',')).toContain(path);
    }
  });

  it('refuses an identifier another driver of the organization has (409), not one of another organization', async () => {
    await createDriver('admin@a', { name: 'First', uniqueId: 'CARD-1' });
    const error = await errorOf(await call('admin@a', 'POST', '/drivers', { name: 'Second', uniqueId: 'CARD-1' }), 409);
    expect(error.details?.[0].path).toBe('uniqueId');
    const other = await createDriver('admin@a', { name: 'Third' });
    await errorOf(await call('admin@a', 'PATCH', `/drivers/${other.id}`, { uniqueId: 'CARD-1' }), 409);
    await createDriver('admin@b', { name: 'Elsewhere', uniqueId: 'CARD-1' });
  });

  it('answers 404 for another organization’s driver and vehicle on every route', async () => {
    const d = await createDriver('admin@b', { name: 'Theirs' });
    const v = await createVehicle('admin@b', 'Their van');
    const mine = await createDriver('admin@a', { name: 'Mine' });
    const myVehicle = await createVehicle('admin@a', 'My van');
    for (const [method, path, body] of [
      ['GET', `/drivers/${d.id}`],
      ['PATCH', `/drivers/${d.id}`, { name: 'x' }],
      ['DELETE', `/drivers/${d.id}`],
      ['GET', `/drivers/${d.id}/assignments`],
      ['GET', `/vehicles/${v}/driver`],
      ['PUT', `/vehicles/${v}/driver`, { driverId: mine.id }],
      ['DELETE', `/vehicles/${v}/driver`],
      ['GET', `/vehicles/${v}/driver-assignments`],
      // Their driver on my vehicle.
      ['PUT', `/vehicles/${myVehicle}/driver`, { driverId: d.id }],
      ['GET', '/drivers/not-a-uuid'],
    ] as Array<[string, string, unknown?]>) {
      const res = await call('admin@a', method, path, body);
      expect([method, path, res.status]).toEqual([method, path, 404]);
    }
    // Still theirs, untouched.
    expect(Driver.parse(await (await call('admin@b', 'GET', `/drivers/${d.id}`)).json()).name).toBe('Theirs');
  });

  it('answers 404 for a vehicle outside a group-limited operator’s groups, and leaves it out of a driver’s history', async () => {
    const db = new pg.Client({ connectionString: testDb.url });
    await db.connect();
    try {
      const org = orgs['a'];
      const group = async (name: string) =>
        (await db.query('INSERT INTO vehicle_groups (organization_id, name) VALUES ($1, $2) RETURNING id', [org, name]))
          .rows[0].id as string;
      const norte = await group('Norte');
      const sur = await group('Sur');
      const inNorte = await createVehicle('admin@a', 'Norte van');
      const inSur = await createVehicle('admin@a', 'Sur van');
      await db.query('UPDATE vehicles SET group_id = $2 WHERE id = $1', [inNorte, norte]);
      await db.query('UPDATE vehicles SET group_id = $2 WHERE id = $1', [inSur, sur]);
      const cruz = await createDriver('admin@a', { name: 'Cruz' });
      for (const v of [inSur, inNorte])
        expect((await call('admin@a', 'PUT', `/vehicles/${v}/driver`, { driverId: cruz.id })).status).toBe(200);
      await db.query(
        "INSERT INTO user_group_scopes (user_id, group_id) SELECT id, $1 FROM users WHERE email = 'operator@a.example'",
        [norte],
      );
      for (const [method, path, body] of [
        ['GET', `/vehicles/${inSur}/driver`],
        ['PUT', `/vehicles/${inSur}/driver`, { driverId: cruz.id }],
        ['DELETE', `/vehicles/${inSur}/driver`],
        ['GET', `/vehicles/${inSur}/driver-assignments`],
      ] as Array<[string, string, unknown?]>) {
        const res = await call('operator@a', method, path, body);
        expect([method, path, res.status]).toEqual([method, path, 404]);
      }
      expect((await call('operator@a', 'GET', `/vehicles/${inNorte}/driver`)).status).toBe(200);
      const seen = DriverAssignmentList.parse(
        await (await call('operator@a', 'GET', `/drivers/${cruz.id}/assignments`)).json(),
      );
      expect(seen.items.map((a) => a.vehicleName)).toEqual(['Norte van']);
      const all = DriverAssignmentList.parse(
        await (await call('admin@a', 'GET', `/drivers/${cruz.id}/assignments`)).json(),
      );
      expect(all.items.map((a) => a.vehicleName).sort()).toEqual(['Norte van', 'Sur van']);
      // Still driven by Cruz: the operator's refused unassignment changed nothing.
      expect(
        VehicleDriver.parse(await (await call('admin@a', 'GET', `/vehicles/${inSur}/driver`)).json()).driver?.name,
      ).toBe('Cruz');
    } finally {
      await db.query(
        "DELETE FROM user_group_scopes WHERE user_id IN (SELECT id FROM users WHERE email = 'operator@a.example')",
      );
      await db.end();
    }
  });

  it('assigns and unassigns by hand and keeps the history of the vehicle and of the driver', async () => {
    const v = await createVehicle('admin@a', 'Van 7');
    const ana = await createDriver('admin@a', { name: 'Ana' });
    const bea = await createDriver('admin@a', { name: 'Bea' });

    const none = VehicleDriver.parse(await (await call('viewer@a', 'GET', `/vehicles/${v}/driver`)).json());
    expect(none).toEqual({ assignment: null, driver: null });

    await errorOf(await call('viewer@a', 'PUT', `/vehicles/${v}/driver`, { driverId: ana.id }), 403);
    const bad = await errorOf(await call('admin@a', 'PUT', `/vehicles/${v}/driver`, { driverId: 'nope' }), 400);
    expect(bad.details?.[0].path).toBe('driverId');

    const first = await call('operator@a', 'PUT', `/vehicles/${v}/driver`, { driverId: ana.id });
    expect(first.status).toBe(200);
    const a1 = DriverAssignment.parse(await first.json());
    expect(a1).toMatchObject({
      vehicleId: v,
      vehicleName: 'Van 7',
      driverId: ana.id,
      driverName: 'Ana',
      endedAt: null,
      source: 'manual',
    });
    // The same driver again: the same open assignment.
    const again = DriverAssignment.parse(
      await (await call('operator@a', 'PUT', `/vehicles/${v}/driver`, { driverId: ana.id })).json(),
    );
    expect(again.id).toBe(a1.id);

    const a2 = DriverAssignment.parse(
      await (await call('operator@a', 'PUT', `/vehicles/${v}/driver`, { driverId: bea.id })).json(),
    );
    expect(a2.driverId).toBe(bea.id);
    const current = VehicleDriver.parse(await (await call('viewer@a', 'GET', `/vehicles/${v}/driver`)).json());
    expect(current.assignment?.id).toBe(a2.id);
    expect(current.driver?.name).toBe('Bea');

    expect((await call('operator@a', 'DELETE', `/vehicles/${v}/driver`)).status).toBe(204);
    expect((await call('operator@a', 'DELETE', `/vehicles/${v}/driver`)).status).toBe(204);
    expect(
      VehicleDriver.parse(await (await call('viewer@a', 'GET', `/vehicles/${v}/driver`)).json()).assignment,
    ).toBeNull();

    const history = DriverAssignmentList.parse(
      await (await call('viewer@a', 'GET', `/vehicles/${v}/driver-assignments`)).json(),
    );
    expect(history.total).toBe(2);
    expect(history.items.map((i) => [i.driverName, i.endedAt !== null])).toEqual([
      ['Bea', true],
      ['Ana', true],
    ]);
    // Each ends where the next starts.
    expect(history.items[1].endedAt).toBe(history.items[0].startedAt);

    const anas = DriverAssignmentList.parse(
      await (await call('viewer@a', 'GET', `/drivers/${ana.id}/assignments`)).json(),
    );
    expect(anas.items.map((i) => i.vehicleName)).toEqual(['Van 7']);
    const future = DriverAssignmentList.parse(
      await (await call('viewer@a', 'GET', `/drivers/${ana.id}/assignments?from=2999-01-01T00:00:00Z`)).json(),
    );
    expect(future.items).toEqual([]);
    const badRange = await errorOf(
      await call(
        'viewer@a',
        'GET',
        `/vehicles/${v}/driver-assignments?from=2030-01-01T00:00:00Z&to=2020-01-01T00:00:00Z`,
      ),
      400,
    );
    expect(badRange.details?.[0].path).toBe('to');

    // Deleting a driver takes their assignments with them.
    expect((await call('admin@a', 'DELETE', `/drivers/${bea.id}`)).status).toBe(204);
    const after = DriverAssignmentList.parse(
      await (await call('viewer@a', 'GET', `/vehicles/${v}/driver-assignments`)).json(),
    );
    expect(after.items.map((i) => i.driverName)).toEqual(['Ana']);
  });
});
