import http from 'node:http';
import { hashPassword } from '@fleet/auth';
import { ShareLinkCreated, TokenResponse } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { freePort, spawnSource, waitFor, type SourceProcess } from '@fleet/runtime/testing';
import IORedis from 'ioredis';
import pg from 'pg';
import { createFleet, startWorkerProcess, type TestVehicle, type WorkerProcess } from './testing/fixtures';
import { openSse, type SseClient } from './testing/sse';

// LIVE_PORT: the live streams served by processes of their own (the 'live' cluster role), away from
// the event loop of the processes answering ingestion on the main port.
const PASSWORD = 'live-port-test-password-1';
const prefix = `test:api-live-port:${process.pid}:`;

/** One request on a connection of its own. */
function request(
  url: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: string; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: init.method ?? 'GET', agent: false, headers: init.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.setTimeout(15_000, () => req.destroy(new Error(`no answer from ${url} in 15 s`)));
    req.end(init.body);
  });
}

const json = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'content-type': 'application/json', ...headers },
});

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

describe('LIVE_PORT: the live streams on processes of their own', () => {
  jest.setTimeout(240_000);
  let testDb: TestDatabase;
  let worker: WorkerProcess | undefined;
  let api: SourceProcess | undefined;
  const streams: SseClient[] = [];
  let fleet: TestVehicle[];

  beforeAll(async () => {
    testDb = await createTestDatabase('api-live-port');
    fleet = await createFleet(testDb.url, { count: 2, slug: 'liveport' });
    const db = new pg.Pool({ connectionString: testDb.url, max: 1 });
    await db.query('INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, $3, $4)', [
      fleet[0].organizationId,
      'operator@liveport.example',
      'operator',
      await hashPassword(PASSWORD),
    ]);
    await db.end();
    worker = await startWorkerProcess({ DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix, INGEST_BLOCK_MS: '100' });
  }, 60_000);

  afterAll(async () => {
    for (const s of streams) s.close();
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

  it('streams fixes posted on the main port to organization and share-link streams on LIVE_PORT; 401 without a token; 404 for other routes; drains on SIGTERM', async () => {
    const [port, livePort] = [await freePort(), await freePort()];
    api = spawnSource('apps/api/src/main.ts', {
      APP_ENV: 'test',
      PORT: String(port),
      LIVE_PORT: String(livePort),
      OSMAND_PORT: 'off',
      HOST: '127.0.0.1',
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      LOG_FORMAT: 'json',
      SHUTDOWN_GRACE_MS: '10000',
    });
    const base = `http://127.0.0.1:${port}`;
    const live = `http://127.0.0.1:${livePort}`;
    await waitFor(
      async () => {
        if (api!.child.exitCode !== null) throw new Error(`api exited:\n${api!.output()}`);
        const ready = await Promise.all([base, live].map((b) => request(`${b}/ready`).catch(() => ({ status: 0 }))));
        return ready.every((r) => r.status === 200);
      },
      { timeoutMs: 150_000, what: 'both ports ready' },
    );

    // Without a token, the live port refuses as the main port does (same authenticator, same error).
    const anonymous = await request(`${live}/api/v1/live`, { headers: { accept: 'text/event-stream' } });
    expect(anonymous.status).toBe(401);
    const errorOf = (body: string) => (JSON.parse(body) as { error: unknown }).error;
    expect(errorOf(anonymous.body)).toEqual(errorOf((await request(`${base}/api/v1/live`)).body));
    expect((await request(`${live}/api/v1/live`, { headers: { authorization: 'Bearer nonsense' } })).status).toBe(401);

    // Nothing else is served there: not sign-in, not ingestion, not the rest of the share-link routes.
    const signIn = json({ email: 'operator@liveport.example', password: PASSWORD, client: 'mobile' });
    const elsewhere = [
      await request(`${live}/api/v1/auth/login`, signIn),
      await request(`${live}/api/v1/positions`, json({ positions: [] }, { authorization: `Bearer ${fleet[0].token}` })),
      await request(`${live}/api/v1/vehicles`),
      await request(`${live}/api/v1/shared/${'A'.repeat(43)}`),
      await request(`${live}/api/v1/live`, { method: 'POST' }),
      await request(`${live}/api/v1/openapi.json`),
    ];
    expect(elsewhere.map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 404]);
    expect(JSON.parse(elsewhere[0].body).error.code).toBe('not_found');

    // Signed in on the main port; the stream opened on the live port.
    const signedIn = await request(`${base}/api/v1/auth/login`, signIn);
    expect(signedIn.status).toBe(200);
    const token = TokenResponse.parse(JSON.parse(signedIn.body)).accessToken;
    const bearer = { authorization: `Bearer ${token}` };
    const org = await openSse(`${live}/api/v1/live`, bearer);
    streams.push(org);
    expect(org.status).toBe(200);
    expect(org.headers['content-type']).toMatch(/^text\/event-stream/);
    // EventSource's way (the token in the query) works there too.
    const byQuery = await openSse(`${live}/api/v1/live?access_token=${encodeURIComponent(token)}`);
    streams.push(byQuery);
    expect(byQuery.status).toBe(200);
    // Bad input: the same 400 as on the main port.
    const badQuery = await request(`${live}/api/v1/live?vehicleIds=not-a-uuid`, { headers: bearer });
    expect(badQuery.status).toBe(400);

    const link = await request(`${base}/api/v1/vehicles/${fleet[1].id}/share-links`, json({}, bearer));
    expect(link.status).toBe(201);
    const { token: shareToken } = ShareLinkCreated.parse(JSON.parse(link.body));
    const shared = await openSse(`${live}/api/v1/shared/${shareToken}/live`);
    streams.push(shared);
    expect(shared.status).toBe(200);
    expect((await request(`${live}/api/v1/shared/${'B'.repeat(43)}/live`)).status).toBe(404);
    // The share-link routes other than its stream, valid link and credentials notwithstanding: the main port's.
    expect((await request(`${base}/api/v1/shared/${shareToken}`)).status).toBe(200);
    expect((await request(`${live}/api/v1/shared/${shareToken}`)).status).toBe(404);
    expect((await request(`${live}/api/v1/vehicles/${fleet[1].id}/share-links`, { headers: bearer })).status).toBe(404);
    await Promise.all([org, byQuery, shared].map((s) => s.waitFor(() => s.retry !== undefined, 'the stream to open')));

    // A fix for each vehicle, posted on the main port (the api worker), reaches the live workers.
    // Fixed once: read again later, Date.now() may have passed a second boundary and name other fixes.
    const firstFixAt = Math.floor(Date.now() / 1000) * 1000 - 10_000;
    const ts = (k: number) => new Date(firstFixAt + k * 1000).toISOString();
    for (const [k, v] of fleet.entries()) {
      const res = await request(
        `${base}/api/v1/positions`,
        json(
          { positions: [{ ts: ts(k), lat: 40 + k / 100, lon: -3.7, speed: 12 }] },
          { authorization: `Bearer ${v.token}` },
        ),
      );
      expect(res.status).toBe(202);
    }
    const positionOf = (vehicleId: string, when: string) => (s: SseClient) =>
      s.events.some((e) => {
        if (e.event !== 'position') return false;
        const data = JSON.parse(e.data) as { vehicleId?: string; ts: string };
        return (data.vehicleId === undefined || data.vehicleId === vehicleId) && data.ts === when;
      });
    for (const [k, v] of fleet.entries()) {
      await org.waitFor(() => positionOf(v.id, ts(k))(org), `vehicle ${k}'s fix on the organization stream`, 30_000);
      await byQuery.waitFor(
        () => positionOf(v.id, ts(k))(byQuery),
        `vehicle ${k}'s fix on the ?access_token= stream`,
        30_000,
      );
    }
    // The shared stream: only the shared vehicle (no id in its positions, so by time).
    await shared.waitFor(() => positionOf(fleet[1].id, ts(1))(shared), 'the shared vehicle live', 30_000);
    expect(shared.events.some((e) => e.event === 'position' && JSON.parse(e.data).ts === ts(0))).toBe(false);

    // The main port still serves the live paths (clients not yet routed to LIVE_PORT).
    const onMain = await openSse(`${base}/api/v1/live`, bearer);
    streams.push(onMain);
    expect(onMain.status).toBe(200);
    onMain.close();

    // /metrics on either port: the cluster's sum, the live workers' series included.
    for (const b of [base, live]) {
      const text = (await request(`${b}/metrics`)).body;
      expect(sample(text, 'api_workers', { role: 'live' })).toBe(1);
      expect(sample(text, 'api_workers', { role: 'api' })).toBe(1);
      // The shared stream is open on the live worker only.
      expect(sample(text, 'live_sse_clients', { kind: 'shared' })).toBe(1);
    }

    // SIGTERM: the live streams end (clients reconnect elsewhere), every worker drains, exit 0.
    api.child.kill('SIGTERM');
    await Promise.all([org.ended, byQuery.ended, shared.ended]);
    expect(await api.exited).toBe(0);
    await expect(request(`${live}/health`)).rejects.toThrow();
    const logs = api
      .output()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string });
    expect(logs.some((l) => l.msg === 'live stopped')).toBe(true);
  });
});
