import { PassThrough } from 'node:stream';
import { createLogger } from '@fleet/logging-json';
import { createRedis, type Redis } from '@fleet/runtime';
import { Presence, PRESENCE_TTL_S, presenceKey } from './presence';

const quiet = createLogger({ service: 'trackers', format: 'json', level: 'error', stream: new PassThrough() });
const prefix = `test:trackers-presence:${process.pid}:`;

describe('presence of connected devices', () => {
  let redis: Redis;
  let presence: Presence;

  beforeAll(() => {
    redis = createRedis({ url: 'redis://127.0.0.1:6379', keyPrefix: prefix });
    presence = new Presence(redis, quiet);
  });
  afterAll(async () => {
    await presence.stop();
    const keys = await redis.keys('*');
    if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
    redis.disconnect();
  });

  it('names this process while a vehicle is connected, with a TTL the refresh renews, and forgets it after the last connection', async () => {
    const key = presenceKey('v-1');
    presence.connected('v-1');
    presence.connected('v-1'); // a reconnect overlapping the old socket
    await redis.ping();
    expect(await redis.get(key)).toBe(presence.owner);
    expect(await redis.ttl(key)).toBeGreaterThan(PRESENCE_TTL_S - 5);
    await redis.expire(key, 10);
    await presence.refresh();
    expect(await redis.ttl(key)).toBeGreaterThan(PRESENCE_TTL_S - 5);
    await presence.disconnected('v-1');
    expect(await redis.get(key)).toBe(presence.owner); // one connection left
    await presence.disconnected('v-1');
    expect(await redis.get(key)).toBeNull();
  });

  it('leaves the key alone once another process holds the device', async () => {
    const key = presenceKey('v-2');
    presence.connected('v-2');
    await redis.ping();
    await redis.set(key, 'other-host:42', 'EX', 90);
    await presence.refresh();
    expect(await redis.get(key)).toBe('other-host:42');
    await presence.disconnected('v-2');
    expect(await redis.get(key)).toBe('other-host:42');
  });
});
