import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ensureDatabase, runMigrations } from '@fleet/db';
import { startOwnRedis, type OwnServer } from '@fleet/runtime/testing';
import { query } from './db-compare';
import { baseBackup, initCluster, pgBin, pgOwner, type Cluster } from './pg-cluster';
import { alive, createFleet, freePort, repoRoot, run, runAsync, tempDir, waitFor, type TestVehicle } from './testing';

// tools/playbooks/db-failover.sh with real servers: a primary PostgreSQL and its streaming replica
// (clusters of the test's own), the real api and worker run by a small supervisor script from an env
// file, and the real `nx run worker:cache-warm`. The primary crashes; the playbook promotes the
// replica (pg_ctl promote) and moves the services; ingestion goes on against the new primary.
// Then a planned switchover to a third server, with the old primary still up, shows the fencing.
const playbook = path.join(repoRoot, 'tools/playbooks/db-failover.sh');
const dbUrl = (c: Cluster) => `postgres://postgres@127.0.0.1:${c.port}/fleet`;
const asPostgres = (cmd: string) => (pgOwner.uid !== undefined ? `runuser -u postgres -- ${cmd}` : cmd);

describe('playbook: DB failover', () => {
  jest.setTimeout(300_000);
  let primary: Cluster;
  let replica: Cluster;
  let third: Cluster | undefined;
  let redis: OwnServer;
  let dir: string;
  let apiPort: number;
  let workerPort: number;
  let vehicles: TestVehicle[];
  const envFile = () => path.join(dir, 'fleet.env');
  const services = () => path.join(dir, 'services.sh');

  const countOn = async (c: Cluster) =>
    Number((await query<{ n: string }>(dbUrl(c), 'SELECT count(*) AS n FROM positions'))[0].n);
  const ingest = async (v: TestVehicle, start: number, n: number) => {
    const positions = Array.from({ length: n }, (_, i) => ({
      ts: new Date(start + i * 1_000).toISOString(),
      lat: 40.42,
      lon: -3.69 + i / 1e4,
    }));
    return (
      await fetch(`http://127.0.0.1:${apiPort}/api/v1/positions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${v.token}` },
        body: JSON.stringify({ positions }),
      })
    ).status;
  };
  const ready = async () =>
    (
      await Promise.all(
        [apiPort, workerPort].map((p) =>
          fetch(`http://127.0.0.1:${p}/ready`).then(
            (r) => r.status,
            () => 0,
          ),
        ),
      )
    ).every((s) => s === 200);
  const fleetSessions = async (c: Cluster) =>
    (
      await query<{ name: string }>(
        c.url,
        "SELECT DISTINCT application_name AS name FROM pg_stat_activity WHERE application_name IN ('fleet-api', 'fleet-worker') ORDER BY 1",
      )
    ).map((r) => r.name);

  beforeAll(async () => {
    dir = tempDir('failover');
    primary = await initCluster();
    await primary.start();
    await ensureDatabase(dbUrl(primary));
    await runMigrations(dbUrl(primary));
    vehicles = await createFleet(dbUrl(primary), { count: 2, slug: 'failover' });
    replica = await baseBackup(primary, { standby: true });
    await replica.start();
    redis = await startOwnRedis();
    [apiPort, workerPort] = [await freePort(), await freePort()];
    writeFileSync(
      envFile(),
      [
        'APP_ENV=test',
        'LOG_FORMAT=json',
        'HOST=127.0.0.1',
        'OSMAND_PORT=off',
        'SHUTDOWN_GRACE_MS=5000',
        `REDIS_URL=${redis.url}`,
        `REDIS_KEY_PREFIX=ops-failover-${process.pid}:`,
        'TSX_TSCONFIG_PATH=tsconfig.base.json',
        `DATABASE_URL=${dbUrl(primary)}`,
        '',
      ].join('\n'),
    );
    // A minimal supervisor: what `docker compose up -d api worker` or a rolling restart does here.
    writeFileSync(
      services(),
      `#!/usr/bin/env bash
set -euo pipefail
dir=${dir}
start() {
  set -a; . "$dir/fleet.env"; set +a
  cd ${repoRoot}
  PORT=${apiPort} nohup node --import tsx apps/api/src/main.ts >> "$dir/api.log" 2>&1 < /dev/null & echo $! > "$dir/api.pid"
  METRICS_PORT=${workerPort} nohup node --import tsx apps/worker/src/main.ts >> "$dir/worker.log" 2>&1 < /dev/null & echo $! > "$dir/worker.pid"
}
stop() {
  for s in api worker; do
    pid=$(cat "$dir/$s.pid" 2>/dev/null) || continue
    kill -TERM "$pid" 2>/dev/null || continue
    while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
  done
}
case "$1" in start) start ;; stop) stop ;; restart) stop; start ;; esac
`,
    );
    chmodSync(services(), 0o755);
    run(services(), ['start']);
    await waitFor(ready, { timeoutMs: 60_000, what: 'api and worker ready' });
  });

  afterAll(async () => {
    run(services(), ['stop']);
    for (const s of ['api', 'worker']) {
      const pid = Number(readFileSync(path.join(dir, `${s}.pid`), 'utf8'));
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    await Promise.all([primary?.destroy(), replica?.destroy(), third?.destroy(), redis?.destroy()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('the primary crashes: the replica is promoted, the services move to it, ingestion goes on', async () => {
    const t0 = Date.now() - 600_000;
    expect(await ingest(vehicles[0], t0, 50)).toBe(202);
    await waitFor(async () => (await countOn(primary)) === 50, { timeoutMs: 30_000, what: 'stored on the primary' });
    await waitFor(async () => (await countOn(replica)) === 50, { timeoutMs: 30_000, what: 'replicated' });

    await primary.kill();
    const res = await runAsync(playbook, [], {
      env: {
        OLD_DATABASE_URL: dbUrl(primary),
        NEW_DATABASE_URL: dbUrl(replica),
        PROMOTE_CMD: asPostgres(`${pgBin('pg_ctl')} promote -w -D ${replica.dataDir}`),
        ENV_FILE: envFile(),
        RESTART_CMD: `${services()} restart`,
        READY_URLS: `http://127.0.0.1:${apiPort}/ready http://127.0.0.1:${workerPort}/ready`,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `ops-failover-${process.pid}:`,
      },
    });
    const out = res.stdout + res.stderr;
    expect([res.status, out]).toEqual([0, expect.stringContaining('done')]);
    expect(out).toMatch(/old primary unreachable/);
    expect(out).toMatch(
      /promoting[\s\S]*new primary takes writes[\s\S]*restarting[\s\S]*ready: .*\/ready[\s\S]*ready:/,
    );
    expect(out).toMatch(/fleet sessions on the new primary: fleet-api fleet-worker/);
    // Only the vehicle that reported has a latest position to cache.
    expect(out).toMatch(/cache-warm: 1 vehicle\(s\) of 1 organization/);
    expect(readFileSync(envFile(), 'utf8')).toContain(`DATABASE_URL=${dbUrl(replica)}\n`);
    expect(readFileSync(envFile(), 'utf8').match(/^DATABASE_URL=/gm)).toHaveLength(1);

    // Ingestion goes on, against the promoted replica, with the history from before the crash.
    expect(await ingest(vehicles[1], t0, 30)).toBe(202);
    await waitFor(async () => (await countOn(replica)) === 80, {
      timeoutMs: 30_000,
      what: 'stored on the new primary',
    });
  });

  it('a planned switchover fences the old primary (read-only, fleet sessions closed) before moving', async () => {
    third = await baseBackup(replica, { standby: true });
    await third.start();
    await waitFor(async () => (await countOn(third!)) === 80, { timeoutMs: 30_000, what: 'replicated to the third' });
    const res = await runAsync(playbook, [], {
      env: {
        OLD_DATABASE_URL: dbUrl(replica),
        NEW_DATABASE_URL: dbUrl(third),
        ENV_FILE: envFile(),
        RESTART_CMD: `${services()} restart`,
        READY_URLS: `http://127.0.0.1:${apiPort}/ready http://127.0.0.1:${workerPort}/ready`,
        REDIS_URL: redis.url,
        REDIS_KEY_PREFIX: `ops-failover-${process.pid}:`,
        TSX_TSCONFIG_PATH: 'tsconfig.base.json',
        CACHE_WARM_CMD: 'node --import tsx apps/worker/src/cli/cache-warm.ts',
      },
    });
    const out = res.stdout + res.stderr;
    expect([res.status, out]).toEqual([0, expect.stringContaining('done')]);
    expect(out).toMatch(/old primary fenced: read-only, [1-9]\d* fleet session\(s\) closed/);
    // The old primary refuses writes and no service is connected to it any more.
    await expect(query(dbUrl(replica), 'CREATE TABLE split_brain (x int)')).rejects.toMatchObject({ code: '25006' });
    expect(await fleetSessions(replica)).toEqual([]);
    expect(await fleetSessions(third)).toEqual(['fleet-api', 'fleet-worker']);
    expect(await ingest(vehicles[0], Date.now() - 60_000, 10)).toBe(202);
    await waitFor(async () => (await countOn(third!)) === 90, { timeoutMs: 30_000, what: 'stored on the third' });
    expect(await countOn(replica)).toBe(80);
  });
});
