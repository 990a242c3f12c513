import cluster from 'node:cluster';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startCluster, type ClusterHandle } from './cluster';
import { waitFor } from './testing';

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

  it('answers its metrics at once while a worker is starting (the ready ones summed), and sums that one once ready', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cluster-spec-'));
    const hold = path.join(dir, 'hold');
    try {
      handle = await startCluster({
        service: 'fixture',
        roles: [{ name: 'listener', count: 2 }],
        env: { FIXTURE_HOLD_FILE: hold },
        execArgv: ['--import', 'tsx'],
        logger: silent,
        drainTimeoutMs: 10_000,
      });
      const pids = () => Object.values(cluster.workers ?? {}).map((w) => w?.process.pid);
      const before = pids();
      expect(before).toHaveLength(2);
      // One dies; its replacement is forked and stays as one still loading its code.
      writeFileSync(hold, '');
      process.kill(before[0] as number, 'SIGKILL');
      await waitFor(() => pids().length === 2 && !pids().includes(before[0]), {
        timeoutMs: 15_000,
        what: 'the replacement worker',
      });
      // Before: every scrape waited 5 s for the starting worker and failed (the API's /metrics: 503).
      const { text } = await handle.metrics();
      expect(text).toMatch(/^fixture_up 1$/m);
      expect(text).toMatch(/^fixture_workers\{role="listener",service="fixture"\} 2$/m);
      expect(text).toMatch(/^fixture_worker_restarts_total\{role="listener",service="fixture"\} 1$/m);

      rmSync(hold);
      await waitFor(async () => /^fixture_up 2$/m.test((await handle!.metrics()).text), {
        timeoutMs: 20_000,
        what: "the replacement's metrics in the sum",
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
