/**
 * `nx run tools:bench-live` — live latency, end to end: with N Server-Sent Events clients connected
 * to GET /api/v1/live, positions are ingested at a fixed rate (one position a POST /api/v1/positions,
 * open loop), and for each position the time from its 202 to its arrival on the SSE stream is
 * measured at several of the clients (spread over the connection order, the last one included).
 * Every client receives every position of the organization (no vehicle filter): the worst case.
 *
 * It creates a fresh database (fleet_bench_live), starts the real API and worker as processes with
 * their default settings, prints p50/p95/p99 and exits non-zero when p99 ≥ the target (250 ms), when
 * a position never arrived, or when the ingest rate was not reached.
 *
 * Options: --clients=N (200), --rate=N positions/s (1000), --seconds=N (20), --vehicles=N (1000),
 *          --measuring=N clients that parse and time every message (8), --target-p99=ms (250),
 *          --drain=N seconds to wait for positions still on their way after the load (10)
 * BENCH_WORKER_X=v passes X=v to the worker, BENCH_CPU_PROFILE=dir profiles both (as bench-ingest);
 * API_WORKERS (default: the core count) and LIVE_COALESCE_MS (200) reach the API as they are. A
 * position coalesced away (a newer one of its vehicle sent in the same write) counts as arrived with
 * that newer one.
 *
 * The queries benchmark reuses the parts: `createLiveFleet` (an organization of its own in any
 * database), `measureLiveLatency` (against an API and worker already running) and
 * `formatLiveLatency`/`liveLatencyFailures`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
// The one SSE parser (the apps' own): the benchmark reads the stream as the map does.
import { EventStreamParser } from '@fleet/api-client';
import { generateDeviceToken, hashDeviceToken, hashPassword } from '@fleet/auth';
import { LIVE_EVENT } from '@fleet/contracts';
import { dropDatabase, ensureDatabase, runMigrations } from '@fleet/db';
import pg from 'pg';
import { freePort } from '@fleet/runtime/testing';
import { bucketQuantiles, endToEndBuckets, fmt, percentile, workerEnv } from './stats';

export interface LiveLatencyOptions {
  /** SSE clients connected (all of the organization, unfiltered). */
  clients: number;
  /** Positions per second, one per request. */
  rate: number;
  /** Measured load time, after the warm-up. */
  seconds: number;
  /** Load before measuring starts (JIT, pools, connections). */
  warmupSeconds: number;
  /** Clients that parse and time every message; the others only read their bytes. */
  measuring: number;
  /** How long to wait, after the load, for positions still on their way. */
  drainSeconds: number;
  targetP99Ms: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveLatencyOptions = {
  clients: 200,
  rate: 1_000,
  seconds: 20,
  warmupSeconds: 2,
  measuring: 8,
  drainSeconds: 10,
  targetP99Ms: 250,
};

export interface LiveFleet {
  organizationId: string;
  email: string;
  password: string;
  vehicles: Array<{ id: string; token: string }>;
}

export interface LiveLatencyResult {
  options: LiveLatencyOptions;
  vehicles: number;
  /** Positions answered 202 during the measured window. */
  accepted: number;
  /** Requests not answered 202 (or failed) during the whole run. */
  failed: number;
  achievedRate: number;
  /** Per (measured position × measuring client), 202 → SSE arrival, ms, sorted. */
  latenciesMs: number[];
  /** Measured positions that never reached some measuring client within the drain time. */
  missing: number;
  /** Ingest request latency (send → 202), ms, sorted. */
  ingestMs: number[];
  /** Bytes received by the least- and most-served client (every client should get the same). */
  bytesPerClient: { min: number; max: number };
  /**
   * The worker's share, from its ingest_end_to_end_seconds histogram (staging insert → committed,
   * published and acknowledged), over the whole run; when the worker's metrics URL was given.
   */
  worker?: { p50: number; p99: number; batches: number };
}

/** An organization with a user (for the SSE clients) and `vehicles` vehicles with device tokens. */
export async function createLiveFleet(
  databaseUrl: string,
  options: { vehicles: number; slug?: string },
): Promise<LiveFleet> {
  const slug = options.slug ?? `bench-live-${Date.now()}`;
  const email = `viewer@${slug}.example`;
  const password = 'bench-live-password';
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const org = await client.query<{ id: string }>(
      'INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id',
      [slug],
    );
    const organizationId = org.rows[0].id;
    await client.query(
      "INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, 'viewer', $3)",
      [organizationId, email, await hashPassword(password)],
    );
    const tokens = Array.from({ length: options.vehicles }, () => generateDeviceToken());
    const res = await client.query<{ id: string; n: number }>(
      `INSERT INTO vehicles (organization_id, name, device_identifier, device_token_hash)
       SELECT $1, 'Live ' || n, $2 || '-' || n, h FROM unnest($3::text[]) WITH ORDINALITY AS t(h, n)
       RETURNING id, (substring(device_identifier from '[0-9]+$'))::int AS n`,
      [organizationId, slug, tokens.map(hashDeviceToken)],
    );
    const vehicles = res.rows.sort((a, b) => a.n - b.n).map((r) => ({ id: r.id, token: tokens[r.n - 1] }));
    return { organizationId, email, password, vehicles };
  } finally {
    await client.end();
  }
}

