// What the simulator suites share: the services they start as processes, the trackers they register
// and the gateway's listening ports.
import { freePort, spawnSource, waitFor, type SourceProcess } from '@fleet/runtime/testing';
import pg from 'pg';
import { imeiOf, type SimProtocol } from './sim';

export const PROTOCOLS: SimProtocol[] = ['teltonika', 'gt06', 'h02'];

export interface Service {
  process: SourceProcess;
  port: number;
  /** SIGTERM (a drain), then waits for the exit. */
  stop(): Promise<void>;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
}

/**
 * Starts a service entry point (`apps/…/src/main.ts`) as its own process with its HTTP port in
 * `portVar`, and waits until its /ready answers 200.
 */
export async function startService(file: string, env: Record<string, string>, portVar: string): Promise<Service> {
  const port = await freePort();
  const process = spawnSource(file, {
    APP_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_FORMAT: 'json',
    [portVar]: String(port),
    ...env,
  });
  await waitFor(
    async () => {
      if (process.child.exitCode !== null) throw new Error(`${file} exited early:\n${process.output()}`);
      return (await fetch(`http://127.0.0.1:${port}/ready`).catch(() => undefined))?.status === 200;
    },
    { timeoutMs: 60_000, what: `${file} ready` },
  );
  const signal = async (s: NodeJS.Signals) => {
    if (process.child.exitCode !== null || process.child.signalCode !== null) return;
    process.child.kill(s);
    await process.exited;
  };
  return { process, port, stop: () => signal('SIGTERM'), kill: () => signal('SIGKILL') };
}

/**
 * An organization named `slug` with `count` trackers (device identifier = IMEI, from `imeiPrefix`),
 * optionally with a speed limit. Answers the organization and the IMEIs in order.
 */
export async function createTrackers(
  url: string,
  options: { slug: string; count: number; imeiPrefix: string; speedLimitKmh?: number },
): Promise<{ organizationId: string; imeis: string[] }> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const org = await client.query<{ id: string }>(
      'INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id',
      [options.slug],
    );
    const imeis = Array.from({ length: options.count }, (_, i) => imeiOf(options.imeiPrefix, i + 1));
    await client.query(
      `INSERT INTO vehicles (organization_id, name, device_identifier, speed_limit_kmh)
       SELECT $1, imei, imei, $3 FROM unnest($2::text[]) AS imei`,
      [org.rows[0].id, imeis, options.speedLimitKmh ?? null],
    );
    return { organizationId: org.rows[0].id, imeis };
  } finally {
    await client.end();
  }
}

/** A free port per protocol, and the gateway's environment that listens on them. */
export async function listenerPorts(): Promise<{ ports: Record<SimProtocol, number>; env: Record<string, string> }> {
  const ports = {} as Record<SimProtocol, number>;
  for (const p of PROTOCOLS) ports[p] = await freePort();
  return {
    ports,
    env: { TELTONIKA_PORT: String(ports.teltonika), GT06_PORT: String(ports.gt06), H02_PORT: String(ports.h02) },
  };
}
