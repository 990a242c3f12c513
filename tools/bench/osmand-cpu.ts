/**
 * `nx run tools:bench-osmand-cpu` — the CPU the OsmAnd port spends per request, the figure to trust on a
 * shared machine (throughput and latency move with whatever else runs; CPU time per request hardly does).
 *
 * It creates a database (fleet_bench_osmand_cpu) with the vehicles, starts the API bundled as production
 * runs it — API_WORKERS=1 and OSMAND_WORKERS=--osmand-workers (default: the core count, the deployment
 * default) — and, for --rounds rounds, sends a fixed number of single-fix OsmAnd GETs with Debian's wrk
 * (tools/bench/osmand-cpu.lua: the requests of bench-osmand, each wrk thread stopping after its share of
 * answers). Per round it reads the OsmAnd worker processes' CPU time (utime + stime, /proc/<pid>/stat)
 * before and after, waits until the staged position count (sum of ingest_staging.position_count) stops
 * growing, and prints CPU ÷ requests staged. The worker (apps/worker) is not started: it spends nothing
 * in the API, and leaving PostgreSQL to the staging commits keeps the group-commit sizes of runs alike.
 *
 * --endpoint=positions (`nx run tools:bench-positions-cpu`) measures the main port instead: single-position Fleet JSON `POST /api/v1/positions`
 * with each vehicle's device token (tools/bench/positions-cpu.lua, the requests of bench-live's load),
 * the API started with API_WORKERS=--api-workers (default: the core count) and OSMAND_PORT=off, and the
 * CPU read of its 'api' worker processes (or of the single process).
 *
 * Several builds can be compared in one session, their rounds interleaved (A B A B …) so that a change of
 * load on the machine hits both alike: --bundle=label=path/to/bundle.js, repeated (bundles made with
 * bundleService from any checkout); without --bundle, the current apps/api/src/main.ts.
 *
 * Options: --endpoint=osmand|positions (osmand), --api-workers=N (positions: core count),
 *          --requests=N per round (60000), --warmup=N requests before the first round (20000),
 *          --rounds=N (3), --connections=N (64), --threads=N wrk threads (2), --vehicles=N (1000),
 *          --osmand-workers=N (core count), --cpu-prof=dir (the API's processes write V8 CPU profiles
 *          there when they stop), --node-args=label=args (Node options of that build's processes,
 *          e.g. `--node-args="b=--max-semi-space-size=16"` with `--bundle=b=…`: the same build twice
 *          under two labels compares settings).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { generateDeviceToken, hashDeviceToken } from '@fleet/auth';
import { dropDatabase } from '@fleet/db';
import { bundleService, freePort } from '@fleet/runtime/testing';
import { Redis } from 'ioredis';
import pg from 'pg';
import { fmt, serviceEnv } from './stats';
import { cpuSeconds, freshDatabase, processTree, stopAll, waitListening, waitReady, type BenchRun } from './trackers';

const IDENTIFIER_PREFIX = 'osmand-cpu-';
/** What is measured: the OsmAnd port's GETs, or the main port's Fleet JSON POSTs. */
type Target = 'osmand' | 'positions';
const LUA: Record<Target, string> = {
  osmand: path.join(__dirname, 'osmand-cpu.lua'),
  positions: path.join(__dirname, 'positions-cpu.lua'),
};
/** The cluster role of the processes serving the target's port. */
const ROLE: Record<Target, string> = { osmand: 'osmand', positions: 'api' };
const root = path.resolve(__dirname, '../..');

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** User and system CPU seconds of processes so far (utime and stime of /proc/<pid>/stat; gone: 0). */
function cpuOf(pids: number[]): { user: number; system: number } {
  let user = 0;
  let system = 0;
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      user += Number(fields[11]) / CLK_TCK;
      system += Number(fields[12]) / CLK_TCK;
    } catch {
      // gone
    }
  }
  return { user, system };
}

/** The cluster role a process was forked for (FLEET_CLUSTER_ROLE in its environment), if any. */
function roleOf(pid: number): string | undefined {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0');
    return env.find((e) => e.startsWith('FLEET_CLUSTER_ROLE='))?.slice('FLEET_CLUSTER_ROLE='.length);
  } catch {
    return undefined;
  }
}

