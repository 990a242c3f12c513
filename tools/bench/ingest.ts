/**
 * `nx run tools:bench-ingest` — ingestion throughput, end to end, against a raw-PostgreSQL baseline
 * measured in the same run. A script that prints figures, not a test.
 *
 * It creates a fresh database (fleet_bench), starts the real API and worker as processes, drives the
 * API over loopback for a bounded time, waits until every accepted position is committed in
 * `positions`, and prints throughput, HTTP latency, end-to-end lag and peak RSS. The baseline inserts
 * the same number of rows with a bare `pg` unnest batch insert (1,000 rows a statement, one
 * connection) into a table identical to `positions`. The last line is the ratio.
 *
 * Options: --mode=batch|single|both (both), --seconds=N (20), --vehicles=N (100),
 *          --batch-concurrency=N (6), --single-clients=N (50)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { generateDeviceToken, hashDeviceToken } from '@fleet/auth';
import { dropDatabase, ensureDatabase, runMigrations } from '@fleet/db';
import { bundleService } from '@fleet/runtime/testing';
import pg from 'pg';
import {
  bucketQuantiles,
  endToEndBuckets,
  fmt,
  percentile,
  rawPostgresBaseline,
  rssMb,
  serviceEnv,
  workerEnv,
} from './stats';

const root = path.resolve(__dirname, '../..');
const { values: args } = parseArgs({
  options: {
    mode: { type: 'string', default: 'both' },
    seconds: { type: 'string', default: '20' },
    vehicles: { type: 'string', default: '100' },
    'batch-concurrency': { type: 'string', default: '6' },
    'single-clients': { type: 'string', default: '50' },
  },
});
const SECONDS = Number(args.seconds);
const VEHICLES = Number(args.vehicles);
const serverUrl = process.env['DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbUrl = serverUrl.replace(/\/[^/]*$/, '/fleet_bench');
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `bench:${process.pid}:`;

interface Vehicle {
  id: string;
  identifier: string;
  token: string;
  seq: number;
}

function startService(file: string, env: Record<string, string>): ChildProcess {
  // BENCH_CPU_PROFILE=dir writes a V8 CPU profile of each service there (for finding hot spots).
  const profile = process.env['BENCH_CPU_PROFILE']
    ? ['--cpu-prof', `--cpu-prof-dir=${process.env['BENCH_CPU_PROFILE']}`]
    : [];
  const child = spawn(process.execPath, [...profile, file], {
    cwd: root,
    env: serviceEnv({ dbUrl, redisUrl: REDIS_URL, prefix }, env),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return child;
}

async function waitReady(url: string) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready: ${url}`);
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
function request(options: {
  port: number;
  path: string;
  method: string;
  headers?: Record<string, string>;
  body?: string;
}): Promise<number> {
  return new Promise((resolve, reject) => {
    // An explicit length: a chunked body is a second small write, which meets delayed ACKs (~40 ms).
    const headers = { ...options.headers, 'content-length': String(Buffer.byteLength(options.body ?? '')) };
    const req = http.request(
      { host: '127.0.0.1', port: options.port, path: options.path, method: options.method, headers, agent },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

async function createVehicles(pool: pg.Pool, n: number): Promise<Vehicle[]> {
  const org = await pool.query<{ id: string }>(
    "INSERT INTO organizations (name, slug) VALUES ('Bench', 'bench') RETURNING id",
  );
  const vehicles: Vehicle[] = [];
  for (let i = 0; i < n; i++) {
    const token = generateDeviceToken();
    const identifier = `bench-${i}`;
    const res = await pool.query<{ id: string }>(
      'INSERT INTO vehicles (organization_id, name, device_identifier, device_token_hash) VALUES ($1, $2, $3, $4) RETURNING id',
      [org.rows[0].id, `Bench ${i}`, identifier, hashDeviceToken(token)],
    );
    vehicles.push({ id: res.rows[0].id, identifier, token, seq: 0 });
  }
  return vehicles;
}

// Fixes are one second apart per vehicle, starting 12 hours ago: room for 43,200 per vehicle before
// they would run into the future-timestamp check.
const BASE_TS = Date.now() - 12 * 3_600_000;
const tsOf = (seq: number) => BASE_TS + seq * 1000;
const latOf = (seq: number) => 40.3 + (seq % 5000) / 50_000;

interface RunResult {
  mode: string;
  accepted: number;
  requests: number;
  failed: number;
  latenciesMs: number[];
  /** Per (vehicle|tsMillis): when the client saw its 202. */
  ackAt: Map<string, number>;
  startedAt: number;
  stoppedAt: number;
  /** Latency percentiles reported by wrk (single mode), ms. */
  wrkLatency: Record<number, number>;
}

