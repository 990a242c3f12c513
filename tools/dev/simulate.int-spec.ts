import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { spawnSource, waitFor } from '@fleet/runtime/testing';
import { columnsToPositions, decodeBatch } from '@fleet/queue-replay';
import pg from 'pg';
import { startAppProcess, type Service } from '../ops/testing';
import { seed } from '../seed/main';

describe('demo fleet simulator', () => {
  jest.setTimeout(90_000);
  let testDb: TestDatabase;
  let api: Service;
  let pool: pg.Pool;

  beforeAll(async () => {
    testDb = await createTestDatabase('simulate');
    await seed(testDb.url);
    pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
    api = await startAppProcess('api', { DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: `test:simulate:${process.pid}:` });
  });
  afterAll(async () => {
    await api?.stop();
    await pool?.end();
    await testDb?.drop();
  });

  it('reports every demo vehicle through the OsmAnd protocol, accepted by the real API, and moves them', async () => {
    const staged = async () =>
      Number(
        (await pool.query("SELECT coalesce(sum(position_count), 0) AS n FROM ingest_staging WHERE protocol = 'osmand'"))
          .rows[0].n,
      );
    const sim = spawnSource('tools/dev/simulate.ts', {}, [
      '--vehicles=5',
      '--interval=1',
      `--url=http://127.0.0.1:${api.port}/api/v1/osmand`,
    ]);
    try {
      await waitFor(async () => (await staged()) >= 15, { timeoutMs: 30_000, what: 'three rounds of fixes accepted' });
      expect(sim.output()).toContain('ingest ok');
      expect(sim.output()).not.toContain('ingest failing');
    } finally {
      sim.child.kill('SIGTERM');
      await sim.exited;
    }
    // Every fix of the five vehicles, as staged: in central Madrid, and each vehicle's successive fixes
    // at different places.
    const rows = (
      await pool.query<{ payload: string }>(
        "SELECT payload::text AS payload FROM ingest_staging WHERE protocol = 'osmand' ORDER BY id",
      )
    ).rows;
    const byVehicle = new Map<string, string[]>();
    for (const p of rows.flatMap((r) => columnsToPositions(decodeBatch(r.payload)))) {
      expect(p.lat).toBeGreaterThan(40.3);
      expect(p.lat).toBeLessThan(40.5);
      expect(p.lon).toBeGreaterThan(-3.8);
      expect(p.lon).toBeLessThan(-3.6);
      byVehicle.set(p.vehicleId, [...(byVehicle.get(p.vehicleId) ?? []), `${p.lat},${p.lon}`]);
    }
    expect(byVehicle.size).toBe(5);
    for (const places of byVehicle.values()) expect(new Set(places).size).toBeGreaterThan(1);
  });
});