async function stagedPositions(pool: pg.Pool): Promise<number> {
  const res = await pool.query<{ n: string }>('SELECT coalesce(sum(position_count), 0) AS n FROM ingest_staging');
  return Number(res.rows[0].n);
}

/** Staging rows so far: positions ÷ rows is how many requests a group commit merged on average. */
async function stagingRows(pool: pg.Pool): Promise<number> {
  const res = await pool.query<{ n: string }>('SELECT count(*) AS n FROM ingest_staging');
  return Number(res.rows[0].n);
}

/** Waits until at least `expected` positions are staged and the count holds still for 300 ms. */
async function waitStaged(pool: pg.Pool, expected: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = -1;
  for (;;) {
    const n = await stagedPositions(pool);
    if (n >= expected && n === last) return n;
    if (Date.now() > deadline) throw new Error(`staged ${n} positions, expected at least ${expected}`);
    last = n;
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** wrk until each thread has `perThread` answers; resolves with wrk's summary. */
function runWrk(o: {
  target: Target;
  /** positions: the file of device tokens, vehicle i's on line i + 1. */
  tokenFile?: string;
  port: number;
  threads: number;
  connections: number;
  vehicles: number;
  firstTimestampS: number;
  perThread: number;
}): Promise<{ requests: number; seconds: number; non2xx: number; output: string }> {
  const child = spawn(
    'wrk',
    [
      '-t',
      String(o.threads),
      '-c',
      String(o.connections),
      '-d',
      '600s',
      '--timeout',
      '10s',
      '-s',
      LUA[o.target],
      `http://127.0.0.1:${o.port}`,
      '--',
      String(o.vehicles),
      String(o.threads),
      String(o.firstTimestampS),
      o.target === 'positions' ? (o.tokenFile ?? '') : IDENTIFIER_PREFIX,
      String(o.perThread),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    // Every thread has its answers: wrk would wait out -d, SIGINT makes it print its summary now.
    if (output.split('thread done').length - 1 === o.threads) child.kill('SIGINT');
  });
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      const done = /(\d+) requests in ([\d.]+)(us|ms|s|m)\b/.exec(output);
      if (code !== 0 || !done) return reject(new Error(`wrk exited with ${code}:\n${output}`));
      const unit: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, m: 60 };
      resolve({
        requests: Number(done[1]),
        seconds: Number(done[2]) * unit[done[3]],
        non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(output)?.[1] ?? 0),
        output,
      });
    });
  });
}

interface Build {
  label: string;
  file: string;
  /** Node options of this build's processes (the cluster's workers inherit them). */
  nodeArgs: string[];
  /** The measured port (OsmAnd, or the main port), and its API process (the cluster primary), once started. */
  port: number;
  child?: ReturnType<typeof spawn>;
  rootPid: number;
  /** The processes serving the measured port. */
  servingPids: number[];
  perRequestUs: number[];
}

