/**
 * `nx run tools:bench-osmand` — single-fix OsmAnd HTTP (the requests Traccar Client sends, one fix
 * each) on the API's OsmAnd port, end to end. A script that prints figures, not a test; run it on a
 * quiet machine. Targets: ≥ 9,000 positions/s with HTTP p99 < 25 ms.
 *
 * The load generator is Debian's `wrk` (C, epoll: a small part of a core at these rates, where Node's
 * own HTTP client would cost as much CPU as the API it measures); the script installs it with
 * `apt-get install -y wrk` when it is missing. wrk runs tools/bench/osmand.lua: GET
 * `/?id=<identifier>&timestamp=…&lat=…&lon=…&speed=…` spread over the vehicles, each (vehicle,
 * timestamp) unique so nothing is deduplicated.
 *
 * It creates a fresh database (fleet_bench_osmand) with the vehicles (device identifiers only, as
 * Traccar Client registers), starts the API bundled as production runs it (its settings from the
 * environment; API_WORKERS and OSMAND_WORKERS as deployed, the core count each, unless set) and
 * the worker as processes, runs wrk for a warm-up and then for --seconds with `--latency`, and prints:
 * positions/s (200s counted by wrk / its duration), HTTP latency p50/p99 (wrk's), the positions stored
 * afterwards (every 200, plus at most one a connection: a request in flight when wrk's time ran out is
 * stored though wrk never reads its answer), the end-to-end rate (first request → last row committed),
 * the ratio to bench-ingest's raw-PostgreSQL baseline measured in the same run, and the CPU of wrk, the
 * API processes and the worker. Exits non-zero when a target is missed, a request failed, or the
 * stored count does not match the 200s.
 *
 * Options: --seconds=N (20), --warmup=N seconds (3, 0 for none), --vehicles=N (1000),
 *          --connections=N wrk connections (64), --threads=N wrk threads (2),
 *          --target-rate=N positions/s (9000), --target-p99=ms (25)
 * BENCH_WORKER_X=v passes X=v to the worker.
 */
import { spawn, spawnSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dropDatabase } from '@fleet/db';
import { bundleService, freePort } from '@fleet/runtime/testing';
import pg from 'pg';
import { BASELINE_LABEL, fmt, rawPostgresBaseline, workerEnv } from './stats';
import {
  cpuSeconds,
  countPositions,
  freshDatabase,
  processTree,
  RssPeaks,
  startBundled,
  stopAll,
  waitListening,
  waitReady,
  waitStored,
  type BenchRun,
} from './trackers';

const IDENTIFIER_PREFIX = 'osmand-bench-';
const LUA = path.join(__dirname, 'osmand.lua');

/**
 * Waits until `positions` holds at least `expected` rows and then gains none for a second: requests
 * wrk had sent when its time ran out are still stored though it never read their answers.
 */
async function waitSettled(pool: pg.Pool, expected: number): Promise<number> {
  const lastCommit = await waitStored(pool, expected, 180_000);
  let n = await countPositions(pool);
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    const again = await countPositions(pool);
    if (again === n) break;
    n = again;
  }
  const res = await pool.query<{ at: Date | null }>('SELECT max(received_at) AS at FROM positions');
  return Math.max(lastCommit, res.rows[0].at?.getTime() ?? 0);
}

const hasWrk = () => spawnSync('sh', ['-c', 'command -v wrk'], { stdio: 'ignore' }).status === 0;

/** Installs Debian's wrk when it is missing (apt-get update first only if the install fails without it). */
function ensureWrk(): void {
  if (hasWrk()) return;
  const sudo = process.getuid?.() === 0 ? [] : ['sudo'];
  const apt = (...args: string[]) =>
    spawnSync(sudo.length ? 'sudo' : 'apt-get', [...(sudo.length ? ['apt-get'] : []), ...args], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    }).status === 0;
  console.log("wrk is missing: installing Debian's package (apt-get install -y wrk)");
  if (!apt('install', '-y', 'wrk')) {
    console.log('apt-get install failed: apt-get update, then again');
    apt('update');
    apt('install', '-y', 'wrk');
  }
  if (!hasWrk()) throw new Error('wrk could not be installed: install it (apt-get install wrk) and run again');
}

