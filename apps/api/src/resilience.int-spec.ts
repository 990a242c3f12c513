import { startOwnPostgres, startOwnRedis, waitFor, type OwnServer } from '@fleet/runtime/testing';
import { ReadyResponse } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { startTestApi, type StartedApi } from './testing/harness';

async function probe(base: string, path: '/ready' | '/health') {
  const started = Date.now();
  const res = await fetch(`${base}${path}`);
  const body = path === '/ready' ? ReadyResponse.parse(await res.json()) : undefined;
  return { status: res.status, body, ms: Date.now() - started };
}

describe('readiness when a dependency goes away and comes back', () => {
  jest.setTimeout(60_000);

  it('reports redis down within 2 s, stays alive, and recovers without a restart', async () => {
    const redis: OwnServer = await startOwnRedis();
    const testDb: TestDatabase = await createTestDatabase('api-redis-down');
    let t: StartedApi | undefined;
    try {
      t = await startTestApi({ DATABASE_URL: testDb.url, REDIS_URL: redis.url });
      const base = t.base;
      await waitFor(async () => (await probe(base, '/ready')).status === 200, { timeoutMs: 5_000, what: 'ready' });
      await redis.stop();
      const down = await probe(base, '/ready');
      expect(down.status).toBe(503);
      expect(down.ms).toBeLessThan(2_000);
      expect(down.body?.checks['redis']?.ok).toBe(false);
      expect(down.body?.checks['postgres']?.ok).toBe(true);
      expect((await probe(base, '/health')).status).toBe(200);
      await redis.start();
      await waitFor(async () => (await probe(base, '/ready')).status === 200, {
        timeoutMs: 10_000,
        what: 'ready again',
      });
    } finally {
      await t?.api.stop();
      await redis.destroy();
      await testDb.drop();
    }
  });

  it('reports postgres down within 2 s, stays alive, and recovers without a restart', async () => {
    const pg: OwnServer = await startOwnPostgres();
    let t: StartedApi | undefined;
    try {
      t = await startTestApi({ DATABASE_URL: pg.url }, { keyPrefix: `test:api-pg-down:${process.pid}:` });
      const base = t.base;
      await waitFor(async () => (await probe(base, '/ready')).status === 200, { timeoutMs: 5_000, what: 'ready' });
      await pg.stop();
      const down = await probe(base, '/ready');
      expect(down.status).toBe(503);
      expect(down.ms).toBeLessThan(2_000);
      expect(down.body?.checks['postgres']?.ok).toBe(false);
      expect(down.body?.checks['redis']?.ok).toBe(true);
      expect((await probe(base, '/health')).status).toBe(200);
      await pg.start();
      await waitFor(async () => (await probe(base, '/ready')).status === 200, {
        timeoutMs: 10_000,
        what: 'ready again',
      });
    } finally {
      await t?.api.stop();
      await pg.destroy();
    }
  });
});