/** One SSE connection. Measuring clients parse each event; the others only count their bytes. */
function connectClient(
  base: URL,
  accessToken: string,
  onPosition: ((key: string, at: number) => void) | undefined,
): Promise<{ bytes: () => number; close: () => void }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const parser = onPosition && new EventStreamParser();
    const req = http.get(
      {
        host: base.hostname,
        port: base.port,
        path: '/api/v1/live',
        headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream' },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`SSE connection answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let opened = false;
        res.on('data', (chunk: string) => {
          bytes += chunk.length;
          if (!opened && chunk.includes('retry:')) {
            // The hint is written once the API has subscribed: from now on nothing is missed.
            opened = true;
            resolve({ bytes: () => bytes, close: () => req.destroy() });
          }
          if (!parser || !onPosition) return;
          const at = performance.now();
          for (const e of parser.feed(chunk)) {
            if (e.event !== LIVE_EVENT.position) continue;
            const p = JSON.parse(e.data) as { vehicleId: string; ts: string };
            onPosition(`${p.vehicleId}|${Date.parse(p.ts)}`, at);
          }
        });
      },
    );
    req.on('error', reject);
  });
}

async function signIn(base: URL, email: string, password: string): Promise<string> {
  const res = await fetch(new URL('/api/v1/auth/login', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/**
 * Runs the measurement against an API (and a worker publishing live) already running, with a fleet
 * from `createLiveFleet` in its database.
 */
export async function measureLiveLatency(
  apiUrl: string,
  fleet: LiveFleet,
  partial: Partial<LiveLatencyOptions> = {},
  extra: { workerMetricsUrl?: string } = {},
): Promise<LiveLatencyResult> {
  const options = { ...DEFAULT_LIVE_OPTIONS, ...partial };
  const base = new URL(apiUrl);
  const accessToken = await signIn(base, fleet.email, fleet.password);

  // Arrivals per measuring client: key → ms (performance.now()).
  const measuringEvery = Math.max(1, Math.floor(options.clients / Math.max(1, options.measuring)));
  const arrivals: Array<Map<string, number>> = [];
  // Per measuring client, each vehicle's arrivals in order ([fix ts, at]): a position superseded within a
  // stream's coalescing window (LIVE_COALESCE_MS) is never sent, the vehicle's newer one stands for it.
  const byVehicle: Array<Map<string, Array<[number, number]>>> = [];
  const clients: Array<{ bytes: () => number; close: () => void }> = [];
  for (let i = 0; i < options.clients; i++) {
    // Spread over the connection order, the last connected included (served last in each batch).
    const measures = (options.clients - 1 - i) % measuringEvery === 0 && arrivals.length < options.measuring;
    const seen = measures ? new Map<string, number>() : undefined;
    const vehicles = new Map<string, Array<[number, number]>>();
    if (seen) {
      arrivals.push(seen);
      byVehicle.push(vehicles);
    }
    const record = (key: string, at: number) => {
      seen?.set(key, at);
      const [vehicle, ts] = key.split('|');
      const list = vehicles.get(vehicle);
      if (list) list.push([Number(ts), at]);
      else vehicles.set(vehicle, [[Number(ts), at]]);
    };
    clients.push(await connectClient(base, accessToken, seen && record));
  }

  const workerBefore = extra.workerMetricsUrl ? await endToEndBuckets(extra.workerMetricsUrl) : undefined;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 128 });
  const acks = new Map<string, number>();
  const ingestMs: number[] = [];
  let failed = 0;
  let accepted = 0;
  const post = (vehicle: { id: string; token: string }, ts: number, measured: boolean) => {
    const body = `{"ts":${ts},"lat":${40.3 + (ts % 100_000) / 1e6},"lon":-3.7,"speed":42,"heading":90}`;
    const sent = performance.now();
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        path: '/api/v1/positions',
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          authorization: `Bearer ${vehicle.token}`,
        },
      },
      (res) => {
        res.resume();
        const at = performance.now();
        if (res.statusCode !== 202) {
          failed++;
          return;
        }
        if (!measured) return;
        accepted++;
        ingestMs.push(at - sent);
        acks.set(`${vehicle.id}|${ts}`, at);
      },
    );
    req.on('error', () => failed++);
    req.end(body);
  };

  // Open loop: requests leave on schedule whatever the answers, so a slow server cannot slow the
  // load down and hide its own latency. Each vehicle's fixes are a millisecond-exact, rising series.
  const lastTs = new Map<string, number>();
  const started = performance.now();
  const warmupEnd = started + options.warmupSeconds * 1000;
  const end = warmupEnd + options.seconds * 1000;
  let sent = 0;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.floor(((now - started) / 1000) * options.rate);
      while (sent < due) {
        const vehicle = fleet.vehicles[next++ % fleet.vehicles.length];
        const ts = Math.max(Date.now() - 1_000, (lastTs.get(vehicle.id) ?? 0) + 1);
        lastTs.set(vehicle.id, ts);
        post(vehicle, ts, now >= warmupEnd);
        sent++;
      }
      if (now >= end) resolve();
      else setTimeout(tick, 1);
    };
    tick();
  });
  const measuredSeconds = options.seconds;

  // Let the last positions arrive, then count what never did.
  const drainUntil = performance.now() + options.drainSeconds * 1000;
  /** When client `i` had position `key` (or a newer one of its vehicle), or undefined. */
  const arrivedAt = (i: number, key: string): number | undefined => {
    const at = arrivals[i].get(key);
    if (at !== undefined) return at;
    const [vehicle, ts] = key.split('|');
    return byVehicle[i].get(vehicle)?.find(([later]) => later > Number(ts))?.[1];
  };
  const allArrived = () => [...acks.keys()].every((key) => arrivals.every((_, i) => arrivedAt(i, key) !== undefined));
  while (performance.now() < drainUntil && !allArrived()) await new Promise((r) => setTimeout(r, 100));

  const latenciesMs: number[] = [];
  let missing = 0;
  for (const [key, ack] of acks) {
    for (let i = 0; i < arrivals.length; i++) {
      const at = arrivedAt(i, key);
      if (at === undefined) missing++;
      else latenciesMs.push(Math.max(0, at - ack));
    }
  }
  latenciesMs.sort((a, b) => a - b);
  ingestMs.sort((a, b) => a - b);
  const worker =
    extra.workerMetricsUrl && workerBefore
      ? bucketQuantiles(workerBefore, await endToEndBuckets(extra.workerMetricsUrl))
      : undefined;
  const bytes = clients.map((c) => c.bytes());
  for (const c of clients) c.close();
  agent.destroy();
  return {
    options,
    vehicles: fleet.vehicles.length,
    accepted,
    failed,
    achievedRate: accepted / measuredSeconds,
    latenciesMs,
    missing,
    ingestMs,
    bytesPerClient: { min: Math.min(...bytes), max: Math.max(...bytes) },
    worker,
  };
}

