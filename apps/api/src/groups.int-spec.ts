import { hashPassword } from '@fleet/auth';
import {
  ENDPOINTS,
  LatestPositions,
  Me,
  NearestList,
  ShareLinkCreated,
  UserList,
  VehicleGroup,
  VehicleGroupList,
  VehicleList,
  VehicleWithToken,
  EventList,
  type Endpoint,
  type LiveMessage,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { publishLive } from '@fleet/live';
import { freePort } from '@fleet/runtime/testing';
import IORedis, { type Redis } from 'ioredis';
import pg from 'pg';
import { LIVE_SCOPE_REFRESH_MS } from './groups/live-scope';
import { apiCall, loginAll, seedOrganizations, TEST_PASSWORD } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';
import { openSse, type SseClient, type SseEvent } from './testing/sse';

// Vehicle groups (nested) and the scope of a user limited to some of them, over the whole route table
// and the live stream (main port and LIVE_PORT): an operator of "Norte" (and "Depot Norte" below it)
// gets 404 for a vehicle of "Sur" wherever a vehicle is named, and never sees it in a list or a stream.

const prefix = `test:api-groups:${process.pid}:`;
let testDb: TestDatabase;
let t: StartedApi;
let redis: Redis;
let db: pg.Pool;
let orgs: Record<string, string>;
let tokens: Record<string, string>;
let freeOperator: string;
const streams: SseClient[] = [];

// The fleet: Norte ⊃ Depot Norte; Sur; vehicles in Depot Norte, in Sur, and in no group.
let norte: VehicleGroup;
let depot: VehicleGroup;
let sur: VehicleGroup;
let inDepot: string;
let inSur: string;
let ungrouped: string;
let operatorId: string;

const as = (who: string) => tokens[who] ?? who;
const call = (who: string, method: string, path: string, body?: unknown) =>
  apiCall(t.base, as(who), method, path, body);
async function ok<T>(res: Response | Promise<Response>, status = 200): Promise<T> {
  const r = await res;
  const text = await r.text();
  if (r.status !== status) throw new Error(`${r.url} → ${r.status} (expected ${status}): ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
const vehicle = async (name: string, groupId: string | null) =>
  (await ok<VehicleWithToken>(call('admin@grp', 'POST', '/vehicles', { name, groupId }), 201)).vehicle.id;
const group = async (name: string, parentId?: string) =>
  ok<VehicleGroup>(call('admin@grp', 'POST', '/groups', { name, parentId }), 201);
const errorOf = async (res: Response) =>
  ((await res.json()) as { error: { code: string; details?: { path: string }[] } }).error;

beforeAll(async () => {
  testDb = await createTestDatabase('api-groups');
  orgs = await seedOrganizations(testDb.url, ['grp', 'other']);
  db = new pg.Pool({ connectionString: testDb.url, max: 2 });
  // A second operator who stays organization-wide.
  await db.query("INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, 'operator', $3)", [
    orgs['grp'],
    'free@grp.example',
    await hashPassword(TEST_PASSWORD),
  ]);
  t = await startTestApi(
    { DATABASE_URL: testDb.url, LIVE_PORT: String(await freePort()), LIVE_COALESCE_MS: '0' },
    { keyPrefix: prefix },
  );
  redis = new IORedis(t.config.redis.url, { keyPrefix: prefix });
  tokens = await loginAll(t.base, ['grp', 'other']);
  const res = await fetch(`${t.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'free@grp.example', password: TEST_PASSWORD }),
  });
  freeOperator = ((await res.json()) as { accessToken: string }).accessToken;

  norte = await group('Norte');
  depot = await group('Depot Norte', norte.id);
  sur = await group('Sur');
  inDepot = await vehicle('Van Norte', depot.id);
  inSur = await vehicle('Van Sur', sur.id);
  ungrouped = await vehicle('Van suelta', null);
  const users = await ok<UserList>(call('admin@grp', 'GET', '/users'));
  operatorId = users.items.find((u) => u.email === 'operator@grp.example')!.id;
  const viewerId = users.items.find((u) => u.email === 'viewer@grp.example')!.id;
  await ok(call('admin@grp', 'PATCH', `/users/${operatorId}`, { groupIds: [norte.id] }));
  await ok(call('admin@grp', 'PATCH', `/users/${viewerId}`, { groupIds: [norte.id] }));
}, 60_000);

