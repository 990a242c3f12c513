import { randomUUID } from 'node:crypto';
import { hashPassword, TokenService } from '@fleet/auth';
import {
  ErrorBody,
  LivePosition,
  ShareLinkCreated,
  ShareLinkList,
  SharedPosition,
  SharedVehicle,
  TokenResponse,
  TrackingEvent,
  type LiveMessage,
} from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { publishLive } from '@fleet/live';
import { startOwnRedis, waitFor } from '@fleet/runtime/testing';
import IORedis, { type Redis } from 'ioredis';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';
import { createFleet, startWorkerProcess, type TestVehicle, type WorkerProcess } from './testing/fixtures';
import { openSse, type SseClient, type SseEvent } from './testing/sse';

const PASSWORD = 'live-test-password-1';
const prefix = `test:live:${process.pid}:`;
const env = (url: string, extra: Record<string, string> = {}) => ({
  DATABASE_URL: url,
  LIVE_HEARTBEAT_SECONDS: '0.3',
  LIVE_RETRY_MS: '1500',
  SHARE_LINK_CHECK_SECONDS: '0.2',
  // Every message as published, one by one (coalescing has its own suite: live-coalesce.int-spec.ts).
  LIVE_COALESCE_MS: '0',
  ...extra,
});

let testDb: TestDatabase;
let t: StartedApi;
let redis: Redis;
let db: pg.Pool;
let fleetA: TestVehicle[];
let fleetB: TestVehicle[];
let orgA: string;
let orgB: string;
const tokens: Record<string, string> = {};
const open: SseClient[] = [];

async function login(base: string, email: string, client: 'web' | 'mobile' = 'mobile') {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: PASSWORD, client }),
  });
  expect(res.status).toBe(200);
  return { body: TokenResponse.parse(await res.json()), cookies: res.headers.getSetCookie() };
}

beforeAll(async () => {
  testDb = await createTestDatabase('api-live');
  db = new pg.Pool({ connectionString: testDb.url, max: 2 });
  fleetA = await createFleet(testDb.url, { count: 4, slug: 'live-a' });
  fleetB = await createFleet(testDb.url, { count: 1, slug: 'live-b' });
  [orgA, orgB] = [fleetA[0].organizationId, fleetB[0].organizationId];
  const hash = await hashPassword(PASSWORD);
  for (const [org, slug] of [
    [orgA, 'a'],
    [orgB, 'b'],
  ]) {
    for (const role of ['admin', 'operator', 'viewer']) {
      await db.query('INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, $3, $4)', [
        org,
        `${role}@${slug}.example`,
        role,
        hash,
      ]);
    }
  }
  t = await startTestApi(env(testDb.url), { keyPrefix: prefix });
  redis = new IORedis(t.config.redis.url, { keyPrefix: prefix });
  for (const slug of ['a', 'b'])
    for (const role of ['admin', 'operator', 'viewer'])
      tokens[`${role}@${slug}`] = (await login(t.base, `${role}@${slug}.example`)).body.accessToken;
}, 60_000);

afterEach(() => {
  for (const c of open.splice(0)) c.close();
});

afterAll(async () => {
  await t?.api.stop();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
  await redis?.quit();
  await db?.end();
  await testDb?.drop();
});

let seq = 0;
const position = (vehicleId: string): LiveMessage => ({
  type: 'position',
  data: {
    vehicleId,
    ts: new Date(Date.UTC(2026, 0, 1) + ++seq * 1000).toISOString(),
    lat: 40 + seq / 10_000,
    lon: -3.7,
    speedKmh: 42,
    heading: 90,
    altitude: 650,
    accuracy: 5,
    battery: 0.8,
    attributes: { ignition: true },
  },
});
const event = (vehicleId: string): LiveMessage => ({
  type: 'event',
  data: {
    id: randomUUID(),
    vehicleId,
    type: 'overspeed',
    ts: new Date().toISOString(),
    geofenceId: null,
    lat: 40,
    lon: -3.7,
    attributes: { speedKmh: 130 },
  },
});

