import type { ChildProcess } from 'node:child_process';
import { generateDeviceToken, hashDeviceToken } from '@fleet/auth';
import { freePort, spawnSource, waitFor } from '@fleet/runtime/testing';
import pg from 'pg';

export interface TestVehicle {
  id: string;
  organizationId: string;
  identifier: string;
  token: string;
}

/** An organization with `count` vehicles, each with a device identifier and token. */
export async function createFleet(url: string, options: { count: number; slug: string }): Promise<TestVehicle[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const org = await client.query<{ id: string }>(
      'INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id',
      [options.slug],
    );
    const organizationId = org.rows[0].id;
    const vehicles: TestVehicle[] = [];
    for (let i = 0; i < options.count; i++) {
      const token = generateDeviceToken();
      const identifier = `${options.slug}-${i}`;
      const res = await client.query<{ id: string }>(
        'INSERT INTO vehicles (organization_id, name, device_identifier, device_token_hash) VALUES ($1, $2, $3, $4) RETURNING id',
        [organizationId, `Vehicle ${i}`, identifier, hashDeviceToken(token)],
      );
      vehicles.push({ id: res.rows[0].id, organizationId, identifier, token });
    }
    return vehicles;
  } finally {
    await client.end();
  }
}

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