afterEach(() => {
  for (const s of streams.splice(0)) s.close();
});

afterAll(async () => {
  await t?.api.stop();
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    await redis.quit();
  }
  await db?.end();
  await testDb?.drop();
});

describe('vehicle groups', () => {
  jest.setTimeout(30_000);

  it('lists the tree flat in tree order with depth and vehicle counts; a limited user sees their groups and those below', async () => {
    await group('Este');
    const all = await ok<VehicleGroupList>(call('admin@grp', 'GET', '/groups'));
    expect(all.items.map((g) => [g.name, g.depth, g.parentId, g.vehicleCount])).toEqual([
      ['Este', 0, null, 0],
      ['Norte', 0, null, 0],
      ['Depot Norte', 1, norte.id, 1],
      ['Sur', 0, null, 1],
    ]);
    const limited = await ok<VehicleGroupList>(call('operator@grp', 'GET', '/groups'));
    expect(limited.items.map((g) => g.name)).toEqual(['Norte', 'Depot Norte']);
    expect((await call('operator@grp', 'GET', `/groups/${sur.id}`)).status).toBe(404);
    expect((await ok<VehicleGroup>(call('operator@grp', 'GET', `/groups/${depot.id}`))).depth).toBe(1);
    // Another organization's admin: not found.
    expect((await call('admin@other', 'GET', `/groups/${norte.id}`)).status).toBe(404);
    expect((await ok<VehicleGroupList>(call('admin@other', 'GET', '/groups'))).items).toEqual([]);
  });

  it('lets admins create, rename and move groups; refuses sibling names (any case), cycles and unknown parents', async () => {
    expect((await call('operator@grp', 'POST', '/groups', { name: 'Nope' })).status).toBe(403);
    expect((await call(freeOperator, 'POST', '/groups', { name: 'Nope' })).status).toBe(403);
    const dup = await call('admin@grp', 'POST', '/groups', { name: 'norte' });
    expect(dup.status).toBe(409);
    expect((await errorOf(dup)).details?.map((d) => d.path)).toEqual(['name']);
    // The same name under another parent is fine.
    const west = await group('Oeste');
    const westDepot = await group('Norte', west.id);
    const cycle = await call('admin@grp', 'PATCH', `/groups/${west.id}`, { parentId: westDepot.id });
    expect(cycle.status).toBe(409);
    expect((await errorOf(cycle)).details?.map((d) => d.path)).toEqual(['parentId']);
    expect((await call('admin@grp', 'PATCH', `/groups/${west.id}`, { parentId: west.id })).status).toBe(409);
    const unknown = await call('admin@grp', 'POST', '/groups', {
      name: 'X',
      parentId: '00000000-0000-4000-8000-000000000000',
    });
    expect(unknown.status).toBe(400);
    expect((await errorOf(unknown)).details?.map((d) => d.path)).toEqual(['parentId']);
    // Another organization's group is no parent.
    expect((await call('admin@other', 'POST', '/groups', { name: 'X', parentId: norte.id })).status).toBe(400);
    const renamed = await ok<VehicleGroup>(
      call('admin@grp', 'PATCH', `/groups/${westDepot.id}`, { name: 'Depot Oeste' }),
    );
    expect(renamed.name).toBe('Depot Oeste');
    const moved = await ok<VehicleGroup>(call('admin@grp', 'PATCH', `/groups/${westDepot.id}`, { parentId: null }));
    expect([moved.parentId, moved.depth]).toEqual([null, 0]);
    await ok(call('admin@grp', 'DELETE', `/groups/${westDepot.id}`), 204);
    await ok(call('admin@grp', 'DELETE', `/groups/${west.id}`), 204);
    expect((await call('admin@grp', 'GET', `/groups/${west.id}`)).status).toBe(404);
  });

  it('refuses to delete a group in use with a 409 naming its subgroups, vehicles and limited users', async () => {
    const blocked = await call('admin@grp', 'DELETE', `/groups/${norte.id}`);
    expect(blocked.status).toBe(409);
    const error = await errorOf(blocked);
    expect(error.code).toBe('conflict');
    expect(error.details?.map((d) => d.path)).toEqual(['subgroups', 'users']);
    const withVehicle = await errorOf(await call('admin@grp', 'DELETE', `/groups/${depot.id}`));
    expect(withVehicle.details?.map((d) => d.path)).toEqual(['vehicles']);
    expect((await call('operator@grp', 'DELETE', `/groups/${sur.id}`)).status).toBe(403);
  });
});