async function live(query = '', headers: Record<string, string> = {}, base = t.base): Promise<SseClient> {
  const client = await openSse(`${base}/api/v1/live${query}`, headers);
  open.push(client);
  return client;
}
const bearer = (who: string) => ({ authorization: `Bearer ${tokens[who]}` });
/** The stream is subscribed once its `retry:` hint arrived (it is sent after the subscription). */
const ready = (c: SseClient) => waitUntil(() => c.retry !== undefined, 'the stream to open');
const ids = (events: SseEvent[]) => events.filter((e) => e.id !== undefined).map((e) => e.id);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitUntil(check: () => boolean, what: string, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

function call(as: string, method: string, path: string, body?: unknown) {
  return fetch(`${t.base}/api/v1${path}`, {
    method,
    headers: { ...bearer(as), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('GET /api/v1/live', () => {
  jest.setTimeout(30_000);

  it('pushes the organization’s positions and events as they are published, with their log ids', async () => {
    const c = await live('', bearer('viewer@a'));
    expect(c.status).toBe(200);
    expect(c.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(c.headers['x-accel-buffering']).toBe('no');
    expect(c.headers['cache-control']).toContain('no-transform');
    expect(c.headers['content-encoding']).toBeUndefined();
    await ready(c);
    expect(c.retry).toBe(1500);
    const messages = [position(fleetA[0].id), event(fleetA[1].id)];
    const published = await publishLive(redis, orgA, messages);
    await c.waitFor((e) => e.length >= 2, 'two messages');
    expect(c.events.map((e) => [e.id, e.event])).toEqual([
      [published[0], 'position'],
      [published[1], 'event'],
    ]);
    expect(LivePosition.parse(JSON.parse(c.events[0].data))).toEqual(messages[0].data);
    expect(TrackingEvent.parse(JSON.parse(c.events[1].data))).toEqual(messages[1].data);
  });

  it('never shows one organization’s messages to another', async () => {
    const a = await live('', bearer('viewer@a'));
    const b = await live('', bearer('admin@b'));
    await Promise.all([ready(a), ready(b)]);
    const ofA = await publishLive(redis, orgA, [position(fleetA[0].id), event(fleetA[0].id), position(fleetA[2].id)]);
    const ofB = await publishLive(redis, orgB, [position(fleetB[0].id)]);
    await b.waitFor((e) => e.length >= 1, 'B’s own message');
    await a.waitFor((e) => e.length >= 3, 'A’s messages');
    await sleep(150);
    expect(ids(b.events)).toEqual(ofB);
    expect(ids(a.events)).toEqual(ofA);
  });

  it('filters by vehicleIds: only those vehicles’ positions and events', async () => {
    const [v0, v1, v2, v3] = fleetA.map((v) => v.id);
    const c = await live(`?vehicleIds=${v1},${v2}`, bearer('viewer@a'));
    await ready(c);
    const published = await publishLive(redis, orgA, [
      position(v0),
      position(v1),
      event(v3),
      position(v2),
      event(v1),
      position(v3),
    ]);
    await c.waitFor((e) => e.length >= 3, 'the filtered messages');
    await sleep(150);
    expect(c.events.map((e) => [e.id, e.event, JSON.parse(e.data).vehicleId])).toEqual([
      [published[1], 'position', v1],
      [published[3], 'position', v2],
      [published[4], 'event', v1],
    ]);
    const bad = await live('?vehicleIds=not-a-uuid', bearer('viewer@a'));
    expect(bad.status).toBe(400);
    await bad.ended;
    expect(ErrorBody.parse(JSON.parse(bad.body())).error.details?.[0].path).toBe('vehicleIds');
  });

  it('resumes from Last-Event-ID: what was missed, then live, without a gap or a duplicate', async () => {
    const vehicle = fleetA[0].id;
    const first = await live('', bearer('viewer@a'));
    await ready(first);
    const seen = await publishLive(redis, orgA, [position(vehicle), position(vehicle), position(vehicle)]);
    await first.waitFor((e) => e.length >= 3, 'the first three');
    first.close();
    const missed = await publishLive(redis, orgA, [position(vehicle), event(vehicle), position(vehicle)]);
    // Keep publishing while the client comes back, so messages land before, during and after its replay.
    const during: string[] = [];
    let publishing = true;
    const publisher = (async () => {
      while (publishing) {
        during.push(...(await publishLive(redis, orgA, [position(vehicle)])));
        await sleep(2);
      }
    })();
    await sleep(20);
    const resumed = await live('', { ...bearer('viewer@a'), 'last-event-id': seen[2] });
    await ready(resumed);
    await sleep(100);
    publishing = false;
    await publisher;
    const expected = [...missed, ...during];
    await resumed.waitFor((e) => e.length >= expected.length, `${expected.length} messages`);
    await sleep(150);
    expect(ids(resumed.events)).toEqual(expected);

    // The same through the query, for clients that cannot set the header.
    const viaQuery = await live(`?lastEventId=${missed[2]}`, bearer('viewer@a'));
    await viaQuery.waitFor((e) => e.length >= during.length, 'the replay');
    await sleep(100);
    expect(ids(viaQuery.events)).toEqual(during);

    const bad = await live('', { ...bearer('viewer@a'), 'last-event-id': 'yesterday' });
    expect(bad.status).toBe(400);
  });

  it('says `resync` when the history to resume from was trimmed from the capped log', async () => {
    const org = fleetB[0].organizationId;
    const vehicle = fleetB[0].id;
    const published = await publishLive(
      redis,
      org,
      Array.from({ length: 400 }, () => position(vehicle)),
      50, // MAXLEN ~ 50: Redis trims whole nodes of 100 entries
    );
    const kept = (await redis.xrange(`livelog:${org}`, '-', '+')).map(([id]) => id);
    expect(kept.length).toBeLessThan(published.length);
    const c = await live('', { ...bearer('admin@b'), 'last-event-id': published[0] });
    await c.waitFor((e) => e.length >= kept.length + 1, 'resync and the replay');
    expect(c.events[0].event).toBe('resync');
    expect(ids(c.events)).toEqual(kept);
  });

  it('sends a heartbeat comment every LIVE_HEARTBEAT_SECONDS', async () => {
    const c = await live('', bearer('viewer@a'));
    await ready(c);
    await sleep(1_000);
    // 0.3 s apart: three in a second, give or take timer slack.
    expect(c.comments.filter((x) => x === 'heartbeat').length).toBeGreaterThanOrEqual(2);
    expect(c.comments.filter((x) => x === 'heartbeat').length).toBeLessThanOrEqual(4);
  });

  it('refuses callers without a valid access token (401), and accepts the query parameter and the web cookie', async () => {
    const none = await live();
    expect(none.status).toBe(401);
    expect(none.headers['www-authenticate']).toContain('Bearer');
    const garbage = await live('', { authorization: 'Bearer not.a.jwt' });
    expect(garbage.status).toBe(401);
    const basic = await live('', { authorization: 'Basic dXNlcjpwYXNz' });
    expect(basic.status).toBe(401);
    const signer = new TokenService({ secret: t.config.jwt.secret });
    const [user] = (await db.query('SELECT id FROM users WHERE email = $1', ['viewer@a.example'])).rows;
    const stale = await signer.sign(
      { sub: user.id, org: orgA, role: 'viewer', sv: 0 },
      { now: Date.now() - 3_600_000 },
    );
    const expired = await live(`?access_token=${stale}`);
    expect(expired.status).toBe(401);
    await expired.ended;
    expect(ErrorBody.parse(JSON.parse(expired.body())).error.message).toMatch(/expired/);
    const foreign = await new TokenService({ secret: 'another-secret-another-secret-1234' }).sign({
      sub: user.id,
      org: orgA,
      role: 'viewer',
      sv: 0,
    });
    expect((await live('', { authorization: `Bearer ${foreign}` })).status).toBe(401);

    // EventSource: the token in the query string, which no log line may contain.
    const viaQuery = await live(`?access_token=${tokens['viewer@a']}`);
    expect(viaQuery.status).toBe(200);
    const rejected = await live(`?access_token=${tokens['viewer@a']}x`);
    expect(rejected.status).toBe(401);
    viaQuery.close();
    await sleep(100);
    const logs = (await t.logLines()).join('\n');
    expect(logs).toContain('/api/v1/live');
    expect(logs).not.toContain(tokens['viewer@a']);
    expect(logs).not.toContain(stale);

    // The browser: sign-in sets an httpOnly, SameSite=Strict access cookie that the stream accepts.
    const web = await login(t.base, 'viewer@a.example', 'web');
    const cookie = web.cookies.find((c) => c.startsWith('fleet_access='));
    expect(cookie).toMatch(
      /^fleet_access=[^;]+; Max-Age=900; Path=\/api\/v1; Expires=[^;]+; HttpOnly; SameSite=Strict$/,
    );
    const viaCookie = await live('', { cookie: cookie!.split(';')[0] });
    expect(viaCookie.status).toBe(200);
    await ready(viaCookie);
    const [id] = await publishLive(redis, orgA, [position(fleetA[0].id)]);
    await viaCookie.waitFor((e) => ids(e).includes(id), 'the message over the cookie-authenticated stream');
    // …and only that route: elsewhere the cookie is no credential.
    const me = await fetch(`${t.base}/api/v1/auth/me`, { headers: { cookie: cookie!.split(';')[0] } });
    expect(me.status).toBe(401);
    const refreshCookie = web.cookies.find((c) => c.startsWith('fleet_refresh='))!.split(';')[0];
    const logout = await fetch(`${t.base}/api/v1/auth/logout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: refreshCookie },
      body: '{}',
    });
    expect(logout.status).toBe(204);
    const cleared = logout.headers.getSetCookie().find((c) => c.startsWith('fleet_access='));
    expect(cleared).toMatch(
      /^fleet_access=; Path=\/api\/v1; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Strict$/,
    );
  });

  it('ends the stream when the access token that opened it expires', async () => {
    const signer = new TokenService({ secret: t.config.jwt.secret });
    const [user] = (await db.query('SELECT id FROM users WHERE email = $1', ['viewer@a.example'])).rows;
    const short = await signer.sign({ sub: user.id, org: orgA, role: 'viewer', sv: 0 }, { ttlSeconds: 2 });
    const c = await live('', { authorization: `Bearer ${short}` });
    expect(c.status).toBe(200);
    const started = Date.now();
    await c.ended;
    expect(Date.now() - started).toBeLessThan(4_000);
    expect(c.events.at(-1)?.event).toBe('expired');
  });

  it('limits open streams per user and per organization across replicas (429 with Retry-After): one user cannot take every slot, another organization still connects', async () => {
    const limits = { LIVE_MAX_STREAMS_PER_USER: '2', LIVE_MAX_STREAMS_PER_ORG: '3', LIVE_MAX_CLIENTS: '5' };
    const limitPrefix = `${prefix}limits:`;
    const one = await startTestApi(env(testDb.url, limits), { keyPrefix: limitPrefix });
    const two = await startTestApi(env(testDb.url, limits), { keyPrefix: limitPrefix });
    try {
      // One stream on each replica: the user's two.
      const mine = [await live('', bearer('viewer@a'), one.base), await live('', bearer('viewer@a'), two.base)];
      expect(mine.map((c) => c.status)).toEqual([200, 200]);
      for (const base of [one.base, two.base]) {
        const third = await live('', bearer('viewer@a'), base);
        expect(third.status).toBe(429);
        expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
        await third.ended;
        expect(ErrorBody.parse(JSON.parse(third.body())).error.message).toMatch(/user/);
      }
      // A colleague takes the organization's last slot; then the organization is full, everywhere.
      expect((await live('', bearer('operator@a'), two.base)).status).toBe(200);
      for (const base of [one.base, two.base]) {
        const full = await live('', bearer('admin@a'), base);
        expect(full.status).toBe(429);
        expect(Number(full.headers['retry-after'])).toBeGreaterThan(0);
        await full.ended;
        expect(ErrorBody.parse(JSON.parse(full.body())).error.message).toMatch(/organization/);
      }
      // Another organization is not affected.
      const other = await live('', bearer('viewer@b'), one.base);
      expect(other.status).toBe(200);
      await ready(other);
      // A closed stream gives its slot back.
      mine[0].close();
      await waitFor(async () => (await live('', bearer('viewer@a'), two.base)).status === 200, {
        timeoutMs: 5_000,
        what: 'the freed slot',
      });
    } finally {
      await one.api.stop();
      await two.api.stop();
    }
  });

  it('delivers through every API replica sharing Redis, and counts its streams in /metrics', async () => {
    const second = await startTestApi(env(testDb.url), { keyPrefix: prefix });
    try {
      const one = await live('', bearer('viewer@a'));
      const other = await live('', bearer('viewer@a'), second.base);
      const filtered = await live(`?vehicleIds=${fleetA[3].id}`, bearer('viewer@a'), second.base);
      await Promise.all([ready(one), ready(other), ready(filtered)]);
      const metrics = await (await fetch(`${second.base}/metrics`)).text();
      expect(metrics).toMatch(/^live_sse_clients\{kind="user",service="api"\} 2$/m);
      const published = await publishLive(redis, orgA, [position(fleetA[3].id)]);
      await Promise.all([one, other, filtered].map((c) => c.waitFor((e) => e.length >= 1, 'the message')));
      for (const c of [one, other, filtered]) expect(ids(c.events)).toEqual(published);
      other.close();
      filtered.close();
      await sleep(100);
      const after = await (await fetch(`${second.base}/metrics`)).text();
      expect(after).toMatch(/^live_sse_clients\{kind="user",service="api"\} 0$/m);
    } finally {
      await second.api.stop();
    }
  });

  it('keeps open streams through a Redis restart and delivers again after it; new subscriptions get 503 meanwhile', async () => {
    const own = await startOwnRedis();
    const alone = await startTestApi(env(testDb.url, { REDIS_URL: own.url }), { keyPrefix: prefix });
    const publisher = new IORedis(own.url, { keyPrefix: prefix, maxRetriesPerRequest: 1 });
    try {
      const c = await live('', bearer('viewer@a'), alone.base);
      await ready(c);
      await own.stop();
      // Organization B has no subscription yet: it cannot get one while Redis is away.
      const refused = await live('', bearer('admin@b'), alone.base);
      expect(refused.status).toBe(503);
      expect(refused.headers['retry-after']).toBeDefined();
      await own.start();
      const heartbeats = c.comments.length;
      let sent: string[] = [];
      await waitFor(
        async () => {
          sent = await publishLive(publisher, orgA, [position(fleetA[0].id)]);
          await sleep(100);
          return ids(c.events).includes(sent[0]);
        },
        { timeoutMs: 15_000, what: 'a message after the restart' },
      );
      expect(c.comments.length).toBeGreaterThan(heartbeats);
      const b = await live('', bearer('admin@b'), alone.base);
      expect(b.status).toBe(200);
    } finally {
      publisher.disconnect();
      await alone.api.stop();
      await own.destroy();
    }
  });

  it('closes its streams at once on shutdown, so the drain does not wait for them', async () => {
    const doomed = await startTestApi(env(testDb.url, { SHUTDOWN_GRACE_MS: '10000' }), { keyPrefix: prefix });
    const clients = await Promise.all(Array.from({ length: 5 }, () => live('', bearer('viewer@a'), doomed.base)));
    await Promise.all(clients.map(ready));
    const started = Date.now();
    await doomed.api.stop();
    expect(Date.now() - started).toBeLessThan(2_000);
    await Promise.all(clients.map((c) => c.ended));
  });
});

describe('end to end through the worker', () => {
  jest.setTimeout(60_000);
  let worker: WorkerProcess;
  beforeAll(async () => {
    worker = await startWorkerProcess({ DATABASE_URL: testDb.url, REDIS_KEY_PREFIX: prefix, INGEST_BLOCK_MS: '100' });
  }, 60_000);
  afterAll(() => worker?.stop());

  it('pushes a position POSTed to /api/v1/positions to the organization’s streams', async () => {
    const v = fleetA[2];
    const c = await live(`?vehicleIds=${v.id}`, bearer('viewer@a'));
    await ready(c);
    const ts = new Date(Date.now() - 5_000).toISOString();
    const res = await fetch(`${t.base}/api/v1/positions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${v.token}` },
      body: JSON.stringify({ ts, lat: 40.4168, lon: -3.7038, speed: 36, heading: 180 }),
    });
    expect(res.status).toBe(202);
    await c.waitFor((e) => e.some((x) => x.event === 'position'), 'the ingested position', 15_000);
    const got = LivePosition.parse(JSON.parse(c.events.find((x) => x.event === 'position')!.data));
    expect(got).toMatchObject({ vehicleId: v.id, ts, lat: 40.4168, lon: -3.7038, speedKmh: 36, heading: 180 });
  });
});

describe('share links', () => {
  jest.setTimeout(30_000);
  const create = async (as: string, vehicleId: string, body: unknown = { name: 'for the client' }) => {
    const res = await call(as, 'POST', `/vehicles/${vehicleId}/share-links`, body);
    expect(res.status).toBe(201);
    return ShareLinkCreated.parse(await res.json());
  };
  const shared = (token: string) => fetch(`${t.base}/api/v1/shared/${token}`);
  const sharedLive = async (token: string, headers: Record<string, string> = {}) => {
    const client = await openSse(`${t.base}/api/v1/shared/${token}/live`, headers);
    open.push(client);
    return client;
  };

  it('creates a link whose token is shown once, lists it without the token, and serves name and latest position publicly', async () => {
    const v = fleetA[0];
    await db.query(
      `INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh, heading, battery, attributes)
       VALUES ($1, $2, now() - interval '1 minute', ST_SetSRID(ST_MakePoint(-3.7, 40.42), 4326), 50, 270, 0.5, '{"driver":"x"}')
       ON CONFLICT (vehicle_id) DO UPDATE SET point = EXCLUDED.point, speed_kmh = 50, heading = 270`,
      [v.id, orgA],
    );
    const before = Date.now();
    const created = await create('operator@a', v.id, { name: 'Customer ETA', expiresInMinutes: 90 });
    expect(created.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(created.path).toBe(`/api/v1/shared/${created.token}`);
    expect(created.shareLink).toMatchObject({
      vehicleId: v.id,
      name: 'Customer ETA',
      status: 'active',
      revokedAt: null,
    });
    const lifetime = Date.parse(created.shareLink.expiresAt) - before;
    expect(lifetime).toBeGreaterThan(89 * 60_000);
    expect(lifetime).toBeLessThan(91 * 60_000);
    const stored = await db.query('SELECT token_hash FROM share_links WHERE id = $1', [created.shareLink.id]);
    expect(stored.rows[0].token_hash).not.toContain(created.token);

    const list = await call('viewer@a', 'GET', `/vehicles/${v.id}/share-links`);
    expect(list.status).toBe(200);
    const text = await list.text();
    expect(text).not.toContain(created.token);
    expect(ShareLinkList.parse(JSON.parse(text)).items.map((l) => l.id)).toContain(created.shareLink.id);

    const res = await shared(created.token);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { position: object; vehicle: object };
    expect(SharedVehicle.strict().parse(body)).toMatchObject({
      vehicle: { name: 'Vehicle 0' },
      position: { lat: 40.42, lon: -3.7, speedKmh: 50, heading: 270 },
      expiresAt: created.shareLink.expiresAt,
    });
    // Nothing about the device: no battery, attributes, identifier or organization.
    expect(Object.keys(body.position).sort()).toEqual(['heading', 'lat', 'lon', 'speedKmh', 'ts']);
    expect(Object.keys(body.vehicle)).toEqual(['name']);
  });

  it('streams that vehicle’s positions only — no events, no other vehicle — starting with where it is', async () => {
    const [v0, v1] = [fleetA[0].id, fleetA[1].id];
    const { token } = await create('admin@a', v0);
    const c = await sharedLive(token);
    expect(c.status).toBe(200);
    await c.waitFor((e) => e.length >= 1, 'the first position');
    expect(c.events[0]).toMatchObject({ event: 'position', id: undefined });
    const messages = [position(v1), event(v0), position(v0), position(v1), position(v0)];
    const published = await publishLive(redis, orgA, messages);
    await c.waitFor((e) => e.length >= 3, 'two live positions');
    await sleep(150);
    expect(c.events.slice(1).map((e) => [e.id, e.event])).toEqual([
      [published[2], 'position'],
      [published[4], 'position'],
    ]);
    // Where and how fast, nothing about the device (battery, accuracy, attributes, vehicle id).
    const { ts, lat, lon, speedKmh, heading } = messages[2].data as LivePosition;
    expect(SharedPosition.strict().parse(JSON.parse(c.events[1].data))).toEqual({ ts, lat, lon, speedKmh, heading });
    // Another vehicle’s link sees nothing of v0.
    const other = await create('admin@a', v1);
    const o = await sharedLive(other.token);
    await ready(o);
    const more = await publishLive(redis, orgA, [position(v0), position(v1)]);
    await o.waitFor((e) => ids(e).includes(more[1]), 'v1’s position');
    expect(ids(o.events)).toEqual([more[1]]);
  });

  it('revoked: 404 at once, and its open stream ends', async () => {
    const v = fleetA[1];
    const created = await create('operator@a', v.id);
    const c = await sharedLive(created.token);
    expect(c.status).toBe(200);
    // Another organization cannot revoke it; a viewer may not.
    expect((await call('admin@b', 'DELETE', `/share-links/${created.shareLink.id}`)).status).toBe(404);
    expect((await call('viewer@a', 'DELETE', `/share-links/${created.shareLink.id}`)).status).toBe(403);
    expect((await call('operator@a', 'DELETE', `/share-links/${created.shareLink.id}`)).status).toBe(204);
    expect((await shared(created.token)).status).toBe(404);
    const started = Date.now();
    await c.ended;
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(c.events.at(-1)).toMatchObject({ event: 'end', data: JSON.stringify({ reason: 'revoked' }) });
    expect((await sharedLive(created.token)).status).toBe(404);
    const listed = ShareLinkList.parse(await (await call('admin@a', 'GET', `/vehicles/${v.id}/share-links`)).json());
    expect(listed.items.find((l) => l.id === created.shareLink.id)?.status).toBe('revoked');
  });

  it('expired: 404, and its open stream ends when it expires', async () => {
    const created = await create('operator@a', fleetA[2].id);
    await db.query("UPDATE share_links SET expires_at = now() + interval '1 second' WHERE id = $1", [
      created.shareLink.id,
    ]);
    const c = await sharedLive(created.token);
    expect(c.status).toBe(200);
    await c.ended;
    expect(c.events.at(-1)).toMatchObject({ event: 'end', data: JSON.stringify({ reason: 'expired' }) });
    expect((await shared(created.token)).status).toBe(404);
    // The token is in the path, which the access log keeps: it must be redacted there.
    const logs = (await t.logLines()).join('\n');
    expect(logs).toContain('/api/v1/shared/');
    expect(logs).not.toContain(created.token);
    expect((await shared('A'.repeat(43))).status).toBe(404);
    expect((await shared('short')).status).toBe(404);
  });

  it('refuses bad lifetimes naming the field, other roles and other organizations', async () => {
    const v = fleetA[3].id;
    const expect400 = async (body: unknown, path: string) => {
      const res = await call('admin@a', 'POST', `/vehicles/${v}/share-links`, body);
      expect(res.status).toBe(400);
      const details = ErrorBody.parse(await res.json()).error.details ?? [];
      expect(details.map((d) => `${d.path}: ${d.message}`).join('\n')).toContain(path);
    };
    await expect400({ expiresInMinutes: 31 * 24 * 60 }, 'expiresInMinutes');
    await expect400({ expiresInMinutes: 0 }, 'expiresInMinutes');
    await expect400({ expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt');
    await expect400({ expiresAt: new Date(Date.now() + 31 * 86_400_000).toISOString() }, 'expiresAt');
    await expect400({ expiresAt: new Date(Date.now() + 60_000).toISOString(), expiresInMinutes: 5 }, 'expiresAt');
    await expect400({ token: 'mine' }, 'token');
    const at = new Date(Date.now() + 2 * 86_400_000).toISOString();
    expect((await create('admin@a', v, { expiresAt: at })).shareLink.expiresAt).toBe(at);
    // No body at all: the defaults (24 hours, no name).
    const bare = await fetch(`${t.base}/api/v1/vehicles/${v}/share-links`, {
      method: 'POST',
      headers: bearer('admin@a'),
    });
    expect(bare.status).toBe(201);
    const { shareLink } = ShareLinkCreated.parse(await bare.json());
    expect(Date.parse(shareLink.expiresAt) - Date.parse(shareLink.createdAt)).toBeCloseTo(86_400_000, -4);
    expect((await call('viewer@a', 'POST', `/vehicles/${v}/share-links`, {})).status).toBe(403);
    expect((await call('admin@b', 'POST', `/vehicles/${v}/share-links`, {})).status).toBe(404);
    expect((await call('admin@b', 'GET', `/vehicles/${v}/share-links`)).status).toBe(404);
    expect((await call('admin@a', 'POST', `/vehicles/not-a-uuid/share-links`, {})).status).toBe(404);
  });

  it('rate-limits the public routes per client address (429 with Retry-After)', async () => {
    const strict = await startTestApi(env(testDb.url, { SHARED_REQUESTS_PER_MINUTE: '3' }), {
      keyPrefix: `${prefix}rl:`,
    });
    try {
      const { token } = await create('admin@a', fleetA[0].id);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${strict.base}/api/v1/shared/${token}`)).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
      const limited = await fetch(`${strict.base}/api/v1/shared/${token}`);
      expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    } finally {
      await strict.api.stop();
    }
    const streams = await startTestApi(env(testDb.url, { SHARED_STREAMS_PER_IP: '1' }), { keyPrefix: `${prefix}rl2:` });
    try {
      const { token } = await create('admin@a', fleetA[0].id);
      const first = await openSse(`${streams.base}/api/v1/shared/${token}/live`);
      open.push(first);
      expect(first.status).toBe(200);
      const second = await openSse(`${streams.base}/api/v1/shared/${token}/live`);
      open.push(second);
      expect(second.status).toBe(429);
    } finally {
      await streams.api.stop();
    }
  });
});
