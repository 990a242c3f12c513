import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { startOwnRedis, type OwnServer } from '@fleet/runtime/testing';
import { query } from './db-compare';
import { createFleet, repoRoot, run, runAsync, startAppProcess, type Service, type TestVehicle } from './testing';

// tools/playbooks/redis-recovery.sh against a Redis of the test's own that restarts empty while
// accepted positions wait in its stream: the real api accepts them, the real worker is down, Redis
// loses everything, and the playbook (with the real `nx run worker:replay` and `worker:cache-warm`)
// must get every one of them stored.
const playbook = path.join(repoRoot, 'tools/playbooks/redis-recovery.sh');

describe('playbook: Redis recovery', () => {
  jest.setTimeout(240_000);
  let db: TestDatabase;
  let redis: OwnServer;
  let api: Service | undefined;
  let worker: Service | undefined;
  let vehicles: TestVehicle[];
  let env: Record<string, string>;
  const prefix = `ops-redis-${process.pid}:`;

  beforeAll(async () => {
    db = await createTestDatabase('ops-redis-recovery');
    redis = await startOwnRedis();
    vehicles = await createFleet(db.url, { count: 3, slug: 'redis-recovery' });
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      // The worker's own periodic replay would fix things too, given time: keep it out of the way so
      // what this test sees is the playbook's doing.
      REPLAY_INTERVAL_MS: '3600000',
    };
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    await redis?.destroy();
    await db?.drop();
  });

  const ingest = async (base: string, v: TestVehicle, start: number, n: number) => {
    const positions = Array.from({ length: n }, (_, i) => ({
      ts: new Date(start + i * 1_000).toISOString(),
      lat: 40.4 + i / 1e4,
      lon: -3.7,
    }));
    const res = await fetch(`${base}/api/v1/positions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${v.token}` },
      body: JSON.stringify({ positions }),
    });
    expect(res.status).toBe(202);
  };
  const stored = async () => Number((await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM positions'))[0].n);

  it('after Redis restarts empty, replays the staging table and every accepted position is stored once', async () => {
    api = await startAppProcess('api', env);
    worker = await startAppProcess('worker', env);
    const base = `http://127.0.0.1:${api.port}`;
    await worker.stop(); // nobody consumes: accepted positions sit in the stream
    worker = undefined;
    const t0 = Date.now() - 3_600_000;
    for (const [i, v] of vehicles.entries())
      for (let b = 0; b < 4; b++) await ingest(base, v, t0 + i * 1e6 + b * 1e5, 25);
    const xlen = () => run('redis-cli', ['-p', String(redis.port), 'XLEN', `${prefix}ingest:positions`]).stdout.trim();
    expect(xlen()).toBe('12');

    // Redis loses everything: restarted without persistence.
    await redis.stop();
    await redis.start();
    expect(xlen()).toBe('0');
    expect(await stored()).toBe(0);
    worker = await startAppProcess('worker', env);

    const res = await runAsync(playbook, [], { env: { ...env, SINCE: '1h' } });
    const out = res.stdout + res.stderr;
    expect([res.status, out]).toEqual([0, expect.stringContaining('redis-recovery')]);
    expect(out).toMatch(/staging backlog: 12 request\(s\), 300 position\(s\) not yet stored/);
    expect(out).toMatch(/republished 12 unprocessed batch/);
    expect(out).toMatch(/cache-warm: 3 vehicle\(s\) of 1 organization/);
    expect(out).toMatch(/staging backlog since 1h: 0/);
    expect(out).not.toMatch(/WARNING/);

    expect(await stored()).toBe(300);
    const perVehicle = await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM positions GROUP BY vehicle_id');
    expect(perVehicle.map((r) => Number(r.n))).toEqual([100, 100, 100]);
    const [{ n: unprocessed }] = await query<{ n: string }>(
      db.url,
      'SELECT count(*) AS n FROM ingest_staging WHERE processed_at IS NULL',
    );
    expect(Number(unprocessed)).toBe(0);

    // Running it again changes nothing (idempotent writes). The same commands without nx, as an image
    // without the workspace would run them.
    const again = await runAsync(playbook, [], {
      env: {
        ...env,
        SINCE: '1h',
        TSX_TSCONFIG_PATH: 'tsconfig.base.json',
        REPLAY_CMD: 'node --import tsx apps/worker/src/cli/replay.ts --since=1h',
        CACHE_WARM_CMD: 'node --import tsx apps/worker/src/cli/cache-warm.ts',
      },
    });
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/republished 0 unprocessed batch/);
    expect(await stored()).toBe(300);
  });

  it('refuses to run while Redis is down, naming it', async () => {
    await redis.stop();
    try {
      const res = await runAsync(playbook, [], { env: { ...env, SINCE: '1h' } });
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/does not answer PING: start it/);
    } finally {
      await redis.start();
    }
  });
});