describe('users limited to groups', () => {
  jest.setTimeout(30_000);

  it('shows the groups on me and in the users list; refuses unknown groups and limiting an admin', async () => {
    expect((await ok<Me>(call('operator@grp', 'GET', '/auth/me'))).groupIds).toEqual([norte.id]);
    expect((await ok<Me>(call(freeOperator, 'GET', '/auth/me'))).groupIds).toEqual([]);
    const list = await ok<UserList>(call('admin@grp', 'GET', '/users'));
    expect(list.items.find((u) => u.id === operatorId)?.groupIds).toEqual([norte.id]);
    const adminId = list.items.find((u) => u.role === 'admin')!.id;
    const onAdmin = await call('admin@grp', 'PATCH', `/users/${adminId}`, { groupIds: [norte.id] });
    expect(onAdmin.status).toBe(400);
    expect((await errorOf(onAdmin)).details?.map((d) => d.path)).toEqual(['groupIds']);
    const otherGroup = await ok<VehicleGroup>(call('admin@other', 'POST', '/groups', { name: 'Ajeno' }), 201);
    const foreign = await call('admin@grp', 'PATCH', `/users/${operatorId}`, { groupIds: [norte.id, otherGroup.id] });
    expect(foreign.status).toBe(400);
    expect((await errorOf(foreign)).details?.map((d) => d.path)).toEqual(['groupIds.1']);
    expect((await call('operator@grp', 'PATCH', `/users/${operatorId}`, { groupIds: [] })).status).toBe(403);
    expect((await ok<Me>(call('operator@grp', 'GET', '/auth/me'))).groupIds).toEqual([norte.id]);
  });

  it('lets a limited operator create and move vehicles only within their groups', async () => {
    const missing = await call('operator@grp', 'POST', '/vehicles', { name: 'No group' });
    expect(missing.status).toBe(400);
    expect((await errorOf(missing)).details?.map((d) => d.path)).toEqual(['groupId']);
    expect((await call('operator@grp', 'POST', '/vehicles', { name: 'South', groupId: sur.id })).status).toBe(400);
    const created = await ok<VehicleWithToken>(
      call('operator@grp', 'POST', '/vehicles', { name: 'Operator van', groupId: norte.id }),
      201,
    );
    expect(created.vehicle.groupId).toBe(norte.id);
    const moved = await call('operator@grp', 'PATCH', `/vehicles/${created.vehicle.id}`, { groupId: sur.id });
    expect(moved.status).toBe(400);
    await ok(call('operator@grp', 'PATCH', `/vehicles/${created.vehicle.id}`, { groupId: depot.id }));
    // The admin moves it out of Norte: the operator loses it on the next request.
    await ok(call('admin@grp', 'PATCH', `/vehicles/${created.vehicle.id}`, { groupId: sur.id }));
    expect((await call('operator@grp', 'GET', `/vehicles/${created.vehicle.id}`)).status).toBe(404);
    await ok(call('admin@grp', 'DELETE', `/vehicles/${created.vehicle.id}`), 204);
  });
});

// Resources of a kind that belongs to no vehicle: group scoping does not apply (organization isolation does).
const ORGANIZATION_WIDE = [
  '/api/v1/geofences/',
  '/api/v1/webhooks/',
  '/api/v1/notification-rules/',
  '/api/v1/report-schedules/',
  '/api/v1/users/',
  '/api/v1/drivers/',
  // Rules name a vehicle, a group or the whole organization; they are the organization's (docs/groups.md).
  '/api/v1/maintenance/rules/',
];