export function formatLiveLatency(r: LiveLatencyResult): string[] {
  const l = r.latenciesMs;
  return [
    `bench-live: ${r.options.clients} SSE clients (${r.options.measuring} timing every message), ` +
      `${fmt(r.options.rate, 0)} positions/s from ${r.vehicles} vehicles, ${r.options.seconds} s measured ` +
      `after ${r.options.warmupSeconds} s warm-up, machine: ${os.cpus().length} cores`,
    `  ingested            ${r.accepted.toLocaleString('en-US')} positions answered 202 (${fmt(r.achievedRate, 0)}/s), ${r.failed} failed`,
    `  ingest 202          p50 ${fmt(percentile(r.ingestMs, 50), 2)} ms, p99 ${fmt(percentile(r.ingestMs, 99), 2)} ms`,
    `  202 → SSE message   p50 ${fmt(percentile(l, 50))} ms, p95 ${fmt(percentile(l, 95))} ms, ` +
      `p99 ${fmt(percentile(l, 99))} ms, max ${fmt(l[l.length - 1] ?? NaN)} ms ` +
      `(${l.length.toLocaleString('en-US')} arrivals)`,
    ...(r.worker
      ? [
          `  of which worker     p50 ${fmt(r.worker.p50)} ms, p99 ${fmt(r.worker.p99)} ms staging → committed and ` +
            `published (its histogram, ${r.worker.batches.toLocaleString('en-US')} messages, whole run)`,
        ]
      : []),
    `  never arrived       ${r.missing}`,
    `  bytes per client    ${fmt(r.bytesPerClient.min / 1e6, 2)}–${fmt(r.bytesPerClient.max / 1e6, 2)} MB`,
  ];
}

