import { PassThrough } from 'node:stream';
import { COMMANDS_QUEUED_CHANNEL } from '@fleet/contracts';
import { createTestDatabase, createFleet, type TestDatabase, type TestVehicle } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import { createRedis, type Redis } from '@fleet/runtime';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { createCommandChannel, type CommandChannel, type OutgoingCommand } from './commands';

const quiet = createLogger({ service: 'trackers', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:trackers-commands:${process.pid}:`;

describe('device command channel (tracker gateway side)', () => {
  jest.setTimeout(30_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let redis: Redis;
  let fleet: TestVehicle[];
  let channel: CommandChannel;
  let vehicle: TestVehicle;
  let used = 0;

  /** What the API does (apps/api/src/commands/commands.ts): a queued row, then the announcement. */
  async function queue(text: string, options: { expiresInMs?: number; announce?: boolean } = {}): Promise<string> {
    const { rows } = await pool.query<{ id: string }>(
      `INSERT INTO device_commands (organization_id, vehicle_id, text, expires_at)
       VALUES ($1, $2, $3, now() + $4::int * interval '1 millisecond') RETURNING id`,
      [vehicle.organizationId, vehicle.id, text, options.expiresInMs ?? 600_000],
    );
    if (options.announce !== false) await redis.publish(`${prefix}${COMMANDS_QUEUED_CHANNEL}`, vehicle.id);
    return rows[0].id;
  }
  const row = async (id: string) =>
    (
      await pool.query<{
        status: string;
        response: string | null;
        error: string | null;
        sent_at: Date | null;
        answered_at: Date | null;
      }>('SELECT status, response, error, sent_at, answered_at FROM device_commands WHERE id = $1', [id])
    ).rows[0];
  /** A device's connection as the gateway gives it: records what is written to it. */
  const device = () => {
    const written: OutgoingCommand[] = [];
    return { written, send: async (command: OutgoingCommand) => void written.push(command) };
  };
  const newChannel = (options: { sweepMs?: number; answerTimeoutMs?: number } = {}) =>
    createCommandChannel({ pool, redis, logger: quiet, ...options });
  const subscribers = async () =>
    Number(((await redis.pubsub('NUMSUB', `${prefix}${COMMANDS_QUEUED_CHANNEL}`)) as [string, number])[1]);
  const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

  beforeAll(async () => {
    testDb = await createTestDatabase('trackers-commands');
    pool = new pg.Pool({ connectionString: testDb.url, max: 4 });
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    fleet = await createFleet(testDb.url, { count: 12, slug: 'cmd' });
  });
  beforeEach(async () => {
    // A vehicle of its own per test: nothing left over from another test can be delivered.
    vehicle = fleet[used++];
    channel = newChannel();
    // The channel subscribes as it is created; announcements before that would be lost to it.
    await waitFor(async () => (await subscribers()) === 1, { timeoutMs: 5_000, what: 'the channel subscribed' });
  });
  afterEach(async () => {
    await channel.close();
    await waitFor(async () => (await subscribers()) === 0, { timeoutMs: 5_000, what: 'the channel closed' });
  });
  afterAll(async () => {
    redis?.disconnect();
    await pool?.end();
    await testDb?.drop();
  });

  it('sends the queued commands at once when the device attaches, oldest first, then marks them sent', async () => {
    const first = await queue('getinfo', { announce: false });
    const second = await queue('getver', { announce: false });
    const d = device();
    channel.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, d.send);
    await waitFor(async () => (await row(second)).status === 'sent', { timeoutMs: 5_000, what: 'both sent' });
    expect(d.written.map((c) => [c.id, c.text])).toEqual([
      [first, 'getinfo'],
      [second, 'getver'],
    ]);
    const serials = d.written.map((c) => c.serial);
    expect(serials.every((s) => Number.isInteger(s) && s >= 1 && s <= 65535)).toBe(true);
    expect(new Set(serials).size).toBe(2);
    expect((await row(first)).status).toBe('sent');
    expect((await row(first)).sent_at).toBeInstanceOf(Date);
    // Sent once: a later announcement finds nothing more to send.
    await redis.publish(`${prefix}${COMMANDS_QUEUED_CHANNEL}`, vehicle.id);
    await settle();
    expect(d.written).toHaveLength(2);
  });

  it('sends a command queued while the device is attached, when the API announces it', async () => {
    const d = device();
    channel.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, d.send);
    await settle();
    expect(d.written).toEqual([]);
    const id = await queue('setdigout 1');
    await waitFor(async () => (await row(id)).status === 'sent', { timeoutMs: 5_000, what: 'sent' });
    expect(d.written.map((c) => c.text)).toEqual(['setdigout 1']);
  });

  it('stores each answer on the oldest command sent and not yet answered, and drops an answer nothing awaits', async () => {
    const d = device();
    channel.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, d.send);
    const first = await queue('getinfo');
    const second = await queue('getver');
    await waitFor(async () => (await row(second)).status === 'sent', { timeoutMs: 5_000, what: 'both sent' });
    await channel.answered(vehicle.id, 'RTC:2026/12/6 10:00 Init:2026/12/1\u0000 GPS:1');
    expect(await row(first)).toMatchObject({
      status: 'answered',
      response: 'RTC:2026/12/6 10:00 Init:2026/12/1 GPS:1',
    });
    expect((await row(first)).answered_at).toBeInstanceOf(Date);
    expect((await row(second)).status).toBe('sent');
    await channel.answered(vehicle.id, 'Ver:03.27.07 Hw:FMB920');
    expect(await row(second)).toMatchObject({ status: 'answered', response: 'Ver:03.27.07 Hw:FMB920' });
    // Nothing awaits an answer now: this one changes nothing.
    await channel.answered(vehicle.id, 'unsolicited');
    const { rows } = await pool.query(
      'SELECT response FROM device_commands WHERE vehicle_id = $1 ORDER BY created_at',
      [vehicle.id],
    );
    expect(rows.map((r) => r.response)).toEqual(['RTC:2026/12/6 10:00 Init:2026/12/1 GPS:1', 'Ver:03.27.07 Hw:FMB920']);
  });

  it('keeps an answer that arrives before its command is marked sent', async () => {
    let answer: Promise<void> | undefined;
    const id = await queue('getgps', { announce: false });
    channel.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, async () => {
      // A quick device: its answer is read while the command's own write is still being confirmed.
      answer = channel.answered(vehicle.id, 'GPS:1 Sat:9 Lat:40.4 Long:-3.7');
    });
    await waitFor(() => answer !== undefined, { timeoutMs: 5_000, what: 'the command written' });
    await answer;
    expect(await row(id)).toMatchObject({ status: 'answered', response: 'GPS:1 Sat:9 Lat:40.4 Long:-3.7' });
  });

  it('never sends an expired command, and marks it expired', async () => {
    const sweeping = newChannel({ sweepMs: 100 });
    try {
      const expired = await queue('cpureset', { expiresInMs: -1_000, announce: false });
      const fresh = await queue('getinfo', { announce: false });
      const d = device();
      sweeping.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, d.send);
      await waitFor(async () => (await row(fresh)).status === 'sent', { timeoutMs: 5_000, what: 'the fresh one sent' });
      await waitFor(async () => (await row(expired)).status === 'expired', { timeoutMs: 5_000, what: 'expired' });
      await settle();
      expect(d.written.map((c) => c.text)).toEqual(['getinfo']);
      expect((await row(expired)).sent_at).toBeNull();
    } finally {
      await sweeping.close();
    }
  });

  it('stops delivering once detached; the command waits for the next connection', async () => {
    const d = device();
    const detach = channel.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, d.send);
    await settle();
    detach();
    const id = await queue('getinfo');
    await settle();
    expect(d.written).toEqual([]);
    expect((await row(id)).status).toBe('queued');
    const again = device();
    channel.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, again.send);
    await waitFor(async () => (await row(id)).status === 'sent', { timeoutMs: 5_000, what: 'sent on reconnect' });
    expect(again.written.map((c) => c.id)).toEqual([id]);
  });

  it('sends through the newest connection of a device that reconnected before the old one closed', async () => {
    const old = device();
    const fresh = device();
    channel.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, old.send);
    channel.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, fresh.send);
    const id = await queue('getinfo');
    await waitFor(async () => (await row(id)).status === 'sent', { timeoutMs: 5_000, what: 'sent' });
    expect(old.written).toEqual([]);
    expect(fresh.written.map((c) => c.id)).toEqual([id]);
  });

  it('marks a command that could not be written failed, with the reason, and goes on with the next', async () => {
    const broken = await queue('getinfo', { announce: false });
    const next = await queue('getver', { announce: false });
    const written: string[] = [];
    channel.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, async (command) => {
      if (command.id === broken) throw new Error('socket closed');
      written.push(command.id);
    });
    await waitFor(async () => (await row(next)).status === 'sent', { timeoutMs: 5_000, what: 'the next sent' });
    expect(await row(broken)).toMatchObject({ status: 'failed', error: 'not written to the device: socket closed' });
    expect(written).toEqual([next]);
  });

  it('finds a command whose announcement was lost, at its next sweep', async () => {
    const sweeping = newChannel({ sweepMs: 100 });
    try {
      const d = device();
      sweeping.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, d.send);
      await settle();
      const id = await queue('getinfo', { announce: false });
      await waitFor(async () => (await row(id)).status === 'sent', { timeoutMs: 5_000, what: 'sent by the sweep' });
      expect(d.written.map((c) => c.id)).toEqual([id]);
    } finally {
      await sweeping.close();
    }
  });

  it('gives up on a sent command that gets no answer in time', async () => {
    const sweeping = newChannel({ sweepMs: 100, answerTimeoutMs: 200 });
    try {
      const d = device();
      sweeping.attach({ vehicleId: vehicle.id, organizationId: vehicle.organizationId }, d.send);
      const id = await queue('getinfo', { announce: false });
      await waitFor(async () => (await row(id)).status === 'failed', { timeoutMs: 5_000, what: 'failed' });
      expect((await row(id)).error).toBe('no answer from the device within 0.2 s');
      // A late answer no longer lands on it.
      await sweeping.answered(vehicle.id, 'late');
      expect((await row(id)).response).toBeNull();
    } finally {
      await sweeping.close();
    }
  });
});