describe('group scoping over the whole route table', () => {
  jest.setTimeout(60_000);

  it('answers 404 to an operator of Norte for every :id route about a vehicle of Sur, whatever the method', async () => {
    const shareLink = async (vehicleId: string) =>
      (await ok<ShareLinkCreated>(call('admin@grp', 'POST', `/vehicles/${vehicleId}/share-links`, {}), 201)).shareLink
        .id;
    const event = async (vehicleId: string) =>
      (
        await db.query<{ id: string }>(
          "INSERT INTO events (organization_id, vehicle_id, type, ts) VALUES ($1, $2, 'overspeed', now()) RETURNING id",
          [orgs['grp'], vehicleId],
        )
      ).rows[0].id;
    const resources = async (vehicleId: string, groupId: string) => ({
      vehicle: vehicleId,
      event: await event(vehicleId),
      shareLink: await shareLink(vehicleId),
      group: groupId,
    });
    const south = await resources(inSur, sur.id);
    const north = await resources(inDepot, depot.id);
    const resourceOf = (path: string, r: typeof south) => {
      if (path.startsWith('/api/v1/vehicles/')) return r.vehicle;
      if (path.startsWith('/api/v1/events/')) return r.event;
      if (path.startsWith('/api/v1/share-links/')) return r.shareLink;
      if (path.startsWith('/api/v1/groups/')) return r.group;
      throw new Error(`${path}: a vehicle's resource or not? Add it here or to ORGANIZATION_WIDE`);
    };
    const bodyOf = (path: string) => {
      if (path.endsWith('/tracker-settings')) return { uploadBatchSize: 100 };
      if (path.endsWith('/commands')) return { text: 'getinfo' };
      if (path.endsWith('/driver')) return { driverId: '00000000-0000-4000-8000-000000000000' };
      if (path.endsWith('/maintenance/records')) return { ruleId: '00000000-0000-4000-8000-000000000000' };
      return { name: 'x' };
    };
    const send = (who: string, route: Endpoint, r: typeof south) =>
      fetch(`${t.base}${route.path.replace(':id', resourceOf(route.path, r))}`, {
        method: route.method.toUpperCase(),
        headers: { authorization: `Bearer ${as(who)}`, 'content-type': 'application/json' },
        body: route.method === 'get' || route.method === 'delete' ? undefined : JSON.stringify(bodyOf(route.path)),
      });
    const routes = (Object.values(ENDPOINTS) as Endpoint[]).filter(
      (r) => r.security === 'user' && r.path.includes(':id') && !ORGANIZATION_WIDE.some((p) => r.path.startsWith(p)),
    );
    expect(routes.length).toBeGreaterThan(15);
    const seen: string[] = [];
    const expected: string[] = [];
    for (const route of routes) {
      const forbidden = route.roles && !route.roles.includes('operator');
      const res = await send('operator@grp', route, south);
      seen.push(`${route.method} ${route.path} → ${res.status}`);
      expected.push(`${route.method} ${route.path} → ${forbidden ? 403 : 404}`);
    }
    expect(seen).toEqual(expected);
    // The same reads of Norte's vehicle succeed: the 404s are the scope's, not the routes'.
    for (const route of routes.filter((r) => r.method === 'get')) {
      const res = await send('operator@grp', route, north);
      expect(`${route.path} → ${res.status < 300 ? 'ok' : res.status}`).toBe(`${route.path} → ok`);
      // An operator of the whole organization reads Sur's too.
      const free = await send(freeOperator, route, south);
      expect(`${route.path} → ${free.status < 300 ? 'ok' : free.status}`).toBe(`${route.path} → ok`);
    }
  });

  it('leaves Sur out of every list, map and report of the limited operator; filters every one by group', async () => {
    const client = await db.connect();
    try {
      for (const [i, id] of [inDepot, inSur, ungrouped].entries())
        await client.query(
          `INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh)
           VALUES ($1, $2, now(), ST_SetSRID(ST_MakePoint($3, 40), 4326), 10)`,
          [id, orgs['grp'], -3.7 + i / 1000],
        );
      await client.query(
        "INSERT INTO events (organization_id, vehicle_id, type, ts) VALUES ($1, $2, 'overspeed', now()), ($1, $3, 'overspeed', now()), ($1, $4, 'overspeed', now())",
        [orgs['grp'], inDepot, inSur, ungrouped],
      );
    } finally {
      client.release();
    }
    const vehiclesOf = async (who: string, query = '') =>
      (await ok<VehicleList>(call(who, 'GET', `/vehicles${query}`))).items.map((v) => v.id).sort();
    const latestOf = async (who: string, query = '') =>
      (await ok<LatestPositions>(call(who, 'GET', `/positions/latest${query}`))).features
        .map((f) => f.properties.vehicleId)
        .sort();
    const nearestOf = async (who: string, query = '') =>
      (await ok<NearestList>(call(who, 'GET', `/positions/nearest?lat=40&lon=-3.7${query}`))).items
        .map((v) => v.vehicleId)
        .sort();
    const eventsOf = async (who: string, query = '') =>
      [...new Set((await ok<EventList>(call(who, 'GET', `/events${query}`))).items.map((e) => e.vehicleId))].sort();
    const reportOf = async (who: string, query = '') => {
      const res = await call(who, 'GET', `/reports/events.csv${query}`);
      expect(res.status).toBe(200);
      const csv = await res.text();
      return ['Van Norte', 'Van Sur', 'Van suelta'].filter((name) => csv.includes(name));
    };
    const everything = [inDepot, inSur, ungrouped].sort();
    for (const [read, what] of [
      [vehiclesOf, 'vehicles'],
      [latestOf, 'latest'],
      [nearestOf, 'nearest'],
      [eventsOf, 'events'],
    ] as const) {
      expect([what, await read('operator@grp')]).toEqual([what, [inDepot]]);
      expect([what, await read('viewer@grp')]).toEqual([what, [inDepot]]);
      expect([what, await read(freeOperator)]).toEqual([what, everything]);
      expect([what, await read('admin@grp')]).toEqual([what, everything]);
      const sep = what === 'nearest' ? '&' : '?';
      // groupId: the group and those below it, within the caller's own scope.
      expect([what, await read('admin@grp', `${sep}groupId=${norte.id}`)]).toEqual([what, [inDepot]]);
      expect([what, await read('admin@grp', `${sep}groupId=${sur.id}`)]).toEqual([what, [inSur]]);
      expect([what, await read('operator@grp', `${sep}groupId=${sur.id}`)]).toEqual([what, []]);
      expect([what, await read('operator@grp', `${sep}groupId=${depot.id}`)]).toEqual([what, [inDepot]]);
    }
    expect(await reportOf('operator@grp')).toEqual(['Van Norte']);
    expect(await reportOf('admin@grp')).toEqual(['Van Norte', 'Van Sur', 'Van suelta']);
    expect(await reportOf('admin@grp', `?groupId=${sur.id}`)).toEqual(['Van Sur']);
    // A report naming Sur's vehicle is a 404 for the operator, whatever the kind.
    for (const kind of ['trips', 'events'])
      expect((await call('operator@grp', 'GET', `/reports/${kind}.csv?vehicleIds=${inSur}`)).status).toBe(404);
    expect((await call('operator@grp', 'GET', `/reports/trips.csv?groupId=${sur.id}`)).status).toBe(400);
  });
});