/** Why the run misses the acceptance criterion; empty when it meets it. */
export function liveLatencyFailures(r: LiveLatencyResult): string[] {
  const failures: string[] = [];
  const p99 = percentile(r.latenciesMs, 99);
  if (!(p99 < r.options.targetP99Ms)) failures.push(`p99 ${fmt(p99)} ms ≥ ${r.options.targetP99Ms} ms`);
  if (r.missing > 0) failures.push(`${r.missing} position arrivals missing`);
  if (r.achievedRate < r.options.rate * 0.95) {
    failures.push(`ingest rate ${fmt(r.achievedRate, 0)}/s below the ${r.options.rate}/s asked`);
  }
  if (r.failed > 0) failures.push(`${r.failed} ingest requests failed`);
  return failures;
}

// ---- the stand-alone run: its own database and processes --------------------------------------

const root = path.resolve(__dirname, '../..');

function startService(file: string, env: Record<string, string>): ChildProcess {
  // BENCH_CPU_PROFILE=dir writes a V8 CPU profile of each service there (as bench-ingest does).
  const dir = process.env['BENCH_CPU_PROFILE'];
  const profile = dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  return spawn(process.execPath, [...profile, '--import', 'tsx', file], {
    cwd: root,
    env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.base.json', APP_ENV: 'test', LOG_FORMAT: 'json', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitReady(url: string, child: ChildProcess) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready: ${url}`);
}

/** The whole benchmark: database, API and worker processes, fleet, measurement; cleans up after. */
export async function runLiveLatencyBench(
  partial: Partial<LiveLatencyOptions> & { vehicles?: number } = {},
): Promise<LiveLatencyResult> {
  const serverUrl = process.env['DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbUrl = serverUrl.replace(/\/[^/]*$/, '/fleet_bench_live');
  const redisUrl = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  const prefix = `bench-live:${process.pid}:`;
  await dropDatabase(dbUrl);
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  const fleet = await createLiveFleet(dbUrl, { vehicles: partial.vehicles ?? 1_000, slug: 'bench-live' });
  const clients = partial.clients ?? DEFAULT_LIVE_OPTIONS.clients;
  const [apiPort, workerPort] = [await freePort(), await freePort()];
  const common = { DATABASE_URL: dbUrl, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const api = startService('apps/api/src/main.ts', {
    ...common,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    OSMAND_PORT: 'off',
    // As in production (APP_ENV=test alone would mean one process): a process per core for the main
    // port; API_WORKERS=1 measures the single process.
    API_WORKERS: process.env['API_WORKERS'] ?? String(os.availableParallelism()),
    DB_POOL_MAX: '16',
    // The clients stand for many dashboards of one organization but share one user's token: lift the
    // per-user and per-organization stream limits (10 and 200 by default) to the number of clients.
    LIVE_MAX_STREAMS_PER_USER: String(clients),
    LIVE_MAX_STREAMS_PER_ORG: String(clients),
  });
  const worker = startService('apps/worker/src/main.ts', {
    ...common,
    METRICS_PORT: String(workerPort),
    HOST: '127.0.0.1',
    ...workerEnv(),
  });
  try {
    await waitReady(`http://127.0.0.1:${apiPort}/ready`, api);
    await waitReady(`http://127.0.0.1:${workerPort}/ready`, worker);
    return await measureLiveLatency(`http://127.0.0.1:${apiPort}`, fleet, partial, {
      workerMetricsUrl: `http://127.0.0.1:${workerPort}/metrics`,
    });
  } finally {
    const exited = (c: ChildProcess) =>
      c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r));
    api.kill('SIGTERM');
    worker.kill('SIGTERM');
    await Promise.race([Promise.all([exited(api), exited(worker)]), new Promise((r) => setTimeout(r, 15_000))]);
    await dropDatabase(dbUrl).catch(() => undefined);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.clients) },
      rate: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.rate) },
      seconds: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.seconds) },
      vehicles: { type: 'string', default: '1000' },
      measuring: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.measuring) },
      'target-p99': { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.targetP99Ms) },
      drain: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.drainSeconds) },
    },
  });
  const result = await runLiveLatencyBench({
    clients: Number(values.clients),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    vehicles: Number(values.vehicles),
    measuring: Number(values.measuring),
    targetP99Ms: Number(values['target-p99']),
    drainSeconds: Number(values.drain),
  });
  for (const line of formatLiveLatency(result)) console.log(line);
  const failures = liveLatencyFailures(result);
  console.log(failures.length ? `FAIL: ${failures.join('; ')}` : `PASS: p99 < ${result.options.targetP99Ms} ms`);
  process.exit(failures.length ? 1 : 0);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`bench-live failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
