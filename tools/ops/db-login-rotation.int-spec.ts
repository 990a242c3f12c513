import { runMigrations } from '@fleet/db';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import { readEnvFile } from '../secrets/rotate-secret';
import { query } from './db-compare';
import { initCluster, type Cluster } from './pg-cluster';
import {
  createFleet,
  repoRoot,
  run,
  startAppProcess,
  tempDir,
  waitFor,
  type Service,
  type TestVehicle,
} from './testing';

// Database password rotation by double publication (tools/rotate-secret db-login), on a PostgreSQL of
// the test's own that checks passwords (scram-sha-256), with the real api and worker serving
// throughout: two login roles members of the schema's owner role; `publish` gives the standby role a
// new password and makes it DATABASE_URL while the serving one stays valid; a rolling restart moves
// the api and worker to it; `revoke` replaces the old role's password. Devices post positions the
// whole time, through whichever api replicas the "load balancer" lists: not one request may fail,
// and every accepted position is stored.
const ADMIN_PASSWORD = 'admin-password-for-tests';
const prefix = `ops-db-login-${process.pid}:`;

describe('tools/rotate-secret db-login: two roles, no failed request', () => {
  jest.setTimeout(240_000);
  let cluster: Cluster;
  let dir: string;
  let vehicle: TestVehicle;
  const file = () => path.join(dir, 'fleet.env');
  const roleUrl = (role: string, password: string) => `postgres://${role}:${password}@127.0.0.1:${cluster.port}/fleet`;
  const rotate = (args: string[]) =>
    run(path.join(repoRoot, 'tools/rotate-secret'), [...args, '--env-file', file()], { cwd: dir });
  const connects = async (url: string) => {
    const client = new pg.Client({ connectionString: url });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return 'ok';
    } catch (err) {
      return (err as { code?: string }).code ?? String(err);
    } finally {
      await client.end().catch(() => undefined);
    }
  };
  const services: Service[] = [];
  const start = async (app: 'api' | 'worker') => {
    const s = await startAppProcess(app, {
      DATABASE_URL: readEnvFile(file()).get('DATABASE_URL')!,
      REDIS_KEY_PREFIX: prefix,
      INGEST_BLOCK_MS: '100',
      SHUTDOWN_GRACE_MS: '5000',
    });
    services.push(s);
    return s;
  };

  beforeAll(async () => {
    dir = tempDir('db-login');
    cluster = await initCluster({ password: ADMIN_PASSWORD });
    await cluster.start();
    // The setup of docs/runbooks/secret-rotation.md: an owner role, two login roles acting as it.
    const admin = `postgres://postgres:${ADMIN_PASSWORD}@127.0.0.1:${cluster.port}/postgres`;
    await query(admin, 'CREATE ROLE fleet NOLOGIN');
    await query(admin, 'CREATE DATABASE fleet OWNER fleet');
    for (const [role, password] of [
      ['fleet_app_a', 'initial-password-a'],
      ['fleet_app_b', 'initial-password-b'],
    ]) {
      await query(admin, `CREATE ROLE ${role} LOGIN PASSWORD '${password}' IN ROLE fleet`);
      await query(admin, `ALTER ROLE ${role} SET role = 'fleet'`);
    }
    await query(`postgres://postgres:${ADMIN_PASSWORD}@127.0.0.1:${cluster.port}/fleet`, 'CREATE EXTENSION postgis');
    const a = roleUrl('fleet_app_a', 'initial-password-a');
    await runMigrations(a);
    [vehicle] = await createFleet(a, { count: 1, slug: 'db-login' });
    writeFileSync(
      file(),
      `APP_ENV=production\nDATABASE_URL=${a}\nDATABASE_URL_STANDBY=${roleUrl('fleet_app_b', 'initial-password-b')}\n`,
      { mode: 0o600 },
    );
  }, 120_000);

  afterAll(async () => {
    for (const s of services) await s.stop().catch(() => undefined);
    await cluster?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('publish, rolling restart, revoke: the api and worker serve throughout and nothing fails', async () => {
    const api1 = await start('api');
    const worker1 = await start('worker');
    // The load balancer's view: the api replicas taking traffic.
    let pool: Service[] = [api1];
    const statuses: number[] = [];
    let accepted = 0;
    let running = true;
    let ts = Date.now() - 3_600_000;
    const device = async () => {
      for (let i = 0; running; i++) {
        const api = pool[i % pool.length];
        const positions = [{ ts: new Date((ts += 1_000)).toISOString(), lat: 40.42, lon: -3.69 + i / 1e5 }];
        const status = await fetch(`http://127.0.0.1:${api.port}/api/v1/positions`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${vehicle.token}` },
          body: JSON.stringify({ positions }),
        }).then(
          (r) => r.status,
          () => 0,
        );
        statuses.push(status);
        if (status === 202) accepted++;
      }
    };
    const load = Promise.all([device(), device()]);
    const before = () => statuses.length;

    // Step 1: b gets a new password and serves new replicas; a still works.
    let n = before();
    const published = rotate(['db-login', 'publish']);
    expect(published.stderr).toBe('');
    expect(published.status).toBe(0);
    const afterPublish = Object.fromEntries(readEnvFile(file()));
    const current = new URL(afterPublish['DATABASE_URL']);
    expect(current.username).toBe('fleet_app_b');
    expect(current.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(afterPublish['DATABASE_URL_PREVIOUS']).toBe(roleUrl('fleet_app_a', 'initial-password-a'));
    expect(afterPublish['DATABASE_URL_STANDBY']).toBeUndefined();
    expect(afterPublish['DATABASE_URL_ROTATED_AT']).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(published.stdout).not.toContain(current.password);
    // Both credentials open new connections during the window (old replicas' pools reconnect).
    expect(await connects(afterPublish['DATABASE_URL'])).toBe('ok');
    expect(await connects(afterPublish['DATABASE_URL_PREVIOUS'])).toBe('ok');
    expect(await connects(roleUrl('fleet_app_b', 'initial-password-b'))).toBe('28P01');
    await waitFor(async () => before() > n + 20, { timeoutMs: 30_000, what: 'traffic during the window' });

    // Rolling restart: new replicas with the file, then the old ones leave the pool and drain.
    const api2 = await start('api');
    await start('worker');
    pool = [api1, api2];
    n = before();
    await waitFor(async () => before() > n + 20, { timeoutMs: 30_000, what: 'traffic on both replicas' });
    pool = [api2];
    await new Promise((resolve) => setTimeout(resolve, 300)); // requests in flight on api1 finish
    await api1.stop();
    await worker1.stop();
    // The new replicas are connected as fleet_app_b (acting as the owner role).
    const sessions = await query<{ usename: string; current: string }>(
      afterPublish['DATABASE_URL'],
      "SELECT DISTINCT usename, current_user AS current FROM pg_stat_activity WHERE application_name IN ('fleet-api', 'fleet-worker')",
    );
    expect(sessions.map((s) => s.usename)).toEqual(['fleet_app_b']);

    // Step 2: a's password is replaced; a becomes the standby, known only to the file.
    n = before();
    const revoked = rotate(['db-login', 'revoke']);
    expect(revoked.stderr).toBe('');
    expect(revoked.status).toBe(0);
    expect(revoked.stdout).not.toMatch(/still open/);
    const afterRevoke = Object.fromEntries(readEnvFile(file()));
    expect(afterRevoke['DATABASE_URL_PREVIOUS']).toBeUndefined();
    expect(new URL(afterRevoke['DATABASE_URL_STANDBY']).username).toBe('fleet_app_a');
    expect(await connects(roleUrl('fleet_app_a', 'initial-password-a'))).toBe('28P01');
    expect(await connects(afterRevoke['DATABASE_URL_STANDBY'])).toBe('ok');
    await waitFor(async () => before() > n + 20, { timeoutMs: 30_000, what: 'traffic after the revoke' });

    running = false;
    await load;
    expect(statuses.length).toBeGreaterThan(60);
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    // Every accepted position is stored (by the worker acting as fleet_app_b at the end).
    await waitFor(
      async () =>
        Number(
          (await query<{ n: string }>(afterRevoke['DATABASE_URL'], 'SELECT count(*) AS n FROM positions'))[0].n,
        ) === accepted,
      { timeoutMs: 30_000, what: 'every accepted position stored' },
    );
    expect(accepted).toBe(statuses.length);
  });

  it('the next rotation swaps back, and a second publish before the revoke is refused', async () => {
    const published = rotate(['db-login', 'publish']);
    expect(published.status).toBe(0);
    const env = Object.fromEntries(readEnvFile(file()));
    expect(new URL(env['DATABASE_URL']).username).toBe('fleet_app_a');
    expect(new URL(env['DATABASE_URL_PREVIOUS']).username).toBe('fleet_app_b');
    expect(await connects(env['DATABASE_URL'])).toBe('ok');
    const again = rotate(['db-login', 'publish']);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/rotation of the database login is in progress/);
    expect(rotate(['db-login', 'revoke']).status).toBe(0);
    expect(await connects(env['DATABASE_URL_PREVIOUS'])).toBe('28P01');
  });
});
