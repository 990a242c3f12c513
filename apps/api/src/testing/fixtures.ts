import type { ChildProcess } from 'node:child_process';
import { freePort, spawnSource, waitFor } from '@fleet/runtime/testing';
import pg from 'pg';

export { createFleet, type TestVehicle } from '@fleet/db/testing';

export interface WorkerProcess {
  port: number;
  child: ChildProcess;
  output(): string;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: the worker dies mid-work, as in a crash. */
  kill(): Promise<void>;
}

/** The real worker, as a process of its own (so it can be killed). */
export async function startWorkerProcess(env: Record<string, string>): Promise<WorkerProcess> {
  const port = await freePort();
  const { child, output, exited } = spawnSource('apps/worker/src/main.ts', {
    APP_ENV: 'test',
    METRICS_PORT: String(port),
    HOST: '127.0.0.1',
    LOG_FORMAT: 'json',
    ...env,
  });
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`worker exited early:\n${output()}`);
      return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
    },
    { timeoutMs: 30_000, what: 'worker ready' },
  );
  return {
    port,
    child,
    output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

export async function countPositions(url: string, vehicleIds?: string[]): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = vehicleIds
      ? await client.query<{ n: string }>('SELECT count(*) AS n FROM positions WHERE vehicle_id = ANY($1::uuid[])', [
          vehicleIds,
        ])
      : await client.query<{ n: string }>('SELECT count(*) AS n FROM positions');
    return Number(res.rows[0].n);
  } finally {
    await client.end();
  }
}