describe('group scoping of the live stream', () => {
  jest.setTimeout(30_000);

  let seq = 0;
  const position = (vehicleId: string): LiveMessage => ({
    type: 'position',
    data: {
      vehicleId,
      ts: new Date(Date.UTC(2026, 0, 1) + ++seq * 1000).toISOString(),
      lat: 40,
      lon: -3.7,
      speedKmh: 42,
      heading: 90,
      altitude: null,
      accuracy: null,
      battery: null,
      attributes: {},
    },
  });
  const eventOf = (vehicleId: string): LiveMessage => ({
    type: 'event',
    data: {
      id: '00000000-0000-4000-8000-00000000000' + (++seq % 10),
      vehicleId,
      type: 'overspeed',
      ts: new Date().toISOString(),
      geofenceId: null,
      lat: 40,
      lon: -3.7,
      attributes: {},
    },
  });
  const vehicleIds = (events: SseEvent[]) =>
    events
      .filter((e) => e.event === 'position' || e.event === 'event')
      .map((e) => (JSON.parse(e.data) as { vehicleId: string }).vehicleId);
  const open = async (who: string, base: string) => {
    const s = await openSse(`${base}/api/v1/live`, { authorization: `Bearer ${as(who)}` });
    streams.push(s);
    expect(s.status).toBe(200);
    const deadline = Date.now() + 5_000;
    while (s.retry === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    return s;
  };

  it.each([
    ['the main port', () => t.base],
    ['LIVE_PORT', () => `http://127.0.0.1:${t.api.livePort}`],
  ])('streams none of Sur’s fixes or events to the operator of Norte, on %s', async (_where, base) => {
    const limited = await open('operator@grp', base());
    const whole = await open(freeOperator, base());
    // Sur's messages first: if the limited stream passed them, they would arrive before Norte's last one.
    await publishLive(redis, orgs['grp'], [
      position(inSur),
      eventOf(inSur),
      position(ungrouped),
      position(inDepot),
      eventOf(inDepot),
    ]);
    await whole.waitFor((e) => vehicleIds(e).length === 5, 'every message on the organization-wide stream');
    await limited.waitFor((e) => vehicleIds(e).length >= 2, 'Norte’s messages');
    expect(vehicleIds(limited.events)).toEqual([inDepot, inDepot]);
    expect(vehicleIds(whole.events)).toEqual([inSur, inSur, ungrouped, inDepot, inDepot]);
  });

  it('follows vehicles created in the groups and moved out of them while the stream is open', async () => {
    const limited = await open('operator@grp', t.base);
    const created = await vehicle('Van nueva', depot.id);
    const seen = () => vehicleIds(limited.events).filter((v) => v === created).length;
    // Its first fix may arrive before the stream knows the vehicle: keep sending until one passes.
    const deadline = Date.now() + 10_000;
    while (seen() === 0) {
      if (Date.now() > deadline) throw new Error('the new vehicle of Depot Norte never streamed');
      await publishLive(redis, orgs['grp'], [position(created)]);
      await new Promise((r) => setTimeout(r, 100));
    }
    // Moved to Sur: within the stream's re-read of its vehicles, its fixes stop.
    await ok(call('admin@grp', 'PATCH', `/vehicles/${created}`, { groupId: sur.id }));
    const moved = Date.now();
    let lastSeenAt = moved;
    let count = seen();
    while (Date.now() - lastSeenAt < 2_000) {
      if (Date.now() - moved > 15_000) throw new Error('the vehicle moved to Sur kept streaming');
      await publishLive(redis, orgs['grp'], [position(created)]);
      await new Promise((r) => setTimeout(r, 100));
      if (seen() > count) [count, lastSeenAt] = [seen(), Date.now()];
    }
    expect(lastSeenAt - moved).toBeLessThan(LIVE_SCOPE_REFRESH_MS + 1_000);
    await ok(call('admin@grp', 'DELETE', `/vehicles/${created}`), 204);
  });

  it('applies a change of the user’s groups at once: the open stream ends and the next request sees the new scope', async () => {
    const limited = await open('operator@grp', t.base);
    await ok(call('admin@grp', 'PATCH', `/users/${operatorId}`, { groupIds: [sur.id] }));
    try {
      await limited.waitFor((e) => e.some((x) => x.event === 'expired'), 'the stream to end', 5_000);
      await limited.ended;
      await ok(call('operator@grp', 'GET', `/vehicles/${inSur}`));
      expect((await call('operator@grp', 'GET', `/vehicles/${inDepot}`)).status).toBe(404);
      const again = await open('operator@grp', t.base);
      await publishLive(redis, orgs['grp'], [position(inDepot), position(inSur)]);
      await again.waitFor((e) => vehicleIds(e).length >= 1, 'Sur’s fix');
      expect(vehicleIds(again.events)).toEqual([inSur]);
    } finally {
      await ok(call('admin@grp', 'PATCH', `/users/${operatorId}`, { groupIds: [norte.id] }));
    }
  });
});
