import { randomUUID } from 'node:crypto';
import { hashPassword } from '@fleet/auth';
import { ShareLinkCreated, TokenResponse, type LiveMessage } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { publishLive } from '@fleet/live';
import IORedis, { type Redis } from 'ioredis';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';
import { createFleet, type TestVehicle } from './testing/fixtures';
import { openSse, type SseClient, type SseEvent } from './testing/sse';

// Live streams write at most once per LIVE_COALESCE_MS: a vehicle's superseded positions are dropped
// within a window, everything else kept in order, and a resume from the last id misses nothing.
const PASSWORD = 'coalesce-test-password-1';
const prefix = `test:live-coalesce:${process.pid}:`;
const WINDOW_MS = 300;

let testDb: TestDatabase;
let t: StartedApi;
let redis: Redis;
let db: pg.Pool;
let fleet: TestVehicle[];
let org: string;
let token: string;
const open: SseClient[] = [];

beforeAll(async () => {
  testDb = await createTestDatabase('api-live-coalesce');
  db = new pg.Pool({ connectionString: testDb.url, max: 2 });
  fleet = await createFleet(testDb.url, { count: 3, slug: 'coalesce' });
  org = fleet[0].organizationId;
  await db.query('INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, $3, $4)', [
    org,
    'admin@coalesce.example',
    'admin',
    await hashPassword(PASSWORD),
  ]);
  t = await startTestApi(
    { DATABASE_URL: testDb.url, LIVE_COALESCE_MS: String(WINDOW_MS), LIVE_HEARTBEAT_SECONDS: '60' },
    { keyPrefix: prefix },
  );
  redis = new IORedis(t.config.redis.url, { keyPrefix: prefix });
  const res = await fetch(`${t.base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'admin@coalesce.example', password: PASSWORD, client: 'mobile' }),
  });
  token = TokenResponse.parse(await res.json()).accessToken;
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
    attributes: {},
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (events: SseEvent[]) => events.filter((e) => e.id !== undefined).map((e) => e.id);
async function live(url: string, headers: Record<string, string> = {}) {
  const c = await openSse(url, headers);
  open.push(c);
  return c;
}
const signedIn = (headers: Record<string, string> = {}) =>
  live(`${t.base}/api/v1/live`, { authorization: `Bearer ${token}`, ...headers });

/** A burst: `perVehicle` positions of each vehicle, an event every tenth message; what should arrive of it. */
function burst(perVehicle: number) {
  const messages: LiveMessage[] = [];
  for (let i = 0; i < perVehicle; i++) {
    for (const v of fleet) {
      messages.push(position(v.id));
      if (messages.length % 10 === 0) messages.push(event(v.id));
    }
  }
  return messages;
}
/** The ids a coalesced client gets of a burst written in one window: every event, each vehicle's last position. */
function newestPerVehicleAndEvents(messages: LiveMessage[], published: string[]): string[] {
  const last = new Map<string, number>();
  messages.forEach((m, i) => m.type === 'position' && last.set(m.data.vehicleId, i));
  return published.filter((_, i) => messages[i].type !== 'position' || last.get(messages[i].data.vehicleId) === i);
}

describe('live streams coalesce (LIVE_COALESCE_MS)', () => {
  jest.setTimeout(30_000);

  it('sends a burst as each vehicle’s newest position plus every event, in id order, in one or two writes', async () => {
    const c = await signedIn();
    expect(c.status).toBe(200);
    await c.waitFor(() => c.retry !== undefined, 'the stream to open');
    // A first message opens a window: the burst published right after it waits for the next write.
    const [primer] = await publishLive(redis, org, [event(fleet[0].id)]);
    await c.waitFor((e) => ids(e).includes(primer), 'the first message');
    const messages = burst(50);
    const published = await publishLive(redis, org, messages);
    const expected = newestPerVehicleAndEvents(messages, published);
    expect(expected.length).toBeLessThan(published.length / 2);
    await c.waitFor((e) => ids(e).includes(published.at(-1)!), 'the end of the burst');
    await sleep(WINDOW_MS * 2);
    const got = c.events.slice(1);
    expect(ids(got)).toEqual(expected);
    // Each vehicle's position is its last one of the burst, whole.
    const lastOf = (v: string) => messages.filter((m) => m.type === 'position' && m.data.vehicleId === v).at(-1);
    for (const v of fleet) {
      const sent = got.filter((e) => e.event === 'position' && JSON.parse(e.data).vehicleId === v.id);
      expect(sent.map((e) => JSON.parse(e.data))).toEqual([lastOf(v.id)?.data]);
    }
    // Writes: the arrival times of the burst's events (one chunk per write, or two when split).
    expect(new Set(got.map((e) => e.at)).size).toBeLessThanOrEqual(2);
    // …no sooner than a window after the previous write.
    expect(got[0].at - c.events[0].at).toBeGreaterThanOrEqual(WINDOW_MS - 50);
  });

  it('writes at most once per window under a steady flow of positions', async () => {
    const c = await signedIn();
    await c.waitFor(() => c.retry !== undefined, 'the stream to open');
    const published: string[] = [];
    const until = Date.now() + 2_000;
    while (Date.now() < until) {
      published.push(...(await publishLive(redis, org, [position(fleet[1].id), position(fleet[2].id)])));
      await sleep(5);
    }
    await c.waitFor((e) => ids(e).includes(published.at(-1)!), 'the last position');
    const writes = [...new Set(c.events.map((e) => e.at))].sort((a, b) => a - b);
    // About 2 s / 300 ms writes, whatever the number of positions published.
    expect(published.length).toBeGreaterThan(40);
    expect(writes.length).toBeLessThanOrEqual(Math.ceil(2_000 / WINDOW_MS) + 2);
    for (let i = 1; i < writes.length; i++) expect(writes[i] - writes[i - 1]).toBeGreaterThanOrEqual(WINDOW_MS - 50);
    // Ids rise, each vehicle's last position arrived.
    const got = ids(c.events) as string[];
    expect([...got].sort((a, b) => cmp(a, b))).toEqual(got);
    expect(got.at(-1)).toBe(published.at(-1));
  });

  it('resumes from the last id received after coalescing: the replay is the whole log since then, uncoalesced', async () => {
    const first = await signedIn();
    await first.waitFor(() => first.retry !== undefined, 'the stream to open');
    const [primer] = await publishLive(redis, org, [event(fleet[0].id)]);
    await first.waitFor((e) => ids(e).includes(primer), 'the first message');
    const seen = await publishLive(redis, org, burst(10));
    await first.waitFor((e) => ids(e).includes(seen.at(-1)!), 'the coalesced burst');
    const lastReceived = ids(first.events).at(-1)!;
    expect(lastReceived).toBe(seen.at(-1));
    first.close();
    const missed = await publishLive(redis, org, burst(10));
    const resumed = await signedIn({ 'last-event-id': lastReceived });
    await resumed.waitFor((e) => ids(e).includes(missed.at(-1)!), 'the replay');
    await sleep(WINDOW_MS * 2);
    const log = (await redis.xrange(`livelog:${org}`, `(${lastReceived}`, '+')).map(([id]) => id);
    expect(log).toEqual(missed);
    expect(ids(resumed.events)).toEqual(missed);
    // Then live, coalesced again.
    const after = await publishLive(redis, org, burst(5));
    await resumed.waitFor((e) => ids(e).includes(after.at(-1)!), 'live after the replay');
  });

  it('coalesces a share link’s stream too: the vehicle’s newest position', async () => {
    const v = fleet[0].id;
    const res = await fetch(`${t.base}/api/v1/vehicles/${v}/share-links`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'coalesced' }),
    });
    expect(res.status).toBe(201);
    const link = ShareLinkCreated.parse(await res.json());
    const c = await live(`${t.base}/api/v1/shared/${link.token}/live`);
    expect(c.status).toBe(200);
    await c.waitFor(() => c.retry !== undefined, 'the stream to open');
    const [primer] = await publishLive(redis, org, [position(v)]);
    await c.waitFor((e) => ids(e).includes(primer), 'the first position');
    const messages = burst(20);
    const published = await publishLive(redis, org, messages);
    const lastOfV = published[messages.findLastIndex((m) => m.type === 'position' && m.data.vehicleId === v)];
    await c.waitFor((e) => ids(e).includes(lastOfV), 'the newest position');
    await sleep(WINDOW_MS * 2);
    expect(ids(c.events).slice(ids(c.events).indexOf(primer) + 1)).toEqual([lastOfV]);
  });
});

function cmp(a: string, b: string): number {
  const [am, as] = a.split('-').map(Number);
  const [bm, bs] = b.split('-').map(Number);
  return am - bm || as - bs;
}
