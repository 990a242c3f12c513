import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { H02Device } from '@fleet/ingest/testing';
import { createRedis, type Redis } from '@fleet/runtime';
import { freePort, spawnSource, waitFor, type SourceProcess } from '@fleet/runtime/testing';
import pg from 'pg';
import { presenceKey } from './presence';
import { connectDevice, metricValue, type TestDevice } from './testing/device';
import { createTrackerFleet, stagedPositions, type TrackerVehicle } from './testing/fleet';

const prefix = `test:trackers-cluster:${process.pid}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `npm start`'s and production's way: main.ts as a process of its own, here with two workers. */
describe('tracker gateway as a cluster (main.ts, two workers)', () => {
  jest.setTimeout(120_000);
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let redis: Redis;
  let fleet: TrackerVehicle[];
  let gateway: SourceProcess | undefined;
  const devices: TestDevice[] = [];

  beforeAll(async () => {
    testDb = await createTestDatabase('trackers-cluster');
    pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    const imeis = Array.from({ length: 10 }, (_, i) => String(4209816000 + i));
    fleet = await createTrackerFleet(testDb.url, { slug: 'cluster', imeis });
  });

  afterAll(async () => {
    for (const device of devices) device.end();
    if (gateway && gateway.child.exitCode === null) {
      gateway.child.kill('SIGKILL');
      await gateway.exited;
    }
    const keys = await redis.keys('*');
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    redis.disconnect();
    await pool.end();
    await testDb.drop();
  });

  it('shares the ports between the workers, sums their metrics, replaces a dead worker, and drains on SIGTERM', async () => {
    const [httpPort, h02Port] = [await freePort(), await freePort()];
    const proc = spawnSource('apps/trackers/src/main.ts', {
      APP_ENV: 'test',
      LOG_FORMAT: 'json',
      PORT: String(httpPort),
      HOST: '127.0.0.1',
      H02_PORT: String(h02Port),
      TELTONIKA_PORT: 'off',
      GT06_PORT: 'off',
      TRACKER_WORKERS: '2',
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      SHUTDOWN_GRACE_MS: '15000',
    });
    gateway = proc;
    const base = `http://127.0.0.1:${httpPort}`;
    const metrics = async () => (await fetch(`${base}/metrics`)).text();
    await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, {
      timeoutMs: 60_000,
      what: 'ready',
    }).catch((err) => {
      throw new Error(`${String(err)}\n${proc.output()}`);
    });
    await waitFor(() => /"workers":2/.test(proc.output()), { timeoutMs: 30_000, what: 'both workers listening' });
    // The primary gave its workers the bounded V8 heap (heap.ts): 512 MB of old space plus the young generation.
    const heapLimits = [...proc.output().matchAll(/tracker listeners open.*"heapLimitMb":(\d+)/g)].map((m) =>
      Number(m[1]),
    );
    expect(heapLimits).toHaveLength(2);
    for (const limit of heapLimits) expect(limit).toBeGreaterThanOrEqual(512);
    for (const limit of heapLimits) expect(limit).toBeLessThan(600);

    const ts0 = Math.floor(Date.now() / 1000) * 1000 - 30 * 60_000;
    const report = async (vehicle: TrackerVehicle, i: number) => {
      const device = await connectDevice(h02Port);
      devices.push(device);
      device.send(new H02Device(vehicle.imei).position({ ts: new Date(ts0 + i * 1000), lat: 40, lon: -3 }));
      await device.waitFor(/V4,V1/, 10_000);
      return device;
    };
    // Six devices: the primary hands connections to the workers in turn.
    const first = await Promise.all(fleet.slice(0, 6).map((v, i) => report(v, i)));
    const owners = await Promise.all(fleet.slice(0, 6).map((v) => redis.get(presenceKey(v.id))));
    const pids = new Set(owners.map((owner) => Number(owner?.split(':').pop())));
    expect(pids.size).toBe(2);

    let text = await metrics();
    expect(metricValue(text, 'tracker_connections', { protocol: 'h02' })).toBe(6);
    expect(metricValue(text, 'tracker_frames_total', { protocol: 'h02', type: 'positions' })).toBe(6);
    expect(metricValue(text, 'positions_accepted_total', { protocol: 'h02' })).toBe(6);
    expect(metricValue(text, 'tracker_workers')).toBe(2);
    const ready = (await (await fetch(`${base}/ready`)).json()) as { checks: Record<string, { ok: boolean }> };
    expect(Object.keys(ready.checks).sort()).toEqual(['postgres', 'redis', 'workers']);

    // kill -9 one worker: its devices are cut off, the primary starts another, new devices connect.
    const [victim] = [...pids];
    process.kill(victim, 'SIGKILL');
    const victims = first.filter((_, i) => owners[i]?.endsWith(`:${victim}`));
    await Promise.all(victims.map((device) => device.closed(10_000)));
    // At least one restart: on a loaded machine a replacement may itself fail to start and be replaced
    // again; what matters is that two workers serve again. A timeout says what was last seen.
    let seen = 'no metrics answer yet';
    await waitFor(
      async () => {
        const t = await metrics();
        const restarts = metricValue(t, 'tracker_worker_restarts_total');
        const alive = metricValue(t, 'tracker_workers');
        seen = `restarts ${restarts}, workers ${alive}`;
        return restarts >= 1 && alive === 2;
      },
      { timeoutMs: 60_000, what: 'the dead worker replaced' },
    ).catch((err: Error) => {
      throw new Error(`${err.message} (${seen}); gateway output:\n${proc.output().slice(-3000)}`);
    });
    await waitFor(() => (proc.output().match(/tracker listeners open/g) ?? []).length >= 3, {
      timeoutMs: 60_000,
      what: 'the new worker listening',
    });
    await report(fleet[6], 6);
    await report(fleet[7], 7);

    // SIGTERM while a frame waits for staging: the frame is acknowledged, then everything closes.
    const blocker = await pool.connect();
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE ingest_staging IN SHARE MODE');
    const inFlight = await connectDevice(h02Port);
    devices.push(inFlight);
    inFlight.send(new H02Device(fleet[8].imei).position({ ts: new Date(ts0 + 8_000), lat: 41, lon: -3 }));
    await sleep(500);
    proc.child.kill('SIGTERM');
    await sleep(1_000);
    expect(proc.child.exitCode).toBeNull();
    expect(inFlight.received()).toBe('');
    await blocker.query('COMMIT');
    blocker.release();
    await inFlight.waitFor(/V4,V1/, 10_000);
    expect(await proc.exited).toBe(0);
    await inFlight.closed();
    expect(await stagedPositions(testDb.url, fleet[8].id, 'h02')).toHaveLength(1);
    text = proc.output();
    expect(text).toMatch(/trackers stopped/);
    // Every device acknowledged was staged.
    for (const [i, v] of fleet.slice(0, 8).entries())
      expect((await stagedPositions(testDb.url, v.id, 'h02')).map((p) => p.ts)).toEqual([ts0 + i * 1000]);
  });
});
