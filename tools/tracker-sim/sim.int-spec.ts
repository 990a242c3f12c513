// The tracker simulator against the real gateway (2 cluster workers) and worker processes: 1,000
// devices upload a buffer from two hours ago, then real-time records; a third of them lose their
// connection mid-stream, twice, right after writing a frame. Every record must end acknowledged and
// stored exactly once, and the records sent again after a drop must not be stored twice.
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { imeiOf, SimulatedTracker, track, type SimProtocol } from './sim';
import { createTrackers, listenerPorts, PROTOCOLS as protocols, startService, type Service } from './testing';

const DEVICES = 1_000;
const BUFFERED = 20;
const REALTIME = 6;

describe('tracker simulator → gateway → worker', () => {
  jest.setTimeout(240_000);
  const prefix = `test:tracker-sim:${process.pid}:`;
  let testDb: TestDatabase;
  let db: pg.Pool;
  let gateway: Service | undefined;
  let worker: Service | undefined;
  let ports: Record<SimProtocol, number>;

  beforeAll(async () => {
    testDb = await createTestDatabase('tracker-sim');
    db = new pg.Pool({ connectionString: testDb.url, max: 2 });
    await createTrackers(testDb.url, { slug: 'sim', count: DEVICES, imeiPrefix: '35100000' });
    const listeners = await listenerPorts();
    ports = listeners.ports;
    gateway = await startService(
      'apps/trackers/src/main.ts',
      {
        DATABASE_URL: testDb.url,
        REDIS_KEY_PREFIX: prefix,
        TRACKER_WORKERS: '2',
        ...listeners.env,
      },
      'PORT',
    );
    worker = await startService(
      'apps/worker/src/main.ts',
      { DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix, INGEST_BLOCK_MS: '100' },
      'METRICS_PORT',
    );
  });

  afterAll(async () => {
    await gateway?.stop();
    await worker?.stop();
    await db?.end();
    await testDb?.drop();
  });

  it('stores every record exactly once, through drops and resends', async () => {
    const now = Date.now();
    const devices = Array.from({ length: DEVICES }, (_, i) => {
      const protocol = protocols[i % protocols.length];
      const device = new SimulatedTracker({
        host: '127.0.0.1',
        port: ports[protocol],
        protocol,
        imei: imeiOf('35100000', i + 1),
        perFrame: 10,
        reconnectMs: 200,
        // A third lose the line twice, right after writing a frame (before its acknowledgement).
        dropAfterFrames: i % 3 === 0 ? [2, 4] : undefined,
      });
      const start = { lat: 40.3 + (i % 50) * 0.004, lon: -3.8 + Math.floor(i / 50) * 0.004 };
      // The buffer of a network gap two hours ago, oldest first, then what happens now.
      device.add(track(start, BUFFERED, now - 2 * 3600_000, 30));
      device.add(track({ lat: start.lat + 0.01, lon: start.lon + 0.01 }, REALTIME, now, 5));
      return device;
    });
    await Promise.all(devices.map((d) => d.run(Date.now() + 180_000)));

    const total = DEVICES * (BUFFERED + REALTIME);
    const acknowledged = devices.reduce((n, d) => n + d.stats.acknowledged.size, 0);
    expect(acknowledged).toBe(total);
    // The drops happened, and what was in flight was sent again.
    expect(devices.reduce((n, d) => n + d.stats.resent, 0)).toBeGreaterThanOrEqual(DEVICES / 3);
    expect(devices.filter((d) => d.stats.connections >= 3)).toHaveLength(Math.ceil(DEVICES / 3));

    const count = async () => Number((await db.query('SELECT count(*) AS n FROM positions')).rows[0].n);
    await waitFor(async () => (await count()) >= total, { timeoutMs: 120_000, what: `${total} positions stored` });
    // Exactly once: no (vehicle, time) twice, and the count settles at the total.
    const doubles = await db.query(
      'SELECT vehicle_id, ts, count(*) FROM positions GROUP BY vehicle_id, ts HAVING count(*) > 1 LIMIT 5',
    );
    expect(doubles.rows).toEqual([]);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await count()).toBe(total);
    // Each protocol delivered its devices' records, with the protocol's own name kept.
    const byProtocol = await db.query<{ protocol: string; n: string }>(
      `SELECT protocol, sum(position_count) AS n FROM ingest_staging GROUP BY protocol`,
    );
    for (const p of protocols)
      expect(Number(byProtocol.rows.find((r) => r.protocol === p)?.n)).toBeGreaterThanOrEqual(
        (DEVICES / protocols.length - 1) * (BUFFERED + REALTIME),
      );
  });
});
