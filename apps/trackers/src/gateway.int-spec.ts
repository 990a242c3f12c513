import { PassThrough } from 'node:stream';
import { createTestDatabase, createFleet, type TestDatabase, type TestVehicle } from '@fleet/db/testing';
import { createLogger } from '@fleet/logging-json';
import { createRedis, type Redis } from '@fleet/runtime';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { loadTrackersConfig } from './config';
import { presenceKey } from './presence';
import { start, type TrackersHandle } from './server';
import { connectDevice, metricValue } from './testing/device';
import { lineProtocol } from './testing/line-protocol';

const quiet = createLogger({ service: 'trackers', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:trackers-gateway:${process.pid}:`;

describe('tracker gateway (in one process)', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let redis: Redis;
  let fleet: TestVehicle[];
  let gateway: TrackersHandle;

  const startGateway = (env: Record<string, string> = {}) =>
    start(
      loadTrackersConfig({
        APP_ENV: 'test',
        PORT: '0',
        HOST: '127.0.0.1',
        H02_PORT: '0',
        GT06_PORT: 'off',
        TELTONIKA_PORT: 'off',
        TRACKER_WORKERS: '1',
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: prefix,
        SHUTDOWN_GRACE_MS: '10000',
        ...env,
      }),
      { logger: quiet, protocols: [lineProtocol] },
    );
  const metrics = async (handle = gateway) => (await fetch(`http://127.0.0.1:${handle.port}/metrics`)).text();
  const staged = async (vehicleId: string) =>
    Number(
      (
        await pool.query(
          "SELECT coalesce(sum(position_count), 0) AS n FROM ingest_staging WHERE protocol = 'h02' AND payload::text LIKE $1",
          [`%${vehicleId}%`],
        )
      ).rows[0].n,
    );
  const ts = (minutesAgo: number) => Date.now() - minutesAgo * 60_000;

  beforeAll(async () => {
    testDb = await createTestDatabase('trackers-gateway');
    pool = new pg.Pool({ connectionString: testDb.url, max: 3 });
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    fleet = await createFleet(testDb.url, { count: 8, slug: 'gw' });
    await pool.query('UPDATE vehicles SET device_disabled_at = now() WHERE id = $1', [fleet[7].id]);
    gateway = await startGateway();
  });

  afterAll(async () => {
    await gateway?.stop();
    const keys = await redis.keys('*');
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    redis?.disconnect();
    await pool?.end();
    await testDb?.drop();
  });

  it('stages the positions of a logged-in device and acknowledges each frame only after its commit, in order', async () => {
    const [v] = fleet;
    const device = await connectDevice(gateway.ports.h02!);
    try {
      device.send(`LOGIN ${v.identifier}\n`);
      await device.waitFor('OK\n');
      expect(await redis.get(presenceKey(v.id))).toMatch(/^.+:\d+$/);

      // Hold staging: the INSERT waits for this lock, so nothing can be committed meanwhile.
      const blocker = await pool.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE ingest_staging IN SHARE MODE');
      device.send(`POS 40.4 -3.7 ${ts(5)} 1\nPOS 40.5 -3.6 ${ts(4)} 2\n`);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(device.received()).toBe('OK\n');
      await blocker.query('COMMIT');
      blocker.release();

      await device.waitFor('ACK 1\nACK 2\n');
      expect(device.received()).toBe('OK\nACK 1\nACK 2\n');
      expect(await staged(v.id)).toBe(2);
      const text = await metrics();
      expect(metricValue(text, 'tracker_frames_total', { protocol: 'h02', type: 'positions' })).toBe(2);
      expect(metricValue(text, 'tracker_frames_total', { protocol: 'h02', type: 'login' })).toBe(1);
      expect(metricValue(text, 'tracker_connections', { protocol: 'h02' })).toBeGreaterThanOrEqual(1);
      expect(metricValue(text, 'positions_accepted_total', { protocol: 'h02' })).toBe(2);
      expect(metricValue(text, 'tracker_ack_latency_seconds_count', { protocol: 'h02' })).toBe(2);
      // The second frame waited behind the first, held lock included.
      expect(metricValue(text, 'tracker_ack_latency_seconds_sum', { protocol: 'h02' })).toBeGreaterThan(0.5);
      expect(await redis.xlen('ingest:positions')).toBeGreaterThanOrEqual(1);
    } finally {
      device.end();
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await redis.get(presenceKey(v.id))).toBeNull();
  });

  it('answers heartbeats at once, counts invalid frames without answering, and takes a frame that names its device', async () => {
    const v = fleet[1];
    const device = await connectDevice(gateway.ports.h02!);
    try {
      device.send('PING\nWHAT is this\n');
      await device.waitFor('PONG\n');
      device.send(`FIX ${v.identifier} 40.1 -3.1 ${ts(3)} 7\n`);
      await device.waitFor('ACK 7\n');
      expect(device.received()).toBe('PONG\nACK 7\n');
      expect(await staged(v.id)).toBe(1);
      const text = await metrics();
      expect(metricValue(text, 'tracker_decode_errors_total', { protocol: 'h02', reason: 'unknown_line_what' })).toBe(
        1,
      );
      expect(metricValue(text, 'tracker_frames_total', { type: 'invalid' })).toBe(1);
    } finally {
      device.end();
    }
  });

  it('refuses an unknown IMEI and a disabled vehicle, closes and counts each', async () => {
    const before = await metrics();
    const unknown = await connectDevice(gateway.ports.h02!);
    unknown.send('LOGIN 356000000000001\nPOS 40 -3 1 1\n');
    await unknown.closed();
    expect(unknown.received()).toBe('NO\n');
    const disabled = await connectDevice(gateway.ports.h02!);
    disabled.send(`LOGIN ${fleet[7].identifier}\n`);
    await disabled.closed();
    expect(disabled.received()).toBe('NO\n');
    // A frame naming an unknown device is not acknowledged either.
    const named = await connectDevice(gateway.ports.h02!);
    named.send(`FIX 356000000000002 40 -3 ${ts(1)} 9\n`);
    await named.closed();
    expect(named.received()).toBe('');
    const closed = (text: string, reason: string) =>
      metricValue(text, 'tracker_connections_closed_total', { protocol: 'h02', reason });
    // The gateway counts a close when its side is done too, a moment after the device sees it.
    await waitFor(async () => closed(await metrics(), 'disabled_device') > closed(before, 'disabled_device'), {
      timeoutMs: 2_000,
      what: 'the closes counted',
    });
    const after = await metrics();
    expect(closed(after, 'unknown_device') - closed(before, 'unknown_device')).toBe(2);
    expect(closed(after, 'disabled_device') - closed(before, 'disabled_device')).toBe(1);
    expect(await staged(fleet[7].id)).toBe(0);
  });

  it('closes a connection whose bytes cannot be framed, counting the decode error', async () => {
    const before = await metrics();
    const oversized = await connectDevice(gateway.ports.h02!);
    oversized.send('X'.repeat(400));
    await oversized.closed();
    const garbage = await connectDevice(gateway.ports.h02!);
    garbage.send(Buffer.from([0x50, 0x00, 0x0a]));
    await garbage.closed();
    const closed = (text: string) =>
      metricValue(text, 'tracker_connections_closed_total', { protocol: 'h02', reason: 'decode_error' });
    await waitFor(async () => closed(await metrics()) - closed(before) === 2, {
      timeoutMs: 2_000,
      what: 'closes counted',
    });
    const after = await metrics();
    const errors = (text: string, reason: string) =>
      metricValue(text, 'tracker_decode_errors_total', { protocol: 'h02', reason });
    expect(errors(after, 'too_large') - errors(before, 'too_large')).toBe(1);
    expect(errors(after, 'garbage') - errors(before, 'garbage')).toBe(1);
  });

  it('closes a connection idle for longer than the timeout', async () => {
    const idle = await startGateway({ TRACKER_IDLE_TIMEOUT_S: '1' });
    try {
      const device = await connectDevice(idle.ports.h02!);
      device.send(`LOGIN ${fleet[2].identifier}\n`);
      await device.waitFor('OK\n');
      const t0 = Date.now();
      await device.closed(5_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      expect(
        metricValue(await metrics(idle), 'tracker_connections_closed_total', { protocol: 'h02', reason: 'idle' }),
      ).toBe(1);
    } finally {
      await idle.stop();
    }
  });

  it('refuses connections beyond the maximum and keeps serving the others', async () => {
    const small = await startGateway({ TRACKER_MAX_CONNECTIONS: '2' });
    try {
      const a = await connectDevice(small.ports.h02!);
      const b = await connectDevice(small.ports.h02!);
      a.send(`LOGIN ${fleet[3].identifier}\n`);
      await a.waitFor('OK\n'); // both accepted connections are registered by now
      const c = await connectDevice(small.ports.h02!);
      await c.closed();
      b.send(`LOGIN ${fleet[4].identifier}\nPOS 41 -4 ${ts(2)} 3\n`);
      await b.waitFor('OK\nACK 3\n');
      const text = await metrics(small);
      expect(metricValue(text, 'tracker_connections_closed_total', { reason: 'too_many' })).toBe(1);
      expect(metricValue(text, 'tracker_connections', { protocol: 'h02' })).toBe(2);
      expect(metricValue(text, 'tracker_connections_opened_total', { protocol: 'h02' })).toBe(3);
      a.end();
      b.end();
    } finally {
      await small.stop();
    }
  });

  it('on stop, finishes the frame being staged (acknowledged), then closes the connection', async () => {
    const draining = await startGateway();
    const v = fleet[5];
    const device = await connectDevice(draining.ports.h02!);
    device.send(`LOGIN ${v.identifier}\n`);
    await device.waitFor('OK\n');
    const blocker = await pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE ingest_staging IN SHARE MODE');
    device.send(`POS 40.2 -3.2 ${ts(2)} 11\n`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopped = draining.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(done).toBe(false);
    expect(device.received()).toBe('OK\n');
    // New connections are no longer accepted.
    await expect(connectDevice(draining.ports.h02!)).rejects.toThrow(/ECONNREFUSED/);
    await blocker.query('COMMIT');
    blocker.release();
    await stopped;
    await device.closed();
    expect(device.received()).toBe('OK\nACK 11\n');
    expect(await staged(v.id)).toBe(1);
  });
});
