import { ErrorBody, EventDetail, EventList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

let testDb: TestDatabase;
let t: StartedApi;
let pool: pg.Pool;
let tokens: Record<string, string>;
let orgs: Record<string, string>;
const ids: Record<string, string> = {};

interface Seeded {
  id: string;
  vehicle: string;
  type: string;
  ts: string;
  geofence: string | null;
}
const seeded: Seeded[] = [];
const BASE = Date.parse('2026-03-01T00:00:00Z');

beforeAll(async () => {
  testDb = await createTestDatabase('api-events');
  orgs = await seedOrganizations(testDb.url, ['a', 'b']);
  pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  // pool.end() resolves before its connections have closed; the database's DROP … FORCE may still
  // reach one, and an unheard pool 'error' would fail the suite.
  pool.on('error', () => undefined);
  for (const [key, org, name] of [
    ['v1', 'a', 'Van 1'],
    ['v2', 'a', 'Van 2'],
    ['vb', 'b', 'B van'],
  ] as const)
    ids[key] = (
      await pool.query(
        'INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, $2, $3) RETURNING id',
        [orgs[org], name, `events-${key}`],
      )
    ).rows[0].id;
  ids['depot'] = (
    await pool.query(
      `INSERT INTO geofences (organization_id, name, kind, area)
       VALUES ($1, 'Depot', 'polygon', ST_GeomFromText('POLYGON((0 0, 1 0, 1 1, 0 0))', 4326)) RETURNING id`,
      [orgs['a']],
    )
  ).rows[0].id;
  // 30 events of A: two vehicles, several types, some sharing a timestamp (ties broken by id).
  for (let i = 0; i < 30; i++) {
    const vehicle = i % 3 === 0 ? ids['v2'] : ids['v1'];
    const type = ['geofence_enter', 'geofence_exit', 'overspeed', 'device_online'][i % 4];
    const geofence = type.startsWith('geofence') ? ids['depot'] : null;
    const ts = new Date(BASE + Math.floor(i / 2) * 60_000).toISOString();
    const res = await pool.query(
      `INSERT INTO events (organization_id, vehicle_id, type, ts, geofence_id, point, attributes)
       VALUES ($1, $2, $3, $4, $5, ST_SetSRID(ST_MakePoint(0.5, 0.25), 4326), $6) RETURNING id`,
      [orgs['a'], vehicle, type, ts, geofence, { i }],
    );
    seeded.push({ id: res.rows[0].id, vehicle, type, ts, geofence });
  }
  ids['bEvent'] = (
    await pool.query(
      "INSERT INTO events (organization_id, vehicle_id, type, ts) VALUES ($1, $2, 'overspeed', $3) RETURNING id",
      [orgs['b'], ids['vb'], new Date(BASE).toISOString()],
    )
  ).rows[0].id;
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: `test:events:${process.pid}:` });
  tokens = await loginAll(t.base, ['a', 'b']);
});

afterAll(async () => {
  await t?.api.stop();
  await pool?.end();
  await testDb?.drop();
});

const call = (as: string, path: string) => apiCall(t.base, tokens[as], 'GET', path);

/** Newest first, ties on ts broken by id descending: the order the API promises. */
const expectedOrder = (items: Seeded[]) =>
  [...items].sort((x, y) => (x.ts === y.ts ? (x.id < y.id ? 1 : -1) : x.ts < y.ts ? 1 : -1)).map((e) => e.id);

