import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { createFleet, createTestDatabase, type TestDatabase, type TestVehicle } from '@fleet/db/testing';
import { bundleService, freePort, waitFor } from '@fleet/runtime/testing';
import pg from 'pg';
import { startWorkerProcess, type WorkerProcess } from './testing/fixtures';

const root = path.resolve(__dirname, '../../..');
// 50 cycles keep the suite near a minute on two cores; SHUTDOWN_CYCLES=500 runs the acceptance figure.
const CYCLES = Number(process.env['SHUTDOWN_CYCLES'] ?? 50);

describe('API SIGTERM/restart cycles under load', () => {
  // Each cycle starts an API process (bundled, as production runs it): ~2.5 s on a busy CI machine, so
  // 50 cycles came within seconds of the old 150 s limit and one run passed it. The limit only guards
  // against a hang; what the test checks is the 2 s bound on every cycle.
  jest.setTimeout(Math.max(300_000, CYCLES * 6_000));
  let testDb: TestDatabase;
  let pool: pg.Pool;
  let worker: WorkerProcess | undefined;

  beforeAll(async () => {
    testDb = await createTestDatabase('api-shutdown-cycles');
    pool = new pg.Pool({ connectionString: testDb.url, max: 2 });
  });
  afterAll(async () => {
    await worker?.stop();
    await pool?.end();
    await testDb?.drop();
  });

  it(`stores every fix answered 202 within 2 s, through ${CYCLES} SIGTERMs in the middle of traffic`, async () => {
    const prefix = `test:api-cycles:${process.pid}:`;
    const fleet: TestVehicle[] = await createFleet(testDb.url, { count: 4, slug: 'cycles' });
    const bundle = await bundleService('apps/api/src/main.ts', { outDir: 'test/shutdown-cycles', name: 'api' });
    // The replayer kept out of the way: a batch not published at once would be stored only after
    // 10 minutes, and the 2-second bound below would catch it.
    worker = await startWorkerProcess({
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      INGEST_BLOCK_MS: '100',
      REPLAY_GRACE_MS: '600000',
    });
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      APP_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      OSMAND_PORT: 'off',
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      SHUTDOWN_GRACE_MS: '5000',
    };
    const seq = new Map<string, number>();
    const startTs = Date.now() - 6 * 3_600_000;
    let accepted = 0;
    const late: string[] = [];
    const count = async () => Number((await pool.query('SELECT count(*) AS n FROM positions')).rows[0].n);

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      const child: ChildProcess = spawn(process.execPath, [bundle], {
        cwd: root,
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      await waitFor(
        async () => {
          if (child.exitCode !== null) throw new Error(`api exited early (${child.exitCode})`);
          return (await fetch(`${base}/ready`)).status === 200;
        },
        { timeoutMs: 20_000, what: 'api ready' },
      );
      let open = true;
      let lastAnswer = 0;
      // Four clients send 5-fix batches back to back until the API turns them away.
      const client = async (k: number) => {
        const vehicle = fleet[k];
        while (open) {
          const first = seq.get(vehicle.id) ?? 0;
          seq.set(vehicle.id, first + 5);
          const positions = Array.from({ length: 5 }, (_, i) => ({
            ts: new Date(startTs + (first + i) * 1000).toISOString(),
            lat: 40 + ((first + i) % 1000) / 10_000,
            lon: -3.7,
          }));
          try {
            const res = await fetch(`${base}/api/v1/positions`, {
              signal: AbortSignal.timeout(10_000),
              method: 'POST',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${vehicle.token}` },
              body: JSON.stringify({ positions }),
            });
            await res.arrayBuffer();
            if (res.status === 202) {
              accepted += 5;
              lastAnswer = Date.now();
            } else open = false;
          } catch {
            open = false;
          }
        }
      };
      const load = Promise.all(fleet.map((_, k) => client(k)));
      await new Promise((resolve) => setTimeout(resolve, 50 + ((cycle * 37) % 200)));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await load;
      const code = await exited;
      clearTimeout(killer);
      if (code !== 0) throw new Error(`cycle ${cycle}: the API exited with ${code}:\n${output}`);
      const deadline = lastAnswer + 2_000;
      await waitFor(async () => (await count()) === accepted, {
        timeoutMs: Math.max(0, deadline - Date.now()),
        what: `cycle ${cycle}: ${accepted} fixes stored`,
      }).catch(async () => late.push(`cycle ${cycle}: ${accepted - (await count())} of ${accepted} missing after 2 s`));
    }
    expect(late).toEqual([]);
    expect(accepted).toBeGreaterThan(CYCLES * 5);
    const dup = await pool.query(
      'SELECT count(*) AS n FROM (SELECT 1 FROM positions GROUP BY vehicle_id, ts HAVING count(*) > 1) d',
    );
    expect(Number(dup.rows[0].n)).toBe(0);
  });
});
