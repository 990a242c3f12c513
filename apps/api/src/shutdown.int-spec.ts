import { ReadyResponse } from '@fleet/contracts';
import { createFleet, createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { DEFAULT_STREAMS } from '@fleet/queue-replay';
import { freePort, spawnSource, startOwnRedis, waitFor } from '@fleet/runtime/testing';
import IORedis from 'ioredis';
import { startTestApi } from './testing/harness';

describe('api process on SIGTERM', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;

  beforeAll(async () => {
    testDb = await createTestDatabase('api-shutdown');
  });
  afterAll(() => testDb.drop());

  it('refuses to start in production without a strong JWT_SECRET, naming the variable', async () => {
    const api = spawnSource('apps/api/src/main.ts', {
      APP_ENV: 'production',
      JWT_SECRET: 'short',
      OSMAND_PORT: 'off',
      DATABASE_URL: testDb.url,
    });
    expect(await api.exited).toBe(1);
    expect(api.output()).toContain('JWT_SECRET');
    expect(api.output()).not.toContain('short');
  });

  it('finishes 20 slow in-flight requests, refuses new ones, and exits 0', async () => {
    const port = await freePort();
    const { child, output, exited } = spawnSource('apps/api/src/main.ts', {
      APP_ENV: 'test',
      PORT: String(port),
      HOST: '127.0.0.1',
      DATABASE_URL: testDb.url,
      LOG_FORMAT: 'json',
      SHUTDOWN_GRACE_MS: '10000',
      OSMAND_PORT: 'off',
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(async () => (await fetch(`${base}/ready`)).status === 200, { timeoutMs: 20_000, what: 'api ready' });

    const slow = Array.from({ length: 20 }, () =>
      fetch(`${base}/api/v1/_debug/sleep/1500`).then(async (r) => ({ status: r.status, body: await r.json() })),
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    child.kill('SIGTERM');
    await new Promise((resolve) => setTimeout(resolve, 200));

    // Draining: readiness is 503 at once and new work is turned away.
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(ReadyResponse.parse(await ready.json()).status).toBe('draining');
    const late = await fetch(`${base}/api/v1/_debug/sleep/1`);
    expect(late.status).toBe(503);
    expect(late.headers.get('retry-after')).toBe('1');

    const results = await Promise.all(slow);
    expect(results.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(await exited).toBe(0);
    // Once drained, the listener is gone.
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    const lines = output()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.some((l) => JSON.parse(l).msg === 'api stopped')).toBe(true);
  });

  it('publishes every batch it answered before it closes Redis, even with publishes queued behind others', async () => {
    const [vehicle] = await createFleet(testDb.url, { count: 1, slug: 'drain-publish' });
    const redisServer = await startOwnRedis();
    const admin = new IORedis(redisServer.url);
    const device = {
      vehicleId: vehicle.id,
      organizationId: vehicle.organizationId,
      identifier: vehicle.identifier,
      name: 'Vehicle 0',
      disabled: false,
      tokenRequired: false,
    };
    const batchIds: string[] = [];
    try {
      for (let i = 0; i < 3; i++) {
        const t = await startTestApi({ DATABASE_URL: testDb.url, REDIS_URL: redisServer.url });
        // The API starts without waiting for Redis (it accepts positions while Redis is away, the
        // replayer publishes them): on a loaded machine the first request can beat the connection.
        await waitFor(async () => t.api.redis.status === 'ready', { timeoutMs: 10_000, what: 'api redis ready' });
        // Under load, a publish waits for the previous pipeline of commands to be answered: here one
        // command is held by a paused Redis while the request is accepted and the drain begins.
        await admin.client('PAUSE', 300, 'WRITE');
        void t.api.redis.set('busy', String(i)).catch(() => undefined);
        const accepted = await t.api.deps.pipeline.ingest('test', [
          { device, fix: { ts: new Date(Date.now() - 60_000 + i * 1000), lat: 40, lon: -3 }, path: 'positions.0' },
        ]);
        batchIds.push(accepted.batchId);
        await t.api.stop();
      }
      const entries = (await admin.xrange(DEFAULT_STREAMS.stream, '-', '+')) as Array<[string, string[]]>;
      const published = entries.map(([, fields]) => fields[fields.indexOf('sid') + 1]);
      expect(published).toEqual(batchIds);
    } finally {
      admin.disconnect();
      await redisServer.destroy();
    }
  });
});
