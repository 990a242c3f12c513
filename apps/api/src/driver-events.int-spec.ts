import { Driver, EventType, LiveMessage, VehicleWithToken, WebhookWithSecret } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { readLiveLog } from '@fleet/live';
import IORedis, { type Redis } from 'ioredis';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

// A hand assignment through the API emits `driver_changed` like the worker's automatic one: the event,
// its deliveries (here a subscribed webhook's) in the same transaction, and the live `event` message.

let testDb: TestDatabase;
let t: StartedApi;
let pool: pg.Pool;
let redis: Redis;
let tokens: Record<string, string>;
let orgs: Record<string, string>;
const prefix = `test:driver-events:${process.pid}:`;

beforeAll(async () => {
  testDb = await createTestDatabase('api-driver-events');
  orgs = await seedOrganizations(testDb.url, ['a']);
  t = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
  tokens = await loginAll(t.base, ['a']);
  pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  redis = new IORedis(t.config.redis.url, { keyPrefix: prefix });
});

afterAll(async () => {
  await t?.api.stop();
  await pool?.end();
  if (redis) {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    await redis.quit();
  }
  await testDb?.drop();
});

const call = (as: string, method: string, path: string, body?: unknown) =>
  apiCall(t.base, tokens[as], method, path, body);

async function lastLiveId(): Promise<string> {
  const last = await redis.xrevrange(`livelog:${orgs['a']}`, '+', '-', 'COUNT', 1);
  return last[0]?.[0] ?? '0-0';
}

async function liveEventsAfter(id: string) {
  return (await readLiveLog(redis, orgs['a'], id))
    .map((e) => LiveMessage.parse(e.message))
    .flatMap((m) => (m.type === 'event' ? [m.data] : []));
}

async function driverEvents(vehicleId: string) {
  const res = await pool.query<{
    id: string;
    ts: Date;
    subject_id: string | null;
    attributes: Record<string, unknown>;
    deliveries: string;
    pushes: string;
  }>(
    `SELECT e.id, e.ts, e.subject_id, e.attributes,
            (SELECT count(*) FROM webhook_deliveries d WHERE d.event_id = e.id)::text AS deliveries,
            (SELECT count(*) FROM push_deliveries p WHERE p.event_id = e.id)::text AS pushes
       FROM events e WHERE e.vehicle_id = $1 AND e.type = 'driver_changed' ORDER BY e.ts`,
    [vehicleId],
  );
  return res.rows;
}

describe('hand driver assignments emit driver_changed', () => {
  jest.setTimeout(30_000);

  it('assign, reassign and unassign each store one event with a webhook delivery and a live message', async () => {
    expect(EventType.options).toContain('driver_changed');
    const hook = await call('admin@a', 'POST', '/webhooks', {
      url: 'https://hooks.example/fleet',
      eventTypes: ['driver_changed'],
    });
    expect(hook.status).toBe(201);
    WebhookWithSecret.parse(await hook.json());
    // Another type only: never scheduled for these events.
    expect(
      (await call('admin@a', 'POST', '/webhooks', { url: 'https://other.example/', eventTypes: ['overspeed'] })).status,
    ).toBe(201);

    // The dispatcher's phone asks for driver changes (and maintenance due): the API accepts both.
    const registered = await call('operator@a', 'POST', '/push-tokens', {
      token: 'ExponentPushToken[driver-events-1]',
      eventTypes: ['driver_changed', 'maintenance_due'],
    });
    expect(registered.status).toBeLessThan(300);

    const veh = await call('admin@a', 'POST', '/vehicles', { name: 'Van 1' });
    const vehicleId = VehicleWithToken.parse(await veh.json()).vehicle.id;
    const ana = Driver.parse(await (await call('admin@a', 'POST', '/drivers', { name: 'Ana' })).json());
    const bo = Driver.parse(await (await call('admin@a', 'POST', '/drivers', { name: 'Bo' })).json());

    // Assign Ana: from nobody to Ana, at the assignment's start.
    let before = await lastLiveId();
    const first = await call('operator@a', 'PUT', `/vehicles/${vehicleId}/driver`, { driverId: ana.id });
    expect(first.status).toBe(200);
    const firstAssignment = (await first.json()) as { startedAt: string };
    let events = await driverEvents(vehicleId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      subject_id: ana.id,
      attributes: { from: null, to: ana.id, fromName: null, toName: 'Ana', source: 'manual' },
      deliveries: '1',
      pushes: '1',
    });
    expect(events[0].ts.toISOString()).toBe(firstAssignment.startedAt);
    let live = await liveEventsAfter(before);
    expect(live).toEqual([expect.objectContaining({ id: events[0].id, type: 'driver_changed', vehicleId })]);

    // The same driver again: nothing changes, nothing is emitted.
    before = await lastLiveId();
    expect((await call('operator@a', 'PUT', `/vehicles/${vehicleId}/driver`, { driverId: ana.id })).status).toBe(200);
    expect(await driverEvents(vehicleId)).toHaveLength(1);
    expect(await liveEventsAfter(before)).toEqual([]);

    // Ana → Bo.
    before = await lastLiveId();
    expect((await call('operator@a', 'PUT', `/vehicles/${vehicleId}/driver`, { driverId: bo.id })).status).toBe(200);
    events = await driverEvents(vehicleId);
    expect(events).toHaveLength(2);
    expect(events[1]).toMatchObject({
      subject_id: bo.id,
      attributes: { from: ana.id, to: bo.id, fromName: 'Ana', toName: 'Bo' },
      deliveries: '1',
      pushes: '1',
    });
    live = await liveEventsAfter(before);
    expect(live.map((e) => e.id)).toEqual([events[1].id]);

    // Unassign: Bo → nobody, at the assignment's end.
    before = await lastLiveId();
    expect((await call('operator@a', 'DELETE', `/vehicles/${vehicleId}/driver`)).status).toBe(204);
    events = await driverEvents(vehicleId);
    expect(events).toHaveLength(3);
    expect(events[2]).toMatchObject({
      subject_id: null,
      attributes: { from: bo.id, to: null, fromName: 'Bo', toName: null },
      deliveries: '1',
      pushes: '1',
    });
    const ended = await pool.query<{ ended_at: Date }>(
      'SELECT ended_at FROM driver_assignments WHERE vehicle_id = $1 AND driver_id = $2',
      [vehicleId, bo.id],
    );
    expect(events[2].ts.toISOString()).toBe(ended.rows[0].ended_at.toISOString());
    live = await liveEventsAfter(before);
    expect(live).toEqual([expect.objectContaining({ id: events[2].id, type: 'driver_changed', lat: null })]);

    // Unassigning nobody: nothing.
    before = await lastLiveId();
    expect((await call('operator@a', 'DELETE', `/vehicles/${vehicleId}/driver`)).status).toBe(204);
    expect(await driverEvents(vehicleId)).toHaveLength(3);
    expect(await liveEventsAfter(before)).toEqual([]);

    // The webhook subscribed to overspeed only got nothing.
    const all = await pool.query<{ n: string }>(
      `SELECT count(*)::text AS n FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
        WHERE w.url LIKE 'https://other.example/%'`,
    );
    expect(all.rows[0].n).toBe('0');
  });
});
