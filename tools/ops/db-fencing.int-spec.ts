import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { query } from './db-compare';
import { baseBackup, initCluster, pgBin, pgOwner, type Cluster } from './pg-cluster';
import { repoRoot, runAsync, tempDir } from './testing';

// tools/playbooks/db-failover.sh's fencing where the old primary is a managed PostgreSQL: its admin
// role is no superuser, so ALTER SYSTEM is refused. The playbook must still fence what it can (its
// database read-only through ALTER DATABASE, the fleet's sessions closed) and go on to promote the
// replica; a FENCE_CMD of one's own replaces the default; FENCE_REQUIRED=1 stops before promoting when
// fencing fails. Clusters of the test's own (a primary and its streaming replica).
const playbook = path.join(repoRoot, 'tools/playbooks/db-failover.sh');
const asPostgres = (cmd: string) => (pgOwner.uid !== undefined ? `runuser -u postgres -- ${cmd}` : cmd);

describe('playbook: DB failover, fencing a managed PostgreSQL', () => {
  jest.setTimeout(180_000);
  let primary: Cluster;
  let replica: Cluster;
  let dir: string;
  // The managed service's admin: owns the database, may terminate its sessions, is no superuser.
  const managed = (c: Cluster) => `postgres://managed_admin@127.0.0.1:${c.port}/fleet`;
  const superuser = (c: Cluster) => `postgres://postgres@127.0.0.1:${c.port}/fleet`;
  const failover = (env: Record<string, string>) =>
    runAsync(playbook, [], {
      env: { RESTART_CMD: 'true', CACHE_WARM_CMD: 'true', READY_URLS: '', ...env },
      timeoutMs: 120_000,
    });

  beforeAll(async () => {
    dir = tempDir('fencing');
    primary = await initCluster();
    await primary.start();
    await query(primary.url, 'CREATE ROLE managed_admin LOGIN CREATEDB NOSUPERUSER');
    await query(primary.url, 'CREATE DATABASE fleet OWNER managed_admin');
    await query(managed(primary), 'CREATE TABLE notes (body text)');
    replica = await baseBackup(primary, { standby: true });
    await replica.start();
  });
  afterAll(async () => {
    await Promise.all([primary?.destroy(), replica?.destroy()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('FENCE_REQUIRED=1 stops before promoting when the fence fails (FENCE_CMD failing)', async () => {
    const res = await failover({
      OLD_DATABASE_URL: managed(primary),
      NEW_DATABASE_URL: superuser(replica),
      FENCE_CMD: 'echo "fencing $OLD_DATABASE_URL" > ' + path.join(dir, 'fence.out') + '; exit 3',
      FENCE_REQUIRED: '1',
      PROMOTE_CMD: asPostgres(`${pgBin('pg_ctl')} promote -w -D ${replica.dataDir}`),
    });
    expect(res.status).toBe(1);
    expect(res.stderr).toMatch(/fencing failed and FENCE_REQUIRED=1: nothing promoted/);
    // FENCE_CMD ran, with the old primary's URL.
    expect(readFileSync(path.join(dir, 'fence.out'), 'utf8')).toBe(`fencing ${managed(primary)}\n`);
    expect((await query<{ r: boolean }>(replica.url, 'SELECT pg_is_in_recovery() AS r'))[0].r).toBe(true);
  });

  it('ALTER SYSTEM refused: its database turns read-only, fleet sessions closed, and the replica is promoted', async () => {
    const session = new pg.Client({ connectionString: managed(primary), application_name: 'fleet-api' });
    session.on('error', () => undefined);
    await session.connect();
    const res = await failover({
      OLD_DATABASE_URL: managed(primary),
      NEW_DATABASE_URL: superuser(replica),
      PROMOTE_CMD: asPostgres(`${pgBin('pg_ctl')} promote -w -D ${replica.dataDir}`),
    });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    expect(res.stdout).toMatch(
      /old primary fenced: ALTER SYSTEM refused; its database read-only for new sessions \(ALTER DATABASE\), 1 fleet session\(s\) closed/,
    );
    expect(res.stdout).toMatch(/promoting: /);
    // The fence's ALTER DATABASE reached the replica by streaming replication: undone there.
    expect(res.stdout).toMatch(/the fence's read-only setting, replicated, reset on the new primary/);
    expect(res.stdout).toMatch(/new primary takes writes/);
    expect(res.stdout).toMatch(/done\n$/);

    // Promoted, and takes writes.
    expect((await query<{ r: boolean }>(replica.url, 'SELECT pg_is_in_recovery() AS r'))[0].r).toBe(false);
    await query(superuser(replica), "INSERT INTO notes VALUES ('on the new primary')");
    // The old primary refuses writes in new sessions; the fleet's open session is gone.
    await expect(query(managed(primary), "INSERT INTO notes VALUES ('split brain')")).rejects.toThrow(
      /read-only transaction/,
    );
    await expect(session.query('SELECT 1')).rejects.toThrow();
    await session.end().catch(() => undefined);
  });

  it('a FENCE_CMD that fails is reported, and without FENCE_REQUIRED the failover goes on', async () => {
    const res = await failover({
      OLD_DATABASE_URL: managed(primary),
      NEW_DATABASE_URL: superuser(replica),
      FENCE_CMD: 'exit 3',
    });
    expect(res.status).toBe(0);
    expect(res.stderr).toMatch(/WARNING: FENCE_CMD failed/);
    expect(res.stderr).toMatch(/going on without a complete fence/);
    expect(res.stdout).toMatch(/done\n$/);
  });
});