async function main() {
  const { values: args } = parseArgs({
    options: {
      bundle: { type: 'string', multiple: true },
      endpoint: { type: 'string', default: 'osmand' },
      'api-workers': { type: 'string', default: String(os.availableParallelism()) },
      requests: { type: 'string', default: '60000' },
      warmup: { type: 'string', default: '20000' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '64' },
      threads: { type: 'string', default: '2' },
      vehicles: { type: 'string', default: '1000' },
      'osmand-workers': { type: 'string', default: String(os.availableParallelism()) },
      'cpu-prof': { type: 'string' },
      'node-args': { type: 'string', multiple: true },
    },
  });
  const THREADS = Number(args.threads);
  const CONNECTIONS = Number(args.connections);
  const VEHICLES = Math.floor(Number(args.vehicles) / THREADS) * THREADS;
  const PER_THREAD = Math.ceil(Number(args.requests) / THREADS);
  const WARMUP_PER_THREAD = Math.ceil(Number(args.warmup) / THREADS);
  const ROUNDS = Number(args.rounds);
  const OSMAND_WORKERS = Number(args['osmand-workers']);
  const API_WORKERS = Number(args['api-workers']);
  const target = args.endpoint as Target;
  if (!(target in LUA)) throw new Error(`--endpoint=osmand or --endpoint=positions, not ${args.endpoint}`);
  const builds: Build[] = (args.bundle ?? []).map((spec) => {
    const eq = spec.indexOf('=');
    if (eq <= 0) throw new Error(`--bundle=label=path, not ${spec}`);
    const label = spec.slice(0, eq);
    const nodeArgs = (args['node-args'] ?? [])
      .filter((a) => a.startsWith(`${label}=`))
      .flatMap((a) =>
        a
          .slice(label.length + 1)
          .split(/\s+/)
          .filter(Boolean),
      );
    return {
      label,
      file: path.resolve(spec.slice(eq + 1)),
      nodeArgs,
      port: 0,
      rootPid: 0,
      servingPids: [],
      perRequestUs: [],
    };
  });
  if (!builds.length)
    builds.push({
      label: 'current',
      file: await bundleService('apps/api/src/main.ts', { outDir: 'tools/bench', name: 'osmand-cpu-api' }),
      nodeArgs: [],
      port: 0,
      rootPid: 0,
      servingPids: [],
      perRequestUs: [],
    });

  const run: BenchRun = {
    dbUrl: await freshDatabase('fleet_bench_osmand_cpu'),
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    prefix: `bench-osmand-cpu:${process.pid}:`,
  };
  const pool = new pg.Pool({ connectionString: run.dbUrl, max: 2 });
  const org = await pool.query<{ id: string }>(
    "INSERT INTO organizations (name, slug) VALUES ('Bench OsmAnd CPU', 'bench-osmand-cpu') RETURNING id",
  );
  // Device tokens for the Fleet JSON requests (positions), in a file wrk's threads read.
  const tokens = target === 'positions' ? Array.from({ length: VEHICLES }, () => generateDeviceToken()) : [];
  const tokenDir = mkdtempSync(path.join(os.tmpdir(), 'bench-positions-cpu-'));
  const tokenFile = path.join(tokenDir, 'tokens.txt');
  writeFileSync(tokenFile, tokens.map((t) => `${t}\n`).join(''), { mode: 0o600 });
  await pool.query(
    `INSERT INTO vehicles (organization_id, name, device_identifier, device_token_hash)
     SELECT $1, id, id, nullif(h, '') FROM unnest($2::text[], $3::text[]) AS t(id, h)`,
    [
      org.rows[0].id,
      Array.from({ length: VEHICLES }, (_, i) => `${IDENTIFIER_PREFIX}${i}`),
      Array.from({ length: VEHICLES }, (_, i) => (tokens[i] ? hashDeviceToken(tokens[i]) : '')),
    ],
  );
  const execArgv = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(args['cpu-prof'])}`] : [];
  try {
    for (const b of builds) {
      const apiPort = await freePort();
      b.port = target === 'positions' ? apiPort : await freePort();
      b.child = spawn(process.execPath, [...execArgv, ...b.nodeArgs, b.file], {
        cwd: root,
        env: serviceEnv(
          run,
          target === 'positions'
            ? {
                PORT: String(apiPort),
                OSMAND_PORT: 'off',
                LIVE_PORT: 'off',
                HOST: '127.0.0.1',
                API_WORKERS: String(API_WORKERS),
              }
            : {
                PORT: String(apiPort),
                OSMAND_PORT: String(b.port),
                HOST: '127.0.0.1',
                API_WORKERS: '1',
                OSMAND_WORKERS: String(OSMAND_WORKERS),
              },
        ),
        stdio: ['ignore', 'ignore', 'inherit'],
      });
      await waitReady(`http://127.0.0.1:${apiPort}/ready`, b.child);
      await waitListening(b.port, b.child);
      b.rootPid = b.child.pid ?? 0;
      const serving = processTree(b.rootPid).filter((pid) => roleOf(pid) === ROLE[target]);
      // One API process (the target's workers = 1, and API_WORKERS=1) serves the port itself.
      b.servingPids = serving.length ? serving : [b.rootPid];
    }
    console.log(
      `bench-osmand-cpu (${target === 'positions' ? 'POST /api/v1/positions, main port' : 'OsmAnd GET'}): ` +
        `${builds.map((b) => b.label).join(' vs ')}; ` +
        (target === 'positions'
          ? `API_WORKERS=${API_WORKERS} (OSMAND_PORT=off), `
          : `OSMAND_WORKERS=${OSMAND_WORKERS} (API_WORKERS=1), `) +
        `wrk ${THREADS} threads × ${CONNECTIONS} connections, ${(PER_THREAD * THREADS).toLocaleString('en-US')} requests a round, ` +
        `${ROUNDS} rounds after ${(WARMUP_PER_THREAD * THREADS).toLocaleString('en-US')} of warm-up; ${VEHICLES} vehicles; ` +
        `machine: ${os.cpus().length} cores, load ${os
          .loadavg()
          .map((l) => fmt(l, 2))
          .join(' ')}`,
    );
    const now = Math.floor(Date.now() / 1000);
    // Disjoint timestamps per run (vehicle, timestamp) so nothing repeats: a day's block each.
    let block = 0;
    const wrkFor = (b: Build, perThread: number) =>
      runWrk({
        target,
        tokenFile,
        port: b.port,
        threads: THREADS,
        connections: CONNECTIONS,
        vehicles: VEHICLES,
        firstTimestampS: now - 30 * 86_400 + block++ * 86_400,
        perThread,
      });
    for (const b of builds) {
      const before = await stagedPositions(pool);
      const w = await wrkFor(b, WARMUP_PER_THREAD);
      await waitStaged(pool, before + w.requests - w.non2xx);
    }
    for (let round = 1; round <= ROUNDS; round++) {
      for (const b of builds) {
        const staged0 = await stagedPositions(pool);
        const rows0 = await stagingRows(pool);
        const cpu0 = cpuOf(b.servingPids);
        const tree0 = cpuSeconds(processTree(b.rootPid));
        const t0 = performance.now();
        const w = await wrkFor(b, PER_THREAD);
        const staged = (await waitStaged(pool, staged0 + w.requests - w.non2xx)) - staged0;
        const cpu1 = cpuOf(b.servingPids);
        const user = cpu1.user - cpu0.user;
        const system = cpu1.system - cpu0.system;
        const cpu = user + system;
        const tree = cpuSeconds(processTree(b.rootPid)) - tree0;
        const wall = (performance.now() - t0) / 1000;
        const rows = (await stagingRows(pool)) - rows0;
        const us = (cpu / staged) * 1e6;
        b.perRequestUs.push(us);
        console.log(
          `  round ${round} ${b.label.padEnd(10)} ${staged.toLocaleString('en-US')} staged (${w.non2xx} non-2xx) in ${rows.toLocaleString('en-US')} rows — ` +
            `${target === 'positions' ? 'API' : 'OsmAnd'} workers ${fmt(cpu, 2)} s CPU: ${fmt(us, 1)} µs/request (user ${fmt((user / staged) * 1e6, 1)}, system ${fmt((system / staged) * 1e6, 1)}); whole API tree ${fmt((tree / staged) * 1e6, 1)} µs/request; ` +
            `indicative ${fmt(w.requests / w.seconds, 0)} requests/s, ${fmt(cpu / wall, 2)} cores`,
        );
        if (w.non2xx) throw new Error(`${w.non2xx} requests were not answered 2xx:\n${w.output}`);
      }
    }
    console.log();
    for (const b of builds) {
      const sorted = [...b.perRequestUs].sort((x, y) => x - y);
      const mid = sorted.length / 2;
      const median = sorted.length % 2 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
      console.log(
        `  ${b.label.padEnd(10)} median ${fmt(median, 1)} µs/request ` +
          `(rounds: ${b.perRequestUs.map((u) => fmt(u, 1)).join(', ')})`,
      );
    }
  } finally {
    await stopAll(builds.flatMap((b) => (b.child ? [b.child] : [])));
    await pool.end();
    await dropDatabase(run.dbUrl).catch(() => undefined);
    await dropKeys(run);
    rmSync(tokenDir, { recursive: true, force: true });
  }
}

/** The run's Redis keys (the stream the API published to), gone. */
async function dropKeys(run: BenchRun): Promise<void> {
  const redis = new Redis(run.redisUrl, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${run.prefix}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } catch (err) {
    console.warn(`could not remove the run's Redis keys (${run.prefix}*): ${String(err)}`);
  } finally {
    redis.disconnect();
  }
}

main().catch((err: unknown) => {
  console.error(`bench-osmand-cpu failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
