import { ErrorBody } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { readPdf } from '@fleet/reports/testing';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';
import { addVehicle, createOrganization, login } from './testing/tracking-fixtures';

// The maintenance report file: each vehicle's rules with its counters, last service, next due and
// status, computed as the maintenance status endpoints do (@fleet/reports' readMaintenanceStatus).

jest.setTimeout(60_000);

const prefix = `test:report-maintenance:${process.pid}:`;
let testDb: TestDatabase;
let t: StartedApi;
let db: pg.Client;
const token: Record<string, string> = {};
const v: Record<string, string> = {};
const PERIOD = 'from=2026-03-02T00:00:00%2B01:00&to=2026-03-03T00:00:00%2B01:00&timeZone=Europe/Madrid';

beforeAll(async () => {
  testDb = await createTestDatabase('api-report-maintenance');
  db = new pg.Client({ connectionString: testDb.url });
  await db.connect();
  const a = await createOrganization(db, 'mnt-a');
  const b = await createOrganization(db, 'mnt-b');
  v['truck'] = await addVehicle(db, a.id, 'Camión Ñandú');
  v['van'] = await addVehicle(db, a.id, 'Furgón');
  v['other'] = await addVehicle(db, b.id, 'Other organization');
  // The truck: 15,234.5 km and 410 h; its own oil rule every 10,000 km (last done at 5,000 km:
  // overdue); the organization-wide filters every 500 engine hours (never done: next at 500 h, OK).
  await db.query(
    `INSERT INTO vehicle_counters (vehicle_id, ts, lat, lon, odometer_km, engine_seconds)
     VALUES ($1, '2026-03-02T10:00:00Z', 40.4, -3.7, 15234.5, 410 * 3600)`,
    [v['truck']],
  );
  const rules = await db.query<{ id: string; name: string }>(
    `INSERT INTO maintenance_rules (organization_id, vehicle_id, name, every_km, every_engine_hours, notify_before_km)
     VALUES ($1, $2, 'Cambio de aceite', 10000, NULL, 500), ($1, NULL, 'Filters', NULL, 500, 0)
     RETURNING id, name`,
    [a.id, v['truck']],
  );
  const oil = rules.rows.find((r) => r.name === 'Cambio de aceite')!.id;
  await db.query(
    `INSERT INTO maintenance_records (organization_id, vehicle_id, rule_id, done_at, odometer_km, engine_hours)
     VALUES ($1, $2, $3, '2026-01-10T09:00:00Z', 5000, 300)`,
    [a.id, v['truck'], oil],
  );
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
  token['a'] = await login(t.base, a.email);
  token['b'] = await login(t.base, b.email);
});

afterAll(async () => {
  if (t) {
    const keys = await t.api.redis.keys(`${prefix}*`);
    if (keys.length) await t.api.redis.del(...keys.map((k) => k.slice(prefix.length)));
  }
  await t?.api.stop();
  await db?.end();
  await testDb?.drop();
});

const get = (as: string, path: string) =>
  fetch(`${t.base}/api/v1${path}`, { headers: { authorization: `Bearer ${token[as]}` } });

describe('GET /reports/maintenance.csv|pdf', () => {
  it('writes a row per vehicle and rule: overdue first, counters, last service, next due, status', async () => {
    const res = await get('a', `/reports/maintenance.csv?vehicleIds=${v['van']},${v['truck']}&${PERIOD}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="maintenance_2026-03-02_2026-03-03.csv"');
    expect((await res.text()).split('\r\n')).toEqual([
      'Vehicle,Rule,Odometer (km),Engine hours (h),Last service,Last service odometer (km),Last service engine hours (h),Next due odometer (km),Next due engine hours (h),Next due date,Status',
      'Camión Ñandú,Cambio de aceite,15234.5,410,2026-01-10T10:00:00+01:00,5000,300,15000,,,Overdue',
      'Camión Ñandú,Filters,15234.5,410,,,,,500,,OK',
      // The van has no counters yet: counted from 0 h.
      'Furgón,Filters,,,,,,,500,,OK',
      '',
    ]);
  });

  it('renders the PDF in Spanish with the statuses', async () => {
    const res = await get('a', `/reports/maintenance.pdf?vehicleIds=${v['truck']}&${PERIOD}&lang=es`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    const [page] = readPdf(Buffer.from(await res.arrayBuffer())).pages;
    for (const text of ['Mantenimiento', 'Camión Ñandú', 'Cambio de aceite', 'Vencido', 'Al día', '15.235 km'])
      expect(page).toContain(text);
  });

  it("answers 400 without vehicles and 404 for another organization's vehicle", async () => {
    const none = await get('a', `/reports/maintenance.csv?${PERIOD}`);
    expect(none.status).toBe(400);
    expect(ErrorBody.parse(await none.json()).error.details?.[0]?.path).toBe('vehicleIds');
    expect((await get('a', `/reports/maintenance.csv?vehicleIds=${v['other']}&${PERIOD}`)).status).toBe(404);
  });
});
