import cluster from 'node:cluster';
import path from 'node:path';
import { startCluster, type ClusterHandle } from './cluster';

const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

describe('startCluster (real forked workers)', () => {
  jest.setTimeout(60_000);
  let handle: ClusterHandle | undefined;

  beforeAll(() => {
    // The workers run the fixture entry (through tsx) instead of this test runner.
    cluster.setupPrimary({ exec: path.join(__dirname, 'testing', 'cluster-worker.ts') });
  });

  afterEach(async () => {
    await handle?.stop();
    handle = undefined;
  });

  it("gives the workers its node arguments, names its own series with the prefix, and sums the workers' metrics", async () => {
    handle = await startCluster({
      service: 'fixture',
      metricsPrefix: 'fixture_pool',
      roles: [{ name: 'listener', count: 2 }],
      execArgv: ['--import', 'tsx', '--max-old-space-size=300'],
      logger: silent,
      drainTimeoutMs: 10_000,
    });
    const ready = handle.ready['listener'] as { role: string; heapLimitMb: number };
    expect(ready.role).toBe('listener');
    // 300 MB of old space plus the young generation: far below V8's default on any machine.
    expect(ready.heapLimitMb).toBeGreaterThanOrEqual(300);
    expect(ready.heapLimitMb).toBeLessThan(400);
    expect(handle.alive()).toEqual({ listener: 2 });
    const { text } = await handle.metrics();
    expect(text).toMatch(/^fixture_up 2$/m);
    expect(text).toMatch(/^fixture_pool_workers\{role="listener",service="fixture"\} 2$/m);
    expect(text).toMatch(/^fixture_pool_worker_restarts_total\{role="listener",service="fixture"\} 0$/m);
  });

  it('names its own series after the service without a prefix', async () => {
    handle = await startCluster({
      service: 'fixture',
      roles: [{ name: 'one', count: 1 }],
      execArgv: ['--import', 'tsx'],
      logger: silent,
      drainTimeoutMs: 10_000,
    });
    const { text } = await handle.metrics();
    expect(text).toMatch(/^fixture_workers\{role="one",service="fixture"\} 1$/m);
    await handle.stop();
    expect(handle.alive()).toEqual({ one: 0 });
  });
});
