import { PassThrough } from 'node:stream';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { H02Device, parseH02Answers, type H02Record } from '@fleet/ingest/testing';
import { createLogger } from '@fleet/logging-json';
import { createRedis, type Redis } from '@fleet/runtime';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { loadTrackersConfig } from './config';
import { presenceKey } from './presence';
import { start, type TrackersHandle } from './server';
import { connectDevice, metricValue } from './testing/device';
import { createTrackerFleet, stagedPositions, type TrackerVehicle } from './testing/fleet';

const quiet = createLogger({ service: 'trackers', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:trackers-gateway:${process.pid}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The gateway's connection handling, through H02 (text frames a test can read). */
describe('tracker gateway (in one process)', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let redis: Redis;
  let fleet: TrackerVehicle[];
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
      { logger: quiet },
    );
  const metrics = async (handle = gateway) => (await fetch(`http://127.0.0.1:${handle.port}/metrics`)).text();
  const closedCount = (text: string, reason: string) =>
    metricValue(text, 'tracker_connections_closed_total', { protocol: 'h02', reason });
  const staged = async (v: TrackerVehicle) => (await stagedPositions(testDb.url, v.id, 'h02')).length;
  // H02 times are whole seconds; one clock for the suite, so a time asked for twice is the same.
  const now0 = Math.floor(Date.now() / 1000) * 1000;
  const at = (minutesAgo: number) => new Date(now0 - minutesAgo * 60_000);
  const fix = (v: TrackerVehicle, record: Partial<H02Record> & { ts: Date }) =>
    new H02Device(v.imei).position({ lat: 40.4, lon: -3.7, ...record });
  /** The answers' types after the device id: `V4,V1` acknowledges a fix, `HTBT` a heartbeat. */
  const answers = (text: string) =>
    parseH02Answers(Buffer.from(text, 'latin1')).map((a) => a.fields.slice(2, a.type === 'V4' ? 4 : 3).join(','));
  const lockStaging = async () => {
    // Staging's INSERT waits for this lock: nothing can be committed until release().
    const blocker = await pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE ingest_staging IN SHARE MODE');
    return async () => {
      await blocker.query('COMMIT');
      blocker.release();
    };
  };

  beforeAll(async () => {
    testDb = await createTestDatabase('trackers-gateway');
    pool = new pg.Pool({ connectionString: testDb.url, max: 3 });
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    const imeis = Array.from({ length: 8 }, (_, i) => String(4209817000 + i));
    fleet = await createTrackerFleet(testDb.url, { slug: 'gw', imeis, disabled: [imeis[7]] });
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

  it('stages the fixes of a device and acknowledges each frame only after its commit, in order', async () => {
    const [v] = fleet;
    const device = await connectDevice(gateway.ports.h02!);
    try {
      device.send(fix(v, { ts: at(6) }));
      await device.waitFor('V4,V1');
      expect(await redis.get(presenceKey(v.id))).toMatch(/^.+:\d+$/);

      const release = await lockStaging();
      device.send(Buffer.concat([fix(v, { ts: at(5), lat: 40.5 }), fix(v, { ts: at(4), lat: 40.6 })]));
      await sleep(500);
      expect(answers(device.received())).toEqual(['V4,V1']);
      await release();

      await waitFor(() => answers(device.received()).length === 3, { timeoutMs: 5_000, what: 'both acknowledged' });
      expect((await stagedPositions(testDb.url, v.id, 'h02')).map((p) => [p.ts, p.lat])).toEqual([
        [at(6).getTime(), 40.4],
        [at(5).getTime(), 40.5],
        [at(4).getTime(), 40.6],
      ]);
      const text = await metrics();
      expect(metricValue(text, 'tracker_frames_total', { protocol: 'h02', type: 'positions' })).toBe(3);
      expect(metricValue(text, 'tracker_connections', { protocol: 'h02' })).toBe(1);
      expect(metricValue(text, 'positions_accepted_total', { protocol: 'h02' })).toBe(3);
      expect(metricValue(text, 'tracker_ack_latency_seconds_count', { protocol: 'h02' })).toBe(3);
      // The held lock is in the ACK latency of the frames that waited for it.
      expect(metricValue(text, 'tracker_ack_latency_seconds_sum', { protocol: 'h02' })).toBeGreaterThan(0.8);
      expect(await redis.xlen('ingest:positions')).toBeGreaterThanOrEqual(2);
    } finally {
      device.end();
    }
    await waitFor(async () => (await redis.get(presenceKey(v.id))) === null, {
      timeoutMs: 2_000,
      what: 'presence removed on close',
    });
  });

  it('stops reading from a device while its frame waits for staging (backpressure)', async () => {
    const frames = async () => metricValue(await metrics(), 'tracker_frames_total', { type: 'positions' });
    const before = await frames();
    const release = await lockStaging();
    const device = await connectDevice(gateway.ports.h02!);
    try {
      // 30 MB of fixes: far more than the kernel's socket buffers hold on both sides.
      const frame = fix(fleet[6], { ts: at(1) });
      device.send(Buffer.concat(Array.from({ length: Math.ceil(30e6 / frame.length) }, () => frame)));
      await sleep(1_500);
      // The gateway decoded what one read brought (at most 64 KiB, ~650 frames) and stopped reading:
      // the rest of the burst waits in the kernel's buffers and on the device's side.
      const decoded = (await frames()) - before;
      expect(decoded).toBeGreaterThan(0);
      expect(decoded).toBeLessThanOrEqual(Math.ceil(65_536 / frame.length) + 1);
      expect(device.socket.writableLength).toBeGreaterThan(15e6);
      expect(device.received()).toBe('');
    } finally {
      device.end();
      await release();
    }
  });

  it('answers heartbeats at once and counts invalid frames without answering them', async () => {
    const v = fleet[1];
    const device = await connectDevice(gateway.ports.h02!);
    try {
      device.send(Buffer.concat([new H02Device(v.imei).heartbeat('HTBT'), Buffer.from('*HQ,12a4,V1#*HQ#')]));
      await device.waitFor('HTBT');
      device.send(fix(v, { ts: at(3) }));
      await device.waitFor('V4,V1');
      expect(answers(device.received())).toEqual(['HTBT', 'V4,V1']);
      expect(await staged(v)).toBe(1);
      const text = await metrics();
      expect(metricValue(text, 'tracker_decode_errors_total', { protocol: 'h02', reason: 'bad_device_id' })).toBe(1);
      expect(metricValue(text, 'tracker_decode_errors_total', { protocol: 'h02', reason: 'malformed_sentence' })).toBe(
        1,
      );
      expect(metricValue(text, 'tracker_frames_total', { protocol: 'h02', type: 'invalid' })).toBe(2);
      expect(metricValue(text, 'tracker_frames_total', { protocol: 'h02', type: 'heartbeat' })).toBe(1);
    } finally {
      device.end();
    }
  });

  it('closes a connection naming an unknown IMEI or a disabled vehicle without acknowledging, and counts each', async () => {
    const before = await metrics();
    for (const imei of ['4209819999', fleet[7].imei]) {
      const device = await connectDevice(gateway.ports.h02!);
      device.send(new H02Device(imei).position({ ts: at(1), lat: 40, lon: -3 }));
      await device.closed();
      expect(device.received()).toBe('');
    }
    await waitFor(
      async () => closedCount(await metrics(), 'disabled_device') > closedCount(before, 'disabled_device'),
      {
        timeoutMs: 2_000,
        what: 'the closes counted',
      },
    );
    const after = await metrics();
    expect(closedCount(after, 'unknown_device') - closedCount(before, 'unknown_device')).toBe(1);
    expect(closedCount(after, 'disabled_device') - closedCount(before, 'disabled_device')).toBe(1);
    expect(await staged(fleet[7])).toBe(0);
  });

  it('closes a connection whose bytes cannot be framed, counting the decode error', async () => {
    const before = await metrics();
    const oversized = await connectDevice(gateway.ports.h02!);
    oversized.send(`*HQ,${fleet[2].imei},V1,${'9'.repeat(2_000)}`);
    await oversized.closed();
    await waitFor(
      async () => closedCount(await metrics(), 'decode_error') - closedCount(before, 'decode_error') === 1,
      { timeoutMs: 2_000, what: 'the close counted' },
    );
    const errors = (text: string) =>
      metricValue(text, 'tracker_decode_errors_total', { protocol: 'h02', reason: 'too_large' });
    expect(errors(await metrics()) - errors(before)).toBe(1);
  });

  it('closes a connection idle for longer than the timeout', async () => {
    const idle = await startGateway({ TRACKER_IDLE_TIMEOUT_S: '1' });
    try {
      const device = await connectDevice(idle.ports.h02!);
      device.send(new H02Device(fleet[2].imei).heartbeat('HTBT'));
      await device.waitFor('HTBT');
      const t0 = Date.now();
      await device.closed(5_000);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
      await waitFor(async () => closedCount(await metrics(idle), 'idle') === 1, {
        timeoutMs: 2_000,
        what: 'the idle close counted',
      });
    } finally {
      await idle.stop();
    }
  });

  it('refuses connections beyond the maximum and keeps serving the others', async () => {
    const small = await startGateway({ TRACKER_MAX_CONNECTIONS: '2' });
    try {
      const a = await connectDevice(small.ports.h02!);
      const b = await connectDevice(small.ports.h02!);
      a.send(fix(fleet[3], { ts: at(2) }));
      await a.waitFor('V4,V1'); // both accepted connections are registered by now
      const c = await connectDevice(small.ports.h02!);
      await c.closed();
      b.send(fix(fleet[4], { ts: at(2) }));
      await b.waitFor('V4,V1');
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

  it('on stop, finishes the frame being staged (acknowledged), refuses new connections, then closes', async () => {
    const draining = await startGateway();
    const v = fleet[5];
    const device = await connectDevice(draining.ports.h02!);
    const release = await lockStaging();
    device.send(fix(v, { ts: at(2) }));
    await sleep(300);
    const stopped = draining.stop();
    let done = false;
    void stopped.then(() => (done = true));
    await sleep(300);
    expect(done).toBe(false);
    expect(device.received()).toBe('');
    await expect(connectDevice(draining.ports.h02!)).rejects.toThrow(/ECONNREFUSED/);
    await release();
    await stopped;
    await device.closed();
    expect(answers(device.received())).toEqual(['V4,V1']);
    expect(await staged(v)).toBe(1);
  });
});