interface WrkResult {
  requests: number;
  seconds: number;
  non2xx: number;
  socketErrors: { connect: number; read: number; write: number; timeout: number };
  latencyMs: Record<number, number>;
  /** CPU seconds wrk used (sampled from /proc until it exited: at most ~200 ms short). */
  cpuSeconds: number;
  output: string;
}

const UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000 };

/** Runs wrk with osmand.lua and parses its summary. */
async function runWrk(options: {
  port: number;
  seconds: number;
  threads: number;
  connections: number;
  vehicles: number;
  firstTimestampS: number;
}): Promise<WrkResult> {
  const child = spawn(
    'wrk',
    [
      '-t',
      String(options.threads),
      '-c',
      String(options.connections),
      '-d',
      `${options.seconds}s`,
      '--timeout',
      '10s',
      '--latency',
      '-s',
      LUA,
      `http://127.0.0.1:${options.port}`,
      '--',
      String(options.vehicles),
      String(options.threads),
      String(options.firstTimestampS),
      IDENTIFIER_PREFIX,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let cpu = 0;
  const sampler = setInterval(() => {
    if (child.pid) cpu = Math.max(cpu, cpuSeconds([child.pid]));
  }, 200);
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  clearInterval(sampler);
  if (code !== 0) throw new Error(`wrk exited with ${code}:\n${output}`);
  const done = /(\d+) requests in ([\d.]+)(us|ms|s|m)\b/.exec(output);
  if (!done) throw new Error(`could not read wrk's summary:\n${output}`);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(output);
  const latencyMs: Record<number, number> = {};
  for (const [, p, v, u] of output.matchAll(/^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s|m)\s*$/gm))
    latencyMs[Number(p)] = Number(v) * UNIT_MS[u];
  return {
    requests: Number(done[1]),
    seconds: (Number(done[2]) * UNIT_MS[done[3]]) / 1000,
    non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
    socketErrors: {
      connect: Number(errors?.[1] ?? 0),
      read: Number(errors?.[2] ?? 0),
      write: Number(errors?.[3] ?? 0),
      timeout: Number(errors?.[4] ?? 0),
    },
    latencyMs,
    cpuSeconds: cpu,
    output,
  };
}

const pct = (n: number) => `${fmt(n, 0)} %`;

async function main() {
  const { values: args } = parseArgs({
    options: {
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      vehicles: { type: 'string', default: '1000' },
      connections: { type: 'string', default: '64' },
      threads: { type: 'string', default: '2' },
      'target-rate': { type: 'string', default: '9000' },
      'target-p99': { type: 'string', default: '25' },
    },
  });
  const SECONDS = Number(args.seconds);
  const WARMUP = Number(args.warmup);
  const THREADS = Number(args.threads);
  const CONNECTIONS = Number(args.connections);
  // Whole blocks of vehicles per wrk thread.
  const VEHICLES = Math.floor(Number(args.vehicles) / THREADS) * THREADS;
  const targets = { rate: Number(args['target-rate']), p99: Number(args['target-p99']) };
  if (!(THREADS >= 1 && CONNECTIONS >= THREADS && VEHICLES >= THREADS && SECONDS >= 1))
    throw new Error('--threads ≥ 1, --connections ≥ threads, --vehicles ≥ threads, --seconds ≥ 1');
  ensureWrk();

  const run: BenchRun = {
    dbUrl: await freshDatabase('fleet_bench_osmand'),
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    prefix: `bench-osmand:${process.pid}:`,
  };
  const pool = new pg.Pool({ connectionString: run.dbUrl, max: 2 });
  const org = await pool.query<{ id: string }>(
    "INSERT INTO organizations (name, slug) VALUES ('Bench OsmAnd', 'bench-osmand') RETURNING id",
  );
  await pool.query(
    `INSERT INTO vehicles (organization_id, name, device_identifier)
     SELECT $1, id, id FROM unnest($2::text[]) AS id`,
    [org.rows[0].id, Array.from({ length: VEHICLES }, (_, i) => `${IDENTIFIER_PREFIX}${i}`)],
  );
  const ports = { api: await freePort(), osmand: await freePort(), worker: await freePort() };
  // As deployed: a process per core for each port (the API's default outside APP_ENV=test, which the
  // benchmark's environment sets and which would mean one process for both); API_WORKERS /
  // OSMAND_WORKERS from the environment when set (API_WORKERS=1 OSMAND_WORKERS=1: the single process).
  const api = startBundled(
    await bundleService('apps/api/src/main.ts', { outDir: 'tools/bench', name: 'osmand-api' }),
    run,
    {
      PORT: String(ports.api),
      OSMAND_PORT: String(ports.osmand),
      HOST: '127.0.0.1',
      API_WORKERS: process.env['API_WORKERS'] ?? String(os.availableParallelism()),
      OSMAND_WORKERS: process.env['OSMAND_WORKERS'] ?? String(os.availableParallelism()),
    },
  );
  const worker = startBundled(
    await bundleService('apps/worker/src/main.ts', { outDir: 'tools/bench', name: 'osmand-worker' }),
    run,
    { METRICS_PORT: String(ports.worker), HOST: '127.0.0.1', ...workerEnv() },
  );
  const failures: string[] = [];
  const apiRss = new RssPeaks(api.pid);
  const workerRss = new RssPeaks(worker.pid);
  const sampler = setInterval(() => {
    apiRss.sample();
    workerRss.sample();
  }, 250);
  try {
    await waitReady(`http://127.0.0.1:${ports.api}/ready`, api);
    await waitListening(ports.osmand, api);
    await waitReady(`http://127.0.0.1:${ports.worker}/ready`, worker);
    const setting = (name: string) =>
      `${name}=${process.env[name] ?? `${os.availableParallelism()} (the deployment default: the core count)`}`;
    const apiProcesses = processTree(api.pid).length;
    console.log(
      `bench-osmand: ${VEHICLES.toLocaleString('en-US')} vehicles, one fix a GET on the OsmAnd port, wrk ${THREADS} threads × ` +
        `${CONNECTIONS} connections, ${SECONDS} s after ${WARMUP} s of warm-up; API ${apiProcesses} process${apiProcesses === 1 ? '' : 'es'} ` +
        `(${setting('API_WORKERS')}, ${setting('OSMAND_WORKERS')}), machine: ${os.cpus().length} cores`,
    );
    const now = Math.floor(Date.now() / 1000);
    if (WARMUP > 0) {
      // Its own timestamps (a day back), so the measured run's fixes are new ones.
      const warm = await runWrk({
        port: ports.osmand,
        seconds: WARMUP,
        threads: THREADS,
        connections: CONNECTIONS,
        vehicles: VEHICLES,
        firstTimestampS: now - 24 * 3600,
      });
      await waitSettled(pool, warm.requests - warm.non2xx);
    }
    const before = await countPositions(pool);
    const cpuBefore = { api: cpuSeconds(processTree(api.pid)), worker: cpuSeconds(processTree(worker.pid)) };
    const startedAt = Date.now();
    const t0 = performance.now();
    const r = await runWrk({
      port: ports.osmand,
      seconds: SECONDS,
      threads: THREADS,
      connections: CONNECTIONS,
      vehicles: VEHICLES,
      firstTimestampS: now - 12 * 3600,
    });
    const wall = (performance.now() - t0) / 1000;
    const cpu = {
      api: cpuSeconds(processTree(api.pid)) - cpuBefore.api,
      worker: cpuSeconds(processTree(worker.pid)) - cpuBefore.worker,
    };
    const ok = r.requests - r.non2xx;
    const lastCommit = await waitSettled(pool, before + ok).catch((err: unknown) => {
      failures.push(err instanceof Error ? err.message : String(err));
      return Date.now();
    });
    const stored = (await countPositions(pool)) - before;
    const rate = ok / r.seconds;
    const endToEnd = stored / ((lastCommit - startedAt) / 1000);
    const base = await rawPostgresBaseline(pool, Math.max(1000, ok));
    const errors = r.socketErrors.connect + r.socketErrors.read + r.socketErrors.write + r.socketErrors.timeout;
    const p99 = r.latencyMs[99];
    const wrkBusy = r.cpuSeconds / (THREADS * r.seconds);
    console.log();
    console.log(
      `  answered 200        ${ok.toLocaleString('en-US')} of ${r.requests.toLocaleString('en-US')} requests in ${fmt(r.seconds, 2)} s: ${fmt(rate, 0)} positions/s (target ≥ ${fmt(targets.rate, 0)})`,
    );
    console.log(
      `  HTTP latency        p50 ${fmt(r.latencyMs[50], 2)} ms, p90 ${fmt(r.latencyMs[90], 2)} ms, p99 ${fmt(p99, 2)} ms (wrk; target p99 < ${targets.p99} ms)`,
    );
    console.log(
      `  failed              ${r.non2xx} non-200 answers; socket errors: connect ${r.socketErrors.connect}, read ${r.socketErrors.read}, write ${r.socketErrors.write}, timeout ${r.socketErrors.timeout}`,
    );
    console.log(
      `  stored              ${stored.toLocaleString('en-US')} rows for ${ok.toLocaleString('en-US')} answered 200` +
        (stored > ok
          ? ` (+${stored - ok} sent as wrk's time ran out, answers not read: at most one a connection)`
          : ''),
    );
    console.log(
      `  end to end          ${fmt(endToEnd, 0)} positions/s (first request → last row committed, ${fmt((lastCommit - startedAt) / 1000, 2)} s)`,
    );
    console.log(`  raw PostgreSQL      ${fmt(base, 0)} rows/s (${BASELINE_LABEL}, same number of rows)`);
    console.log(
      `  ratio               ${fmt(rate / base, 2)}× that baseline (a batch insert: one request a row costs far more; no target on it)`,
    );
    console.log(
      `  CPU                 API ${pct((cpu.api / wall) * 100)} of a core, worker ${pct((cpu.worker / wall) * 100)}, wrk ${pct((r.cpuSeconds / r.seconds) * 100)}`,
    );
    console.log(
      `  load generator      wrk threads ${pct(wrkBusy * 100)} busy: ${wrkBusy >= 0.9 ? 'SATURATED — wrk is the bottleneck, the figures are a floor' : 'not the bottleneck'}`,
    );
    apiRss.sample();
    workerRss.sample();
    console.log(
      `  peak RSS            API ${[...apiRss.peaks.values()].map((mb) => `${fmt(mb, 0)} MB`).join(', ')}; worker ${fmt(Math.max(0, ...workerRss.peaks.values()), 0)} MB`,
    );
    if (!(rate >= targets.rate)) failures.push(`${fmt(rate, 0)} positions/s < ${fmt(targets.rate, 0)}`);
    if (!(p99 < targets.p99)) failures.push(`HTTP p99 ${fmt(p99, 2)} ms ≥ ${targets.p99} ms`);
    if (r.non2xx || errors) failures.push(`${r.non2xx} non-200 answers and ${errors} socket errors`);
    // Every 200 stored; beyond them only the requests in flight when wrk stopped (one a connection at most).
    if (stored < ok || stored > ok + CONNECTIONS)
      failures.push(`${stored} rows stored for ${ok} answered 200 (${CONNECTIONS} connections)`);
  } finally {
    clearInterval(sampler);
    await stopAll([api, worker]);
    await pool.end();
    await dropDatabase(run.dbUrl).catch(() => undefined);
  }
  console.log(failures.length ? `FAIL: ${failures.join('; ')}` : 'PASS: every target met');
  process.exit(failures.length ? 1 : 0);
}

main().catch((err: unknown) => {
  console.error(`bench-osmand failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
