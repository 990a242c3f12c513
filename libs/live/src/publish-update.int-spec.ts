import type { LiveMessage, LivePosition } from '@fleet/contracts';
import IORedis from 'ioredis';
import { latestKey, liveChannel, liveLogKey, parsePublished, publishUpdate, readLiveLog } from './live';

const prefix = `test:live-update:${process.pid}:`;
const ORG = '00000000-0000-4000-8000-0000000000bb';
const V1 = '00000000-0000-4000-8000-000000000001';
const V2 = '00000000-0000-4000-8000-000000000002';
const pos = (vehicleId: string, ts: string, lat: number): LivePosition => ({
  vehicleId,
  ts,
  lat,
  lon: -3,
  speedKmh: 10,
  heading: null,
  altitude: null,
  accuracy: null,
  battery: null,
  attributes: { note: 'a|b' },
});
const event = (vehicleId: string): LiveMessage => ({
  type: 'event',
  data: {
    id: '00000000-0000-4000-8000-0000000000e1',
    vehicleId,
    type: 'geofence_enter',
    ts: '2026-11-28T09:00:00.000Z',
    geofenceId: null,
    lat: 40,
    lon: -3,
    attributes: {},
  },
});

describe('publishUpdate: the live feed and the hot cache never move a vehicle back', () => {
  const redis = new IORedis('redis://127.0.0.1:6379', { keyPrefix: prefix });
  const sub = new IORedis('redis://127.0.0.1:6379');
  const heard: LiveMessage[] = [];
  beforeAll(async () => {
    await sub.subscribe(liveChannel(redis, ORG));
    sub.on('message', (_channel: string, raw: string) => heard.push(parsePublished(raw).message));
  });
  afterAll(async () => {
    await redis.del(latestKey(ORG), liveLogKey(ORG));
    redis.disconnect();
    sub.disconnect();
  });

  it('caches and publishes a fix only when newer than the cached one, and publishes the other messages whatever', async () => {
    const first = await publishUpdate(redis, ORG, {
      positions: [pos(V1, '2026-11-28T10:00:00.000Z', 41), pos(V2, '2026-11-28T10:00:00.000Z', 42)],
      messages: [],
    });
    expect(first).toHaveLength(2);
    // A late fix of V1 (older than cached), a newer one of V2, an event.
    const second = await publishUpdate(redis, ORG, {
      positions: [pos(V1, '2026-11-28T09:59:00.000Z', 1), pos(V2, '2026-11-28T10:01:00.000Z', 43)],
      messages: [event(V1)],
    });
    expect(second).toHaveLength(2);
    const logged = (await readLiveLog(redis, ORG, '0-0')).map((e) => e.message);
    const positions = logged.flatMap((m) => (m.type === 'position' ? [[m.data.vehicleId, m.data.lat]] : []));
    expect(positions).toEqual([
      [V1, 41],
      [V2, 42],
      [V2, 43],
    ]);
    expect(logged.filter((m) => m.type === 'event')).toHaveLength(1);
    expect(logged.find((m) => m.type === 'position')).toEqual({
      type: 'position',
      data: pos(V1, '2026-11-28T10:00:00.000Z', 41),
    });
    const cached = await redis.hgetall(latestKey(ORG));
    expect(JSON.parse(cached[V1]!.slice(cached[V1]!.indexOf('|') + 1)).lat).toBe(41);
    expect(JSON.parse(cached[V2]!.slice(cached[V2]!.indexOf('|') + 1)).lat).toBe(43);
    // What subscribers heard is what was logged.
    const deadline = Date.now() + 2_000;
    while (heard.length < 4 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(heard).toEqual(logged);
  });

  it('handles fixes before 1970', async () => {
    await publishUpdate(redis, ORG, { positions: [pos(V1, '1969-12-31T23:00:00.000Z', 5)], messages: [] });
    const cached = await redis.hget(latestKey(ORG), V1);
    expect(cached).toContain('"lat":41');
  });
});