async function runLoad(
  mode: 'batch' | 'single',
  vehicles: Vehicle[],
  ports: { api: number; osmand: number },
  sample: () => void,
): Promise<RunResult> {
  const result: RunResult = {
    mode,
    accepted: 0,
    requests: 0,
    failed: 0,
    latenciesMs: [],
    ackAt: new Map(),
    startedAt: Date.now(),
    stoppedAt: 0,
    wrkLatency: {},
  };
  const deadline = result.startedAt + SECONDS * 1000;
  const sampler = setInterval(sample, 250);
  let next = 0;
  const batchLoop = async () => {
    while (Date.now() < deadline) {
      const v = vehicles[next++ % vehicles.length];
      const first = v.seq;
      v.seq += 500;
      // Built as text: JSON.stringify of 500 objects would cost the load generator more than the API.
      let body = '{"positions":[';
      for (let k = 0; k < 500; k++)
        body += `${k ? ',' : ''}{"ts":${tsOf(first + k)},"lat":${latOf(first + k)},"lon":-3.7,"speed":42,"heading":90}`;
      body += ']}';
      const t0 = performance.now();
      const status = await request({
        port: ports.api,
        path: '/api/v1/positions',
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${v.token}` },
        body,
      }).catch(() => 0);
      result.latenciesMs.push(performance.now() - t0);
      result.requests++;
      if (status !== 202) {
        result.failed++;
        continue;
      }
      const now = Date.now();
      for (let k = 0; k < 500; k++) result.ackAt.set(`${v.id}|${tsOf(first + k)}`, now);
      result.accepted += 500;
    }
  };
  const singleClient = async (v: Vehicle) => {
    while (Date.now() < deadline) {
      const seq = v.seq++;
      const query = `/?id=${v.identifier}&timestamp=${tsOf(seq)}&lat=${latOf(seq)}&lon=-3.7&speed=22.7&bearing=90&batt=80`;
      const t0 = performance.now();
      const status = await request({ port: ports.osmand, path: query, method: 'POST' }).catch(() => 0);
      result.latenciesMs.push(performance.now() - t0);
      result.requests++;
      if (status !== 200) {
        result.failed++;
        continue;
      }
      result.ackAt.set(`${v.id}|${tsOf(seq)}`, Date.now());
      result.accepted++;
    }
  };
  if (mode === 'batch') await Promise.all(Array.from({ length: Number(args['batch-concurrency']) }, batchLoop));
  else if (hasWrk()) await runWrk(result, vehicles.slice(0, Number(args['single-clients'])), ports.osmand);
  else await Promise.all(vehicles.slice(0, Number(args['single-clients'])).map(singleClient));
  result.stoppedAt = Date.now();
  clearInterval(sampler);
  return result;
}

const hasWrk = () => spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status === 0;

/**
 * Single-position mode through wrk (C, a few % of a core) rather than Node's HTTP client, which
 * would take as much CPU as the API it measures. Each wrk thread owns a disjoint set of vehicles and
 * numbers its fixes, so every (vehicle, timestamp) is unique.
 */
async function runWrk(result: RunResult, vehicles: Vehicle[], port: number) {
  const threads = 2;
  const perThread = Math.floor(vehicles.length / threads);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-wrk-'));
  const script = path.join(dir, 'osmand.lua');
  writeFileSync(
    script,
    `local ids = {${vehicles.map((v) => `"${v.identifier}"`).join(',')}}
local per = ${perThread}
local base = ${BASE_TS}
-- Fixes already sent by an earlier mode are skipped: a repeat would be a duplicate, never stored.
local start = ${Math.max(0, ...vehicles.map((v) => v.seq))}
local n = 1
function setup(thread) thread:set("tid", n); n = n + 1 end
local seq = 0
function request()
  seq = seq + 1
  local v = ids[(tid - 1) * per + (seq % per) + 1]
  local k = start + math.floor(seq / per)
  local ts = string.format("%d", base + k * 1000)
  local lat = string.format("%.6f", 40.3 + (k % 5000) / 50000)
  return wrk.format("POST", "/?id=" .. v .. "&timestamp=" .. ts .. "&lat=" .. lat .. "&lon=-3.7&speed=22.7&bearing=90&batt=80", { ["Content-Length"] = "0" })
end
`,
  );
  const out = spawnSync(
    'wrk',
    [
      '-t',
      String(threads),
      '-c',
      String(vehicles.length),
      '-d',
      `${SECONDS}s`,
      '--latency',
      '-s',
      script,
      `http://127.0.0.1:${port}`,
    ],
    {
      encoding: 'utf8',
    },
  );
  rmSync(dir, { recursive: true, force: true });
  const text = out.stdout;
  const total = Number(/(\d+) requests in/.exec(text)?.[1] ?? 0);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(text)?.[1] ?? 0);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  result.requests = total;
  result.failed = non2xx + (errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0);
  result.accepted = total - non2xx;
  const unit = (v: string, u: string) => Number(v) * ({ us: 0.001, ms: 1, s: 1000 } as Record<string, number>)[u];
  for (const [, p, v, u] of text.matchAll(/^\s+(50|99)%\s+([\d.]+)(us|ms|s)$/gm))
    result.wrkLatency[Number(p)] = unit(v, u);
}

async function waitCommitted(pool: pg.Pool, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = Number((await pool.query('SELECT count(*) AS n FROM positions')).rows[0].n);
    if (n >= expected) return Date.now();
    if (Date.now() > deadline)
      throw new Error(`only ${n} of ${expected} accepted positions committed after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function endToEnd(pool: pg.Pool, run: RunResult) {
  const res = await pool.query<{ vehicle_id: string; ts: Date; received_at: Date }>(
    'SELECT vehicle_id, ts, received_at FROM positions WHERE received_at >= $1',
    [new Date(run.startedAt - 1000)],
  );
  const lags: number[] = [];
  let lastCommit = 0;
  for (const row of res.rows) {
    const ack = run.ackAt.get(`${row.vehicle_id}|${row.ts.getTime()}`);
    if (ack === undefined) continue;
    lags.push(Math.max(0, row.received_at.getTime() - ack));
    lastCommit = Math.max(lastCommit, row.received_at.getTime());
  }
  lags.sort((a, b) => a - b);
  return { lags, lastCommit };
}

async function lastReceived(pool: pg.Pool): Promise<number> {
  const res = await pool.query<{ at: Date | null }>('SELECT max(received_at) AS at FROM positions');
  return res.rows[0].at?.getTime() ?? 0;
}

async function lagFromWorker(port: number, before: Map<number, number>) {
  const { p50, p99, batches } = bucketQuantiles(before, await endToEndBuckets(`http://127.0.0.1:${port}/metrics`));
  return { p50, p99, source: `worker histogram, ${batches.toLocaleString('en-US')} batches` };
}

async function main() {
  const modes = args.mode === 'both' ? (['batch', 'single'] as const) : ([args.mode] as Array<'batch' | 'single'>);
  await dropDatabase(dbUrl);
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 4 });
  const vehicles = await createVehicles(pool, VEHICLES);
  const ports = {
    api: 3900 + (process.pid % 50),
    osmand: 5900 + (process.pid % 50),
    worker: 9900 + (process.pid % 50),
  };
  // Both services run bundled, as in production: their CPU and RSS are their own, not tsx's.
  const api = startService(await bundleService('apps/api/src/main.ts', { outDir: 'tools/bench', name: 'ingest-api' }), {
    PORT: String(ports.api),
    OSMAND_PORT: String(ports.osmand),
    HOST: '127.0.0.1',
    DB_POOL_MAX: '16',
  });
  const worker = startService(
    await bundleService('apps/worker/src/main.ts', { outDir: 'tools/bench', name: 'ingest-worker' }),
    {
      METRICS_PORT: String(ports.worker),
      HOST: '127.0.0.1',
      ...workerEnv(),
    },
  );
  const lines: string[] = [];
  const say = (line = '') => {
    lines.push(line);
    console.log(line);
  };
  let ratio = NaN;
  try {
    await waitReady(`http://127.0.0.1:${ports.api}/ready`);
    await waitReady(`http://127.0.0.1:${ports.worker}/ready`);
    say(
      `bench-ingest: ${VEHICLES} vehicles, ${SECONDS} s per mode, machine: ${require('node:os').cpus().length} cores`,
    );
    for (const mode of modes) {
      const before = Number((await pool.query('SELECT count(*) AS n FROM positions')).rows[0].n);
      const peak = { api: 0, worker: 0 };
      const sample = () => {
        peak.api = Math.max(peak.api, rssMb(api.pid));
        peak.worker = Math.max(peak.worker, rssMb(worker.pid));
      };
      const workerLagBefore = await endToEndBuckets(`http://127.0.0.1:${ports.worker}/metrics`);
      const run = await runLoad(mode, vehicles, ports, sample);
      const committedAt = await waitCommitted(pool, before + run.accepted, 180_000);
      sample();
      const { lags, lastCommit: matchedCommit } = await endToEnd(pool, run);
      const lastCommit = matchedCommit || (await lastReceived(pool));
      const latencies = run.latenciesMs.sort((a, b) => a - b);
      const seconds = (Math.max(lastCommit, run.stoppedAt) - run.startedAt) / 1000;
      const http50 = run.wrkLatency[50] ?? percentile(latencies, 50);
      const http99 = run.wrkLatency[99] ?? percentile(latencies, 99);
      const lag = lags.length
        ? {
            p50: percentile(lags, 50),
            p99: percentile(lags, 99),
            source: `${lags.length.toLocaleString('en-US')} positions matched`,
          }
        : await lagFromWorker(ports.worker, workerLagBefore);
      const throughput = run.accepted / seconds;
      say();
      say(
        `[${mode}] ${mode === 'batch' ? '500 positions a request, JSON' : 'one position a request, OsmAnd (Traccar Client)'}`,
      );
      say(
        `  accepted            ${run.accepted.toLocaleString('en-US')} positions in ${run.requests.toLocaleString('en-US')} requests (${run.failed} failed)`,
      );
      say(`  end to end          ${fmt(throughput, 0)} positions/s (first request → last commit, ${fmt(seconds)} s)`);
      say(
        `  HTTP latency        p50 ${fmt(http50, 2)} ms, p99 ${fmt(http99, 2)} ms${run.wrkLatency[50] ? ' (wrk, 2 threads)' : ''}`,
      );
      say(`  accepted → committed p50 ${fmt(lag.p50, 0)} ms, p99 ${fmt(lag.p99, 0)} ms (${lag.source})`);
      say(
        `  backlog drained     ${fmt((committedAt - run.stoppedAt) / 1000, 2)} s after the load stopped (includes polling)`,
      );
      say(`  peak RSS            api ${fmt(peak.api, 0)} MB, worker ${fmt(peak.worker, 0)} MB`);
      if (mode === 'batch') {
        // The baseline is measured twice and the better figure kept: a conservative ratio.
        const base = await rawPostgresBaseline(pool, run.accepted);
        ratio = throughput / base;
        say(
          `  raw PostgreSQL      ${fmt(base, 0)} rows/s (bare pg unnest insert, 1,000 rows a statement, one connection, same rows)`,
        );
        say(`  ratio               ${fmt(ratio, 2)}× the baseline`);
      }
    }
  } finally {
    api.kill('SIGTERM');
    worker.kill('SIGTERM');
    await pool.end();
    agent.destroy();
    await new Promise((r) => setTimeout(r, 500));
    await dropDatabase(dbUrl).catch(() => undefined);
  }
  if (!Number.isNaN(ratio)) console.log(`ratio: ${fmt(ratio, 2)}`);
}

main().catch((err: unknown) => {
  console.error(`bench-ingest failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
