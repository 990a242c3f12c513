import { randomUUID } from 'node:crypto';
import type { LiveMessage } from '@fleet/contracts';
import IORedis, { type Redis } from 'ioredis';
import { liveChannel, publishLive } from './live';
import { LiveSubscriber, type LiveEnvelope } from './subscriber';

const URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `test:live-sub:${process.pid}:`;
let redis: Redis;

const position = (vehicleId: string, n: number): LiveMessage => ({
  type: 'position',
  data: {
    vehicleId,
    ts: new Date(Date.UTC(2026, 0, 1, 0, 0, n)).toISOString(),
    lat: 40 + n / 1000,
    lon: -3.7,
    speedKmh: 10,
    heading: null,
    altitude: null,
    accuracy: null,
    battery: null,
    attributes: null,
  },
});

/** Collects what a listener receives; `until(n)` waits for the n-th message. */
function collector() {
  const got: LiveEnvelope[] = [];
  const listener = (e: LiveEnvelope) => got.push(e);
  const until = async (n: number, timeoutMs = 5_000) => {
    const deadline = Date.now() + timeoutMs;
    while (got.length < n) {
      if (Date.now() > deadline) throw new Error(`got ${got.length} of ${n} messages`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  return { got, listener, until };
}

const numSub = async (channel: string) => Number(((await redis.pubsub('NUMSUB', channel)) as [string, number])[1]);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(() => {
  redis = new IORedis(URL, { keyPrefix: prefix });
});
afterAll(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
  await redis.quit();
});

describe('LiveSubscriber', () => {
  jest.setTimeout(20_000);

  it('delivers each organization its own messages, with their log ids, to every listener of it', async () => {
    const live = new LiveSubscriber({ redis });
    const [orgA, orgB] = [randomUUID(), randomUUID()];
    const a1 = collector();
    const a2 = collector();
    const b = collector();
    await live.subscribe(orgA, a1.listener);
    await live.subscribe(orgA, a2.listener);
    await live.subscribe(orgB, b.listener);
    const vehicle = randomUUID();
    const ids = await publishLive(redis, orgA, [position(vehicle, 1), position(vehicle, 2)]);
    await a1.until(2);
    await a2.until(2);
    expect(a1.got.map((e) => e.id)).toEqual(ids);
    expect(a2.got).toEqual(a1.got);
    expect(a1.got[1].message).toEqual(position(vehicle, 2));
    await sleep(100);
    expect(b.got).toEqual([]);
    await live.close();
  });

  it('subscribes an organization’s channel once, while anyone listens, and unsubscribes after the last', async () => {
    const live = new LiveSubscriber({ redis });
    const org = randomUUID();
    const channel = liveChannel(redis, org);
    expect(channel.startsWith(prefix)).toBe(true);
    const first = collector();
    const second = collector();
    const offFirst = await live.subscribe(org, first.listener);
    const offSecond = await live.subscribe(org, second.listener);
    expect(await numSub(channel)).toBe(1);
    expect(live.stats()).toEqual({ organizations: 1, listeners: 2 });
    await offFirst();
    await offFirst(); // twice is harmless
    expect(await numSub(channel)).toBe(1);
    await publishLive(redis, org, [position(randomUUID(), 1)]);
    await second.until(1);
    expect(first.got).toEqual([]);
    await offSecond();
    expect(await numSub(channel)).toBe(0);
    expect(live.stats()).toEqual({ organizations: 0, listeners: 0 });
    // And back: a new listener subscribes again.
    const third = collector();
    await live.subscribe(org, third.listener);
    expect(await numSub(channel)).toBe(1);
    await publishLive(redis, org, [position(randomUUID(), 2)]);
    await third.until(1);
    await live.close();
    expect(await numSub(channel)).toBe(0);
  });

  it('survives a listener that throws', async () => {
    const errors: string[] = [];
    const live = new LiveSubscriber({ redis, onError: (_err, context) => errors.push(context) });
    const org = randomUUID();
    const good = collector();
    await live.subscribe(org, () => {
      throw new Error('boom');
    });
    await live.subscribe(org, good.listener);
    await publishLive(redis, org, [position(randomUUID(), 1)]);
    await good.until(1);
    expect(errors).toContain('live listener');
    await live.close();
  });

  describe('after its connection drops', () => {
    // Its own subscriber connection, slow to come back, so messages can be published while it is away.
    const subscriberConnection = async () => {
      const sub = new IORedis(URL, { keyPrefix: prefix, retryStrategy: () => 400, connectionName: 'live-sub-test' });
      const id = Number(await sub.client('ID'));
      return { sub, id };
    };
    const kill = async (id: number) => {
      expect(await redis.client('KILL', 'ID', String(id))).toBe(1);
    };

    it('catches up from the live log: every message once, in order, none lost', async () => {
      const { sub, id } = await subscriberConnection();
      const live = new LiveSubscriber({ redis, subscriber: sub });
      const org = randomUUID();
      const vehicle = randomUUID();
      const c = collector();
      await live.subscribe(org, c.listener);
      const before = await publishLive(
        redis,
        org,
        [1, 2, 3].map((n) => position(vehicle, n)),
      );
      await c.until(3);
      await kill(id);
      // Away now: these reach nobody over pub/sub, only the log.
      const during = await publishLive(
        redis,
        org,
        [4, 5, 6, 7, 8].map((n) => position(vehicle, n)),
      );
      await sleep(50);
      expect(c.got).toHaveLength(3);
      await new Promise<void>((resolve) => sub.once('ready', () => resolve()));
      await c.until(8);
      const after = await publishLive(
        redis,
        org,
        [9, 10].map((n) => position(vehicle, n)),
      );
      await c.until(10);
      await sleep(100);
      expect(c.got.map((e) => e.id)).toEqual([...before, ...during, ...after]);
      await live.close();
    });

    it('catches up even when nothing had been received before the drop', async () => {
      const { sub, id } = await subscriberConnection();
      const org = randomUUID();
      const vehicle = randomUUID();
      // Older history is not replayed: only what was published after the subscription.
      await publishLive(redis, org, [position(vehicle, 0)]);
      const live = new LiveSubscriber({ redis, subscriber: sub });
      const c = collector();
      await live.subscribe(org, c.listener);
      await kill(id);
      const during = await publishLive(
        redis,
        org,
        [1, 2].map((n) => position(vehicle, n)),
      );
      await c.until(2);
      await sleep(100);
      expect(c.got.map((e) => e.id)).toEqual(during);
      await live.close();
    });
  });
});
