import {
  COMMAND_LIMITS,
  COMMANDS_QUEUED_CHANNEL,
  CommandList,
  DeviceCommand,
  ErrorBody,
  VehicleWithToken,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import type { Redis } from '@fleet/runtime';
import pg from 'pg';
import { apiCall, loginAll, seedOrganizations } from './testing/accounts';
import { startTestApi, type StartedApi } from './testing/harness';

const KEY_PREFIX = `test:commands:${process.pid}:`;
let testDb: TestDatabase;
let t: StartedApi;
let db: pg.Client;
let tokens: Record<string, string>;
let vehicleA: string;
let vehicleB: string;
let subscriber: Redis;
const announced: string[] = [];

const call = (as: string, method: string, path: string, body?: unknown) =>
  apiCall(t.base, tokens[as], method, path, body);
/** What the tracker gateway does while it holds the device's connection (apps/trackers/src/presence.ts). */
const markOnline = (vehicleId: string) => t.api.deps.redis.set(`trackers:online:${vehicleId}`, 'gw-test:1', 'EX', 90);
const markOffline = (vehicleId: string) => t.api.deps.redis.del(`trackers:online:${vehicleId}`);

beforeAll(async () => {
  testDb = await createTestDatabase('api-commands');
  await seedOrganizations(testDb.url, ['a', 'b']);
  t = await startTestApi({ DATABASE_URL: testDb.url, COMMAND_TTL_MINUTES: '5' }, { keyPrefix: KEY_PREFIX });
  tokens = await loginAll(t.base, ['a', 'b']);
  const create = async (as: string) =>
    VehicleWithToken.parse(await (await call(as, 'POST', '/vehicles', { name: 'Truck' })).json()).vehicle.id;
  vehicleA = await create('admin@a');
  vehicleB = await create('admin@b');
  db = new pg.Client({ connectionString: testDb.url });
  await db.connect();
  subscriber = t.api.deps.redis.duplicate();
  subscriber.on('message', (_channel: string, message: string) => announced.push(message));
  // ioredis prefixes keys, not channels: the API adds the prefix to the channel itself.
  await subscriber.subscribe(`${KEY_PREFIX}${COMMANDS_QUEUED_CHANNEL}`);
});

afterAll(async () => {
  subscriber?.disconnect();
  await db?.end();
  await t?.api.stop();
  await testDb?.drop();
});

beforeEach(async () => {
  await markOffline(vehicleA);
  await db.query('DELETE FROM device_commands');
  announced.length = 0;
});

describe('device commands', () => {
  jest.setTimeout(30_000);

  it('refuses with 409 "device not connected" while no tracker gateway holds the device, and queues nothing', async () => {
    const res = await call('operator@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: 'getinfo' });
    expect(res.status).toBe(409);
    const body = ErrorBody.parse(await res.json());
    expect(body.error.code).toBe('conflict');
    expect(body.error.message).toMatch(/device not connected/);
    expect((await db.query('SELECT 1 FROM device_commands')).rowCount).toBe(0);
    expect(announced).toEqual([]);
  });

  it('queues a command for a connected device (202), announces it on commands:queued, expiring after COMMAND_TTL_MINUTES', async () => {
    await markOnline(vehicleA);
    const res = await call('operator@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: '  getinfo ' });
    expect(res.status).toBe(202);
    const command = DeviceCommand.parse(await res.json());
    expect(command).toMatchObject({ vehicleId: vehicleA, text: 'getinfo', status: 'queued', response: null });
    expect(Date.parse(command.expiresAt) - Date.parse(command.createdAt)).toBe(5 * 60_000);
    const row = await db.query(
      `SELECT c.status, c.text, c.serial, u.email FROM device_commands c JOIN users u ON u.id = c.created_by WHERE c.id = $1`,
      [command.id],
    );
    expect(row.rows).toEqual([
      { status: 'queued', text: 'getinfo', serial: expect.any(Number), email: 'operator@a.example' },
    ]);
    await waitUntil(() => announced.length > 0);
    expect(announced).toEqual([vehicleA]);
    // The admin may too.
    expect((await call('admin@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: 'getver' })).status).toBe(202);
  });

  it('forbids viewers to send (403) but shows them the list', async () => {
    await markOnline(vehicleA);
    const res = await call('viewer@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: 'getinfo' });
    expect(res.status).toBe(403);
    expect((await db.query('SELECT 1 FROM device_commands')).rowCount).toBe(0);
    expect((await call('viewer@a', 'GET', `/vehicles/${vehicleA}/commands`)).status).toBe(200);
  });

  it('answers 404 for another organization’s vehicle, connected or not, to send and to list', async () => {
    await markOnline(vehicleB);
    for (const [method, body] of [
      ['POST', { text: 'getinfo' }],
      ['GET', undefined],
    ] as const) {
      const res = await call('admin@a', method, `/vehicles/${vehicleB}/commands`, body);
      expect(res.status).toBe(404);
      expect(ErrorBody.parse(await res.json()).error.code).toBe('not_found');
    }
    expect((await db.query('SELECT 1 FROM device_commands')).rowCount).toBe(0);
    await markOffline(vehicleB);
  });

  it('refuses a bad text with 400 naming the field', async () => {
    await markOnline(vehicleA);
    for (const body of [
      { text: '' },
      { text: '   ' },
      { text: 'x'.repeat(201) },
      { text: 'setparam 2001:\u00e9' },
      { text: 'getinfo\r\n' + 'cpureset' },
      { text: 42 },
      {},
    ]) {
      const res = await call('admin@a', 'POST', `/vehicles/${vehicleA}/commands`, body);
      expect(res.status).toBe(400);
      const error = ErrorBody.parse(await res.json()).error;
      expect(error.details?.map((d) => d.path)).toContain('text');
    }
    expect((await call('admin@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: 'x', extra: 1 })).status).toBe(400);
    expect((await db.query('SELECT 1 FROM device_commands')).rowCount).toBe(0);
    // The longest accepted text is stored whole.
    expect((await call('admin@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: 'x'.repeat(200) })).status).toBe(
      202,
    );
  });

  it('lists newest first, paged, with the status, times and the device’s answer', async () => {
    await markOnline(vehicleA);
    const sent: DeviceCommand[] = [];
    for (const text of ['getinfo', 'getver', 'getgps'])
      sent.push(
        DeviceCommand.parse(
          await (await call('operator@a', 'POST', `/vehicles/${vehicleA}/commands`, { text })).json(),
        ),
      );
    // The tracker gateway sent the first and stored the device's answer; the second expired unsent.
    await db.query(
      `UPDATE device_commands SET status = 'answered', sent_at = now(), answered_at = now(), response = 'RTC:2026/12/6 GPS:1' WHERE id = $1`,
      [sent[0].id],
    );
    await db.query(`UPDATE device_commands SET expires_at = now() - interval '1 second' WHERE id = $1`, [sent[1].id]);
    const page = CommandList.parse(
      await (await call('viewer@a', 'GET', `/vehicles/${vehicleA}/commands?limit=2`)).json(),
    );
    expect(page.total).toBe(3);
    expect(page.items.map((c) => [c.text, c.status])).toEqual([
      ['getgps', 'queued'],
      ['getver', 'expired'],
    ]);
    const rest = CommandList.parse(
      await (await call('viewer@a', 'GET', `/vehicles/${vehicleA}/commands?limit=2&offset=2`)).json(),
    );
    expect(rest.items).toHaveLength(1);
    expect(rest.items[0]).toMatchObject({ text: 'getinfo', status: 'answered', response: 'RTC:2026/12/6 GPS:1' });
    expect(rest.items[0].answeredAt).not.toBeNull();
    expect(rest.items[0].sentAt).not.toBeNull();
    expect((await call('viewer@a', 'GET', `/vehicles/${vehicleA}/commands?limit=0`)).status).toBe(400);
  });

  it('refuses a command beyond COMMAND_LIMITS.queuedMax waiting for the same device (409 naming why)', async () => {
    await markOnline(vehicleA);
    for (let i = 0; i < COMMAND_LIMITS.queuedMax; i++)
      expect((await call('admin@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: `getinfo ${i}` })).status).toBe(
        202,
      );
    const res = await call('admin@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: 'one more' });
    expect(res.status).toBe(409);
    expect(ErrorBody.parse(await res.json()).error.message).toMatch(/20 commands already wait/);
    // Sent (or expired) ones no longer count.
    await db.query(`UPDATE device_commands SET status = 'sent', sent_at = now() WHERE text = 'getinfo 0'`);
    expect((await call('admin@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: 'one more' })).status).toBe(202);
  });

  it('keeps the commands of a user since deleted, without their author', async () => {
    await markOnline(vehicleA);
    const res = await call('operator@a', 'POST', `/vehicles/${vehicleA}/commands`, { text: 'getinfo' });
    expect(res.status).toBe(202);
    await db.query(`DELETE FROM users WHERE email = 'operator@a.example'`);
    const list = CommandList.parse(await (await call('admin@a', 'GET', `/vehicles/${vehicleA}/commands`)).json());
    expect(list.items.map((c) => [c.text, c.createdBy])).toEqual([['getinfo', null]]);
  });
});

async function waitUntil(check: () => boolean, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
