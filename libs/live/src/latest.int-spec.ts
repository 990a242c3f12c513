import type { LivePosition } from '@fleet/contracts';
import IORedis from 'ioredis';
import { latestKey, readLatest, replaceLatest, updateLatest, WARM_FIELD } from './live';

const prefix = `test:live-latest:${process.pid}:`;
const ORG = '00000000-0000-4000-8000-0000000000aa';
const V1 = '00000000-0000-4000-8000-000000000001';
const V2 = '00000000-0000-4000-8000-000000000002';
const pos = (vehicleId: string, ts: string, lat = 40): LivePosition => ({
  vehicleId,
  ts,
  lat,
  lon: -3,
  speedKmh: 10,
  heading: null,
  altitude: null,
  accuracy: null,
  battery: null,
  attributes: null,
});

describe('latest-position hot cache', () => {
  const redis = new IORedis('redis://127.0.0.1:6379', { keyPrefix: prefix });
  afterAll(async () => {
    await redis.del(latestKey(ORG));
    redis.disconnect();
  });

  it('is not warm until rebuilt, then reads every vehicle', async () => {
    await updateLatest(redis, ORG, [pos(V1, '2026-11-28T10:00:00.000Z')]);
    expect(await readLatest(redis, ORG)).toBeNull();
    await replaceLatest(redis, ORG, [pos(V1, '2026-11-28T09:00:00.000Z'), pos(V2, '2026-11-28T09:00:00.000Z')]);
    const all = await readLatest(redis, ORG);
    // V1's newer fix, written by the worker before the rebuild, survives it.
    expect(all?.map((p) => `${p.vehicleId}@${p.ts}`).sort()).toEqual([
      `${V1}@2026-11-28T10:00:00.000Z`,
      `${V2}@2026-11-28T09:00:00.000Z`,
    ]);
    expect(await redis.hexists(latestKey(ORG), WARM_FIELD)).toBe(1);
  });

  it('only ever moves a vehicle forward in time', async () => {
    expect(await updateLatest(redis, ORG, [pos(V2, '2026-11-28T08:00:00.000Z', 50)])).toBe(0);
    expect(await updateLatest(redis, ORG, [pos(V2, '2026-11-28T11:00:00.000Z', 51)])).toBe(1);
    const v2 = (await readLatest(redis, ORG))?.find((p) => p.vehicleId === V2);
    expect(v2).toMatchObject({ lat: 51, ts: '2026-11-28T11:00:00.000Z' });
  });

  it('does not carry a deleted vehicle over a rebuild', async () => {
    await replaceLatest(redis, ORG, [pos(V1, '2026-11-28T12:00:00.000Z')], new Set([V1]));
    expect((await readLatest(redis, ORG))?.map((p) => p.vehicleId)).toEqual([V1]);
  });
});