async function walk(as: string, query: string) {
  const seen: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await call(as, `/events?${query}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    expect(res.status).toBe(200);
    const page = EventList.parse(await res.json());
    seen.push(...page.items.map((e) => e.id));
    cursor = page.nextCursor;
    pages++;
    expect(pages).toBeLessThan(50);
  } while (cursor);
  return { seen, pages };
}

describe('events API', () => {
  jest.setTimeout(30_000);

  it('pages through every event once, newest first, with ties on the timestamp', async () => {
    const { seen, pages } = await walk('viewer@a', 'limit=7');
    expect(pages).toBe(5);
    expect(seen).toEqual(expectedOrder(seeded));
    expect(new Set(seen).size).toBe(30);
  });

  it('shows an event with its vehicle and geofence names', async () => {
    const enter = seeded.find((e) => e.type === 'geofence_enter')!;
    const res = await call('viewer@a', `/events/${enter.id}`);
    expect(res.status).toBe(200);
    expect(EventDetail.parse(await res.json())).toEqual({
      id: enter.id,
      vehicleId: enter.vehicle,
      type: 'geofence_enter',
      ts: enter.ts,
      geofenceId: ids['depot'],
      lat: 0.25,
      lon: 0.5,
      attributes: { i: seeded.indexOf(enter) },
      vehicleName: enter.vehicle === ids['v1'] ? 'Van 1' : 'Van 2',
      geofenceName: 'Depot',
      retractedAt: null,
      // The event's point lies in the Depot geofence: its place (no geocoder configured here).
      place: 'Depot',
    });
  });

  it('filters by vehicle, type, geofence and time range, also across pages', async () => {
    const cases: Array<[string, (e: Seeded) => boolean]> = [
      [`vehicleId=${ids['v2']}`, (e) => e.vehicle === ids['v2']],
      ['type=overspeed', (e) => e.type === 'overspeed'],
      [`geofenceId=${ids['depot']}`, (e) => e.geofence === ids['depot']],
      [
        `from=${new Date(BASE + 5 * 60_000).toISOString()}&to=${new Date(BASE + 9 * 60_000).toISOString()}`,
        (e) => e.ts >= new Date(BASE + 5 * 60_000).toISOString() && e.ts < new Date(BASE + 9 * 60_000).toISOString(),
      ],
      [`vehicleId=${ids['v1']}&type=geofence_exit`, (e) => e.vehicle === ids['v1'] && e.type === 'geofence_exit'],
    ];
    for (const [query, keep] of cases) {
      const expected = expectedOrder(seeded.filter(keep));
      expect(expected.length).toBeGreaterThan(1);
      expect((await walk('viewer@a', `${query}&limit=2`)).seen).toEqual(expected);
    }
  });

  it('refuses bad filters and cursors with a 400 naming the parameter', async () => {
    for (const [query, path] of [
      ['vehicleId=nope', 'vehicleId'],
      ['type=teleported', 'type'],
      ['from=yesterday', 'from'],
      ['from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', 'to'],
      ['limit=0', 'limit'],
      ['limit=1001', 'limit'],
      ['cursor=bm90LWEtY3Vyc29y', 'cursor'],
      ['cursor=%27%3B%20DROP%20TABLE%20events%3B--', 'cursor'],
      // Well-formed, but timestamps no event can have: past bigint, or past what a timestamp holds.
      ...['9999999999999999999', '9223372036854775808', '-9223372036854775808', '9223372036854775807'].map((tsUs) => [
        `cursor=${Buffer.from(`${tsUs}~${seeded[0].id}`).toString('base64url')}`,
        'cursor',
      ]),
      ['colour=red', 'colour'],
      ['includeRetracted=yes', 'includeRetracted'],
    ]) {
      const res = await call('viewer@a', `/events?${query}`);
      expect(`${query} → ${res.status}`).toBe(`${query} → 400`);
      const body = ErrorBody.parse(await res.json());
      expect(body.error.details?.map((d) => d.path)).toContain(path);
    }
  });

  it('keeps organizations apart: other events are neither listed nor shown (404)', async () => {
    const b = EventList.parse(await (await call('viewer@b', '/events')).json());
    expect(b.items.map((e) => e.id)).toEqual([ids['bEvent']]);
    expect((await call('viewer@a', `/events/${ids['bEvent']}`)).status).toBe(404);
    expect((await call('viewer@b', `/events/${seeded[0].id}`)).status).toBe(404);
    expect((await call('viewer@a', '/events/not-a-uuid')).status).toBe(404);
    // Another organization's vehicle as a filter finds nothing, rather than its events.
    const filtered = EventList.parse(await (await call('viewer@a', `/events?vehicleId=${ids['vb']}`)).json());
    expect(filtered.items).toEqual([]);
    expect((await apiCall(t.base, undefined, 'GET', '/events')).status).toBe(401);
  });

  it('leaves retracted events out of the lists unless includeRetracted=true, and shows when they were retracted', async () => {
    const retractedAt = '2026-03-02T10:00:00.000Z';
    const id = (
      await pool.query(
        `INSERT INTO events (organization_id, vehicle_id, type, ts, geofence_id, retracted_at)
         VALUES ($1, $2, 'geofence_enter', $3, $4, $5) RETURNING id`,
        [orgs['a'], ids['v1'], new Date(BASE + 90 * 60_000).toISOString(), ids['depot'], retractedAt],
      )
    ).rows[0].id as string;
    const listed = async (query: string) => (await walk('viewer@a', query)).seen;
    expect(await listed('limit=100')).toEqual(expectedOrder(seeded));
    expect(await listed(`vehicleId=${ids['v1']}&type=geofence_enter`)).not.toContain(id);
    expect(await listed('includeRetracted=false')).toEqual(expectedOrder(seeded));
    const all = await listed('includeRetracted=true&limit=4');
    expect(all).toEqual([id, ...expectedOrder(seeded)]);

    const page = EventList.parse(await (await call('viewer@a', '/events?includeRetracted=true&limit=2')).json());
    expect(page.items.map((e) => [e.id, e.retractedAt])).toEqual([
      [id, retractedAt],
      [expectedOrder(seeded)[0], null],
    ]);
    // Asked for by id, it is shown, marked.
    const one = EventDetail.parse(await (await call('viewer@a', `/events/${id}`)).json());
    expect(one.retractedAt).toBe(retractedAt);
  });
});
