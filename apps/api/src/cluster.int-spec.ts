import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { hashPassword } from '@fleet/auth';
import { TokenResponse } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { freePort, spawnSource, waitFor, type SourceProcess } from '@fleet/runtime/testing';
import IORedis from 'ioredis';
import pg from 'pg';
import {
  countPositions,
  createFleet,
  startWorkerProcess,
  type TestVehicle,
  type WorkerProcess,
} from './testing/fixtures';
import { openSse, type SseClient } from './testing/sse';

// The API on every core: API_WORKERS processes on the main port, OSMAND_WORKERS on the OsmAnd port,
// a node:cluster primary restarting and draining them, /metrics summed over all of them.
const PASSWORD = 'cluster-test-password-1';
const prefix = `test:api-cluster:${process.pid}:`;

const step = (what: string) => {
  if (process.env['CLUSTER_SPEC_OUTPUT']) process.stderr.write(`[cluster spec] ${new Date().toISOString()} ${what}\n`);
};

/** One request on a connection of its own, so the cluster spreads requests over its workers. */
function request(
  url: string,
  init: { method?: string; body?: string } = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer from ${url} in 15 s`)));
    req.end(init.body);
  });
}

/** The primary's forked workers, by role (read from their environment). */
function workersOf(primary: number): Array<{ pid: number; role: string }> {
  let out: string;
  try {
    out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(primary)], { encoding: 'utf8' });
  } catch {
    return []; // ps exits 1 when there is none
  }
  return out
    .split('\n')
    .map((l) => Number(l.trim()))
    .filter((pid) => pid > 0)
    .flatMap((pid) => {
      try {
        const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
        const role = env.find((e) => e.startsWith('FLEET_CLUSTER_ROLE='))?.split('=')[1];
        return role ? [{ pid, role }] : [];
      } catch {
        return []; // gone meanwhile
      }
    });
}

/** Whether a process is gone and reaped (its parent handled its exit). */
function reaped(pid: number): boolean {
  try {
    execFileSync('ps', ['-p', String(pid)]);
    return false;
  } catch {
    return true;
  }
}

/** The value of one series in Prometheus text (the sum of its lines matching every label given). */
function sample(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  let found = false;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
    found = true;
  }
  return found ? sum : NaN;
}

describe('API_WORKERS / OSMAND_WORKERS: the API as a cluster', () => {
  jest.setTimeout(300_000);
  let testDb: TestDatabase;
  let worker: WorkerProcess | undefined;
  let api: SourceProcess | undefined;
  let sse: SseClient | undefined;
  let fleet: TestVehicle[];
  let base: string;
  let osmand: string;

  beforeAll(async () => {
    testDb = await createTestDatabase('api-cluster');
    fleet = await createFleet(testDb.url, { count: 2, slug: 'cluster' });
    const db = new pg.Pool({ connectionString: testDb.url, max: 1 });
    await db.query('INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, $3, $4)', [
      fleet[0].organizationId,
      'viewer@cluster.example',
      'viewer',
      await hashPassword(PASSWORD),
    ]);
    await db.end();
    worker = await startWorkerProcess({ DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix, INGEST_BLOCK_MS: '100' });
  }, 60_000);

  afterAll(async () => {
    sse?.close();
    // What the processes said, when the test failed on a busy machine.
    if (api && process.env['CLUSTER_SPEC_OUTPUT']) process.stderr.write(api.output());
    if (api && api.child.exitCode === null) {
      api.child.kill('SIGKILL');
      await api.exited;
    }
    await worker?.stop();
    const redis = new IORedis('redis://127.0.0.1:6379', { keyPrefix: prefix });
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    await redis.quit();
    await testDb?.drop();
  });

  it('serves both ports from 2 + 2 workers, streams OsmAnd fixes live, sums /metrics, replaces a killed worker and drains on SIGTERM', async () => {
    const [port, osmandPort] = [await freePort(), await freePort()];
    api = spawnSource('apps/api/src/main.ts', {
      APP_ENV: 'test',
      PORT: String(port),
      OSMAND_PORT: String(osmandPort),
      HOST: '127.0.0.1',
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      LOG_FORMAT: 'json',
      SHUTDOWN_GRACE_MS: '10000',
      API_WORKERS: '2',
      OSMAND_WORKERS: '2',
    });
    const primary = api.child.pid!;
    base = `http://127.0.0.1:${port}`;
    osmand = `http://127.0.0.1:${osmandPort}`;
    await waitFor(
      async () => {
        if (api!.child.exitCode !== null) throw new Error(`api exited:\n${api!.output()}`);
        return (await request(`${base}/ready`).catch(() => ({ status: 0 }))).status === 200;
      },
      { timeoutMs: 150_000, what: 'the cluster ready' },
    );
    const roles = () =>
      workersOf(primary)
        .map((w) => w.role)
        .sort();
    expect(roles()).toEqual(['api', 'api', 'osmand', 'osmand']);

    step('A live client (on an api wo');
    // A live client (on an api worker) gets the fixes sent to the OsmAnd port (osmand workers).
    const signedIn = await fetch(`${base}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'viewer@cluster.example', password: PASSWORD, client: 'mobile' }),
    });
    expect(signedIn.status).toBe(200);
    const token = TokenResponse.parse(await signedIn.json()).accessToken;
    sse = await openSse(`${base}/api/v1/live`, { authorization: `Bearer ${token}` });
    expect(sse.status).toBe(200);
    await sse.waitFor(() => sse!.retry !== undefined, 'the stream to open');

    const fixes = 10;
    const start = Math.floor(Date.now() / 1000) - 60;
    for (let i = 0; i < fixes; i++) {
      const v = fleet[i % 2];
      const res = await request(
        `${osmand}/?id=${v.identifier}&timestamp=${start + i}&lat=${40 + i / 1000}&lon=-3.7&speed=10&bearing=45`,
        { method: 'POST' },
      );
      expect(res.status).toBe(200);
    }
    await waitFor(async () => (await countPositions(testDb.url)) === fixes, {
      timeoutMs: 60_000,
      what: 'the fixes stored',
    });
    step("Each vehicle's newest fix");
    // Each vehicle's newest fix reaches the stream (older ones may be coalesced away).
    for (const [k, v] of fleet.entries()) {
      const newest = new Date((start + fixes - 2 + k) * 1000).toISOString();
      await sse.waitFor(
        (events) =>
          events.some(
            (e) => e.event === 'position' && JSON.parse(e.data).vehicleId === v.id && JSON.parse(e.data).ts === newest,
          ),
        `vehicle ${k}'s newest fix live`,
        20_000,
      );
    }

    step('/metrics, whichever');
    // /metrics, whichever api worker answers it, is the sum over every worker: the 10 fixes were spread
    // over both osmand workers, the 20 probes (a connection each) over both api workers (whose own
    // counts are below 20 each: connections are dealt round-robin).
    for (let i = 0; i < 20; i++) expect((await request(`${base}/health`)).status).toBe(200);
    const metrics = (await request(`${base}/metrics`)).body;
    expect(sample(metrics, 'positions_received_total', { protocol: 'osmand' })).toBe(fixes);
    expect(sample(metrics, 'http_request_duration_seconds_count', { route: '/health' })).toBeGreaterThanOrEqual(20);
    expect(sample(metrics, 'api_workers', { role: 'api' })).toBe(2);
    expect(sample(metrics, 'api_workers', { role: 'osmand' })).toBe(2);

    step('kill -9 an api worker');
    // kill -9 an api worker: the other keeps answering, and a new one replaces it.
    const victim = workersOf(primary).find((w) => w.role === 'api')!;
    process.kill(victim.pid, 'SIGKILL');
    // (A connection the primary hands to a worker at the very instant it is killed is lost with it, as
    // with any crash: the client times out and retries. Once the primary has seen the exit, none is.)
    await waitFor(() => reaped(victim.pid), { timeoutMs: 10_000, what: 'the primary to see the exit' });
    for (let i = 0; i < 5; i++) expect((await request(`${base}/health`)).status).toBe(200);
    const listening = (msg: string) =>
      api!
        .output()
        .split('\n')
        .filter((l) => l.includes(`"msg":"${msg}"`)).length;
    await waitFor(
      () => workersOf(primary).filter((w) => w.role === 'api').length === 2 && listening('api listening') === 3,
      {
        timeoutMs: 90_000,
        what: 'a replacement api worker listening',
      },
    );
    step('replaced');
    await waitFor(
      async () => {
        const text = (await request(`${base}/metrics`)).body;
        return (
          sample(text, 'api_worker_restarts_total', { role: 'api' }) === 1 &&
          sample(text, 'api_workers', { role: 'api' }) === 2
        );
      },
      { timeoutMs: 90_000, what: 'the restart counted' },
    );
    step('…and so is an osmand');
    // …and so is an osmand worker; fixes keep being accepted meanwhile.
    const osmandVictim = workersOf(primary).find((w) => w.role === 'osmand')!;
    process.kill(osmandVictim.pid, 'SIGKILL');
    await waitFor(() => reaped(osmandVictim.pid), { timeoutMs: 10_000, what: 'the primary to see the exit' });
    const late = await request(`${osmand}/?id=${fleet[0].identifier}&timestamp=${start + 100}&lat=40.5&lon=-3.7`, {
      method: 'POST',
    });
    expect(late.status).toBe(200);
    await waitFor(
      () => workersOf(primary).filter((w) => w.role === 'osmand').length === 2 && listening('osmand listening') === 3,
      { timeoutMs: 90_000, what: 'a replacement osmand worker listening' },
    );
    await waitFor(async () => (await countPositions(testDb.url)) === fixes + 1, {
      timeoutMs: 60_000,
      what: 'the fix sent meanwhile stored',
    });

    step('SIGTERM: in-flight');
    // SIGTERM: in-flight requests finish, the stream ends, every worker drains, the primary exits 0.
    const slow = Array.from({ length: 4 }, () => request(`${base}/api/v1/_debug/sleep/1500`));
    await new Promise((r) => setTimeout(r, 300));
    api.child.kill('SIGTERM');
    expect((await Promise.all(slow)).map((r) => r.status)).toEqual([200, 200, 200, 200]);
    await sse.ended;
    expect(await api.exited).toBe(0);
    expect(workersOf(primary)).toEqual([]);
    await expect(request(`${base}/health`)).rejects.toThrow();
    await expect(request(`${osmand}/`)).rejects.toThrow();
    const stopped = api
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string });
    expect(stopped.filter((l) => l.msg === 'osmand stopped').length).toBeGreaterThanOrEqual(2);
    expect(stopped.some((l) => l.msg === 'api stopped')).toBe(true);
  });
});
