/**
 * `nx run tools:bench-live` — live latency, end to end: with N Server-Sent Events clients connected
 * to GET /api/v1/live, positions are ingested at a fixed rate (one position a POST /api/v1/positions,
 * open loop), and for each position the time from its 202 to its arrival on the SSE stream is
 * measured at several of the clients (spread over the connection order, the last one included).
 * Every client receives every position of the organization (no vehicle filter): the worst case.
 *
 * The clients and the load run in child processes of their own (tools/bench/live-readers.ts, the
 * clients split over --reader-processes; tools/bench/live-load.ts), so that neither competes with
 * the other nor with this process adding up; they report their times back (epoch ms, one clock).
 * The load is open loop: request k is due at start + k / rate, its ingest latency counts from then.
 *
 * It creates a fresh database (fleet_bench_live), starts the real API and worker as processes with
 * their default settings, bundled as production runs them (bundleService, as bench-trackers does),
 * prints p50/p95/p99 of both latencies, where the 202 → SSE time goes (worker: 202 → published, the
 * live-log id's Redis time; API fan-out: published → arrival), the CPU each part used, and the ratio
 * to a same-run raw-PostgreSQL baseline (tools/bench/stats.ts); it exits non-zero when a p99 misses
 * its target (SSE 250 ms, ingest 50 ms), when a position never arrived, or when the ingest rate was
 * not reached.
 *
 * Options: --clients=N (200), --rate=N positions/s (1000), --seconds=N (20), --warmup=N seconds (5),
 *          --vehicles=N (1000),
 *          --measuring=N clients that parse and time every message (8), --target-p99=ms (250),
 *          --target-ingest-p99=ms (50), --reader-processes=N (2),
 *          --drain=N seconds to wait for positions still on their way after the load (10)
 * BENCH_WORKER_X=v passes X=v to the worker, BENCH_CPU_PROFILE=dir profiles both (as bench-ingest);
 * API_WORKERS (default: the core count), LIVE_WORKERS (1) and LIVE_COALESCE_MS reach the API as they
 * are. The clients read the API's LIVE_PORT (the live streams on processes of their own, as deployed);
 * LIVE_PORT=off reads them from the main port, in the ingest processes' event loop. A position
 * coalesced away (a newer one of its vehicle sent in the same write) counts as arrived with that
 * newer one.
 *
 * The queries benchmark runs this script as it is; `createLiveFleet` (an organization of its own in any
 * database), `measureLiveLatency` (against an API and worker already running) and
 * `formatLiveLatency`/`liveLatencyFailures` are its parts.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { generateDeviceToken, hashDeviceToken, hashPassword } from '@fleet/auth';
import { dropDatabase, ensureDatabase, runMigrations } from '@fleet/db';
import { CLUSTER_ROLE_ENV } from '@fleet/runtime';
import { bundleService, freePort } from '@fleet/runtime/testing';
import pg from 'pg';
import type { Ack, FromLoad, ToLoad } from './live-load';
import type { Arrival, FromReaders, ToReaders } from './live-readers';
import {
  BASELINE_LABEL,
  bucketQuantiles,
  endToEndBuckets,
  fmt,
  percentile,
  rawPostgresBaseline,
  workerEnv,
} from './stats';
import { cpuSeconds, processTree } from './trackers';

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
  /** Child processes the clients are split over. */
  readerProcesses: number;
  /** How long to wait, after the load, for positions still on their way. */
  drainSeconds: number;
  targetP99Ms: number;
  targetIngestP99Ms: number;
}

export const DEFAULT_LIVE_OPTIONS: LiveLatencyOptions = {
  clients: 200,
  rate: 1_000,
  seconds: 20,
  // Long enough to leave out the start-up transient: the first ~4 s after the API starts and every
  // vehicle opens its connection and is looked up for the first time (1,000 at once) answer in up to
  // ~2 s; the target is the steady state (docs/performance.md, "p99 by second").
  warmupSeconds: 5,
  measuring: 8,
  readerProcesses: 2,
  drainSeconds: 10,
  targetP99Ms: 250,
  targetIngestP99Ms: 50,
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
  /** Requests not answered 202 (or failed, or never answered) during the whole run. */
  failed: number;
  /** Those failures by HTTP status or error code. */
  failures: Record<string, number>;
  achievedRate: number;
  /** Per (measured position × measuring client), 202 → SSE arrival, ms, sorted. */
  latenciesMs: number[];
  /** The same pairs split at the live-log id's time (XADD, as the worker publishes), ms, sorted each. */
  split: { toPublishedMs: number[]; publishedToArrivalMs: number[] };
  /** Measured positions that never reached some measuring client within the drain time. */
  missing: number;
  /** Ingest request latency (due → 202, open loop), ms, sorted. */
  ingestMs: number[];
  /** Of which the load generator's own lateness (due → sent): p99 and max, ms, whole run. */
  generatorLate: { p99: number; max: number };
  /** The measured requests' wait for a connection (sent → on a connected socket), and the rest (→ 202), ms, sorted. */
  ingestSplit: { connectionMs: number[]; serverMs: number[] };
  /** Ingest latency p99 (ms) per second of the measured window, by due time: where in the run the tail is. */
  ingestP99BySecond: number[];
  /** TCP connections the load generator opened. */
  connections: number;
  /** Bytes received by the least- and most-served client (every client should get the same). */
  bytesPerClient: { min: number; max: number };
  /**
   * The worker's share, from its ingest_end_to_end_seconds histogram (staging insert → committed,
   * published and acknowledged), over the whole run; when the worker's metrics URL was given.
   */
  worker?: { p50: number; p99: number; batches: number };
  /**
   * The API's own time for the ingest requests answered 202, from its http_request_duration_seconds
   * histogram (router to answer: device lookup, staging commit, stream), whole run; the rest of the
   * ingest latency is waiting (connection, event loop) before the handler runs.
   */
  apiHandler?: { p50: number; p99: number; batches: number };
  /** Cores used on average during the load (warm-up included), per part; when their pids were given. */
  cpu?: Record<string, number>;
  /** The same-run raw-PostgreSQL baseline (stats.ts), rows/s; the stand-alone run measures it after the load. */
  baselineRowsPerSecond?: number;
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

async function signIn(base: URL, email: string, password: string): Promise<string> {
  const res = await fetch(new URL('/api/v1/auth/login', base), {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
}

/** Cumulative buckets of the API's request histogram for POST /api/v1/positions answered 202 (summed over its processes). */
async function ingestHandlerBuckets(metricsUrl: string): Promise<Map<number, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const buckets = new Map<number, number>();
  for (const [, labels, count] of text.matchAll(/^http_request_duration_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
    if (
      !/method="POST"/.test(labels) ||
      !/route="\/api\/v1\/positions"/.test(labels) ||
      !/status_code="202"/.test(labels)
    )
      continue;
    const le = /le="([^"]+)"/.exec(labels)?.[1] ?? '+Inf';
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(count));
  }
  return buckets;
}

/** A child process of this benchmark (readers or load), run with tsx like this script. */
function forkPart(file: string): ChildProcess {
  return fork(path.join(__dirname, file), [], {
    execArgv: ['--import', 'tsx'],
    env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.base.json' },
    cwd: path.resolve(__dirname, '../..'),
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

const nowMs = () => performance.timeOrigin + performance.now();

const LIVE_WORKERS_PART = 'API live workers';
/** Whether a process is one of the API's 'live' cluster workers (its role is in its environment). */
function isLiveWorker(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(`${CLUSTER_ROLE_ENV}=live`);
  } catch {
    return false; // gone meanwhile
  }
}

/**
 * Runs the measurement against an API (and a worker publishing live) already running, with a fleet
 * from `createLiveFleet` in its database.
 */
export async function measureLiveLatency(
  apiUrl: string,
  fleet: LiveFleet,
  partial: Partial<LiveLatencyOptions> = {},
  extra: {
    workerMetricsUrl?: string;
    pids?: Record<string, number | undefined>;
    /** Where the SSE clients connect (the API's LIVE_PORT); default `apiUrl`. */
    liveUrl?: string;
  } = {},
): Promise<LiveLatencyResult> {
  const options = { ...DEFAULT_LIVE_OPTIONS, ...partial };
  const base = new URL(apiUrl);
  const accessToken = await signIn(base, fleet.email, fleet.password);
  const children: ChildProcess[] = [];
  // A child that fails rejects whatever is awaited with `failure` instead of leaving it hanging.
  let fail!: (err: Error) => void;
  const failure = new Promise<never>((_, reject) => (fail = reject));
  failure.catch(() => undefined);
  let finished = false;
  const watch = (child: ChildProcess, name: string) => {
    child.on('exit', (code, signal) => {
      if (!finished && code !== 0) fail(new Error(`${name} process exited with ${code ?? signal}`));
    });
    child.on('message', (m: FromReaders | FromLoad) => {
      if (m.type === 'error') fail(new Error(`${name}: ${m.message}`));
    });
  };

  try {
    // Arrivals per measuring client: key → [arrived at, published at].
    const arrivals: Array<Map<string, [number, number]>> = [];
    // Per measuring client, each vehicle's arrivals in order ([fix ts, at, published]): a position
    // superseded within a stream's coalescing window is never sent, the vehicle's newer one stands for it.
    const byVehicle: Array<Map<string, Array<[number, number, number]>>> = [];
    const measuringEvery = Math.max(1, Math.floor(options.clients / Math.max(1, options.measuring)));
    const plan: Array<Array<{ index: number; measures: boolean }>> = Array.from(
      { length: Math.max(1, options.readerProcesses) },
      () => [],
    );
    let measuringCount = 0;
    for (let i = 0; i < options.clients; i++) {
      // Spread over the connection order, the last connected included.
      const measures = (options.clients - 1 - i) % measuringEvery === 0 && measuringCount < options.measuring;
      const index = measures ? measuringCount++ : -1;
      if (measures) {
        arrivals.push(new Map());
        byVehicle.push(new Map());
      }
      plan[i % plan.length].push({ index, measures });
    }
    const onArrivals = (items: Arrival[]) => {
      for (const [client, vehicle, ts, published, at] of items) {
        arrivals[client].set(`${vehicle}|${ts}`, [at, published]);
        const list = byVehicle[client].get(vehicle);
        if (list) list.push([ts, at, published]);
        else byVehicle[client].set(vehicle, [[ts, at, published]]);
      }
    };
    const bytes: number[] = [];
    const readers = plan.map((clients, n) => {
      const child = forkPart('live-readers.ts');
      children.push(child);
      watch(child, `SSE readers ${n + 1}`);
      let stopped: () => void;
      const done = new Promise<void>((resolve) => (stopped = resolve));
      const connected = new Promise<void>((resolve) => {
        child.on('message', (m: FromReaders) => {
          if (m.type === 'connected') resolve();
          else if (m.type === 'arrivals') onArrivals(m.items);
          else if (m.type === 'bytes') {
            bytes.push(...m.perClient);
            stopped();
          }
        });
      });
      child.send({ type: 'connect', apiUrl: extra.liveUrl ?? apiUrl, accessToken, clients } satisfies ToReaders);
      return { child, connected, done };
    });
    await Promise.race([Promise.all(readers.map((r) => r.connected)), failure]);

    const workerBefore = extra.workerMetricsUrl ? await endToEndBuckets(extra.workerMetricsUrl) : undefined;
    const apiMetricsUrl = new URL('/metrics', base).toString();
    const apiBefore = await ingestHandlerBuckets(apiMetricsUrl).catch(() => undefined);
    const load = forkPart('live-load.ts');
    children.push(load);
    watch(load, 'load generator');
    const acks = new Map<string, number>();
    const ingestMs: number[] = [];
    const connectionMs: number[] = [];
    const serverMs: number[] = [];
    const ingestBySecond: number[][] = [];
    const loadDone = new Promise<Extract<FromLoad, { type: 'done' }>>((resolve) => {
      load.on('message', (m: FromLoad) => {
        if (m.type === 'acks') {
          for (const [vehicle, ts, due, left, at, onSocket] of m.items as Ack[]) {
            acks.set(`${vehicle}|${ts}`, at);
            ingestMs.push(at - due);
            const second = Math.floor((due - startAt) / 1000) - options.warmupSeconds;
            (ingestBySecond[second] ??= []).push(at - due);
            if (Number.isFinite(onSocket)) {
              connectionMs.push(onSocket - left);
              serverMs.push(at - onSocket);
            }
          }
        } else if (m.type === 'done') resolve(m);
      });
    });
    // The child needs a moment to load tsx and its modules: the first request is due a little later.
    const startAt = nowMs() + 1_500;
    load.send({
      type: 'start',
      apiUrl,
      vehicles: fleet.vehicles,
      rate: options.rate,
      warmupSeconds: options.warmupSeconds,
      seconds: options.seconds,
      startAt,
    } satisfies ToLoad);
    // With a live port, the API's live workers apart from the rest of its processes.
    const liveApart = extra.liveUrl !== undefined && extra.pids?.['API'] !== undefined;
    const parts = Object.entries({
      ...extra.pids,
      ...(liveApart ? { [LIVE_WORKERS_PART]: extra.pids?.['API'] } : {}),
      'SSE readers': undefined,
      'load generator': load.pid,
    });
    const pidsOf = (name: string, pid: number | undefined) =>
      name === 'SSE readers'
        ? readers.map((r) => r.child.pid ?? 0)
        : name === LIVE_WORKERS_PART
          ? processTree(pid).filter(isLiveWorker)
          : name === 'API' && liveApart
            ? processTree(pid).filter((p) => !isLiveWorker(p))
            : processTree(pid);
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - nowMs())));
    const cpuBefore = parts.map(([name, pid]) => cpuSeconds(pidsOf(name, pid)));
    const loaded = await Promise.race([loadDone, failure]);
    const cpuAfter = parts.map(([name, pid]) => cpuSeconds(pidsOf(name, pid)));
    const loadSeconds = (nowMs() - startAt) / 1000;

    // Let the last positions arrive, then count what never did.
    const drainUntil = performance.now() + options.drainSeconds * 1000;
    /** When client `i` had position `key` (or a newer one of its vehicle): [at, published], or undefined. */
    const arrivedAt = (i: number, key: string): [number, number] | undefined => {
      const at = arrivals[i].get(key);
      if (at !== undefined) return at;
      const [vehicle, ts] = key.split('|');
      const later = byVehicle[i].get(vehicle)?.find(([t]) => t > Number(ts));
      return later && [later[1], later[2]];
    };
    const allArrived = () => [...acks.keys()].every((key) => arrivals.every((_, i) => arrivedAt(i, key) !== undefined));
    while (performance.now() < drainUntil && !allArrived()) await new Promise((r) => setTimeout(r, 100));
    for (const r of readers) r.child.send({ type: 'stop' } satisfies ToReaders);
    await Promise.race([Promise.all(readers.map((r) => r.done)), failure]);

    const latenciesMs: number[] = [];
    const toPublishedMs: number[] = [];
    const publishedToArrivalMs: number[] = [];
    let missing = 0;
    for (const [key, ack] of acks) {
      for (let i = 0; i < arrivals.length; i++) {
        const got = arrivedAt(i, key);
        if (got === undefined) {
          missing++;
          continue;
        }
        const [at, published] = got;
        latenciesMs.push(Math.max(0, at - ack));
        if (Number.isFinite(published)) {
          toPublishedMs.push(published - ack);
          publishedToArrivalMs.push(at - published);
        }
      }
    }
    for (const list of [latenciesMs, toPublishedMs, publishedToArrivalMs, ingestMs, connectionMs, serverMs])
      list.sort((a, b) => a - b);
    const worker =
      extra.workerMetricsUrl && workerBefore
        ? bucketQuantiles(workerBefore, await endToEndBuckets(extra.workerMetricsUrl))
        : undefined;
    const apiAfter = apiBefore && (await ingestHandlerBuckets(apiMetricsUrl).catch(() => undefined));
    const apiHandler = apiBefore && apiAfter?.size ? bucketQuantiles(apiBefore, apiAfter) : undefined;
    return {
      options,
      vehicles: fleet.vehicles.length,
      accepted: loaded.accepted,
      failed: loaded.failed,
      failures: loaded.failures,
      achievedRate: loaded.accepted / options.seconds,
      latenciesMs,
      split: { toPublishedMs, publishedToArrivalMs },
      missing,
      ingestMs,
      generatorLate: { p99: loaded.lateP99Ms, max: loaded.lateMaxMs },
      ingestSplit: { connectionMs, serverMs },
      ingestP99BySecond: Array.from(ingestBySecond, (list) => {
        const sorted = (list ?? []).sort((a, b) => a - b);
        return sorted.length ? percentile(sorted, 99) : NaN;
      }),
      connections: loaded.connections,
      bytesPerClient: { min: Math.min(...bytes), max: Math.max(...bytes) },
      worker,
      apiHandler,
      cpu: Object.fromEntries(parts.map(([name], k) => [name, (cpuAfter[k] - cpuBefore[k]) / loadSeconds])),
    };
  } finally {
    finished = true;
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  }
}

export function formatLiveLatency(r: LiveLatencyResult): string[] {
  const l = r.latenciesMs;
  const q = (list: number[], digits = 1) =>
    `p50 ${fmt(percentile(list, 50), digits)} ms, p95 ${fmt(percentile(list, 95), digits)} ms, ` +
    `p99 ${fmt(percentile(list, 99), digits)} ms`;
  return [
    `bench-live: ${r.options.clients} SSE clients in ${r.options.readerProcesses} processes ` +
      `(${r.options.measuring} timing every message), ${fmt(r.options.rate, 0)} positions/s open loop from ` +
      `${r.vehicles} vehicles in a process of its own, ${r.options.seconds} s measured after ` +
      `${r.options.warmupSeconds} s warm-up, machine: ${os.cpus().length} cores`,
    `  ingested            ${r.accepted.toLocaleString('en-US')} positions answered 202 (${fmt(r.achievedRate, 0)}/s), ${r.failed} failed` +
      (r.failed
        ? ` (${Object.entries(r.failures)
            .map(([why, n]) => `${why}: ${n}`)
            .join(', ')})`
        : ''),
    `  ingest 202          ${q(r.ingestMs, 2)}, max ${fmt(r.ingestMs[r.ingestMs.length - 1] ?? NaN)} ms ` +
      `(from each request's due time; target p99 < ${r.options.targetIngestP99Ms} ms)`,
    `    generator late    p99 ${fmt(r.generatorLate.p99, 2)} ms, max ${fmt(r.generatorLate.max)} ms (due → sent, whole run)`,
    `    to a connection   ${q(r.ingestSplit.connectionMs, 2)} (sent → on a connected socket; ` +
      `${r.connections.toLocaleString('en-US')} connections opened)`,
    `    server            ${q(r.ingestSplit.serverMs, 2)} (on the socket → 202)`,
    `    p99 by second     ${r.ingestP99BySecond.map((v) => fmt(v, 0)).join(' ')} ms (measured window, by due time)`,
    ...(r.apiHandler
      ? [
          `    API handler       p50 ${fmt(r.apiHandler.p50)} ms, p99 ${fmt(r.apiHandler.p99)} ms of it in the handler ` +
            `(its http_request_duration_seconds, coarse buckets, whole run: device lookup, staging commit, stream; ` +
            `the rest is waiting for the event loop)`,
        ]
      : []),
    `  202 → SSE message   ${q(l)}, max ${fmt(l[l.length - 1] ?? NaN)} ms ` +
      `(${l.length.toLocaleString('en-US')} arrivals; target p99 < ${r.options.targetP99Ms} ms)`,
    `    202 → published   ${q(r.split.toPublishedMs)} (worker: read, commit, publish; the live-log id's Redis ms)`,
    `    published → SSE   ${q(r.split.publishedToArrivalMs)} (API: subscriber, fan-out, coalescing window, socket)`,
    ...(r.worker
      ? [
          `  worker histogram    p50 ${fmt(r.worker.p50)} ms, p99 ${fmt(r.worker.p99)} ms staging → committed and ` +
            `published (${r.worker.batches.toLocaleString('en-US')} messages, whole run)`,
        ]
      : []),
    ...(r.cpu
      ? [
          `  CPU (cores, load)   ` +
            Object.entries(r.cpu)
              .map(([name, cores]) => `${name} ${fmt(cores, 2)}`)
              .join(', '),
        ]
      : []),
    `  never arrived       ${r.missing}`,
    ...(r.baselineRowsPerSecond
      ? [
          `  raw PostgreSQL      ${fmt(r.baselineRowsPerSecond, 0)} rows/s (${BASELINE_LABEL}, same number of rows)`,
          `  ratio               ${fmt(r.achievedRate / r.baselineRowsPerSecond, 3)}× that baseline (the rate is ` +
            `the one asked for, one position a request: no target on the ratio)`,
        ]
      : []),
    `  bytes per client    ${fmt(r.bytesPerClient.min / 1e6, 2)}–${fmt(r.bytesPerClient.max / 1e6, 2)} MB`,
  ];
}

/** Why the run misses the acceptance criterion; empty when it meets it. */
export function liveLatencyFailures(r: LiveLatencyResult): string[] {
  const failures: string[] = [];
  const p99 = percentile(r.latenciesMs, 99);
  if (!(p99 < r.options.targetP99Ms)) failures.push(`202 → SSE p99 ${fmt(p99)} ms ≥ ${r.options.targetP99Ms} ms`);
  const ingestP99 = percentile(r.ingestMs, 99);
  if (!(ingestP99 < r.options.targetIngestP99Ms)) {
    failures.push(`ingest 202 p99 ${fmt(ingestP99, 2)} ms ≥ ${r.options.targetIngestP99Ms} ms`);
  }
  if (r.missing > 0) failures.push(`${r.missing} position arrivals missing`);
  if (r.achievedRate < r.options.rate * 0.95) {
    failures.push(`ingest rate ${fmt(r.achievedRate, 0)}/s below the ${r.options.rate}/s asked`);
  }
  if (r.failed > 0) failures.push(`${r.failed} ingest requests failed`);
  return failures;
}

// ---- the stand-alone run: its own database and processes --------------------------------------

const root = path.resolve(__dirname, '../..');

/**
 * A service bundled as production runs it (bundleService: one esbuild file, node_modules external; as
 * bench-trackers and bench-osmand start theirs), not its sources through tsx, whose loader and
 * unbundled module graph cost CPU and memory that production does not spend.
 */
function startService(file: string, env: Record<string, string>): ChildProcess {
  // BENCH_CPU_PROFILE=dir writes a V8 CPU profile of each service there (as bench-ingest does).
  const dir = process.env['BENCH_CPU_PROFILE'];
  const profile = dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
  return spawn(process.execPath, [...profile, file], {
    cwd: root,
    env: { ...process.env, APP_ENV: 'test', LOG_FORMAT: 'json', ...env },
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
  // The live streams on the API's LIVE_PORT (processes of their own, as deployed); LIVE_PORT=off
  // measures them on the main port, in the ingest processes' event loop.
  const livePort = process.env['LIVE_PORT'] === 'off' ? undefined : await freePort();
  const common = { DATABASE_URL: dbUrl, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, LOG_LEVEL: 'warn' };
  const [apiBundle, workerBundle] = [
    await bundleService('apps/api/src/main.ts', { outDir: 'tools/bench', name: 'live-api' }),
    await bundleService('apps/worker/src/main.ts', { outDir: 'tools/bench', name: 'live-worker' }),
  ];
  const api = startService(apiBundle, {
    ...common,
    PORT: String(apiPort),
    HOST: '127.0.0.1',
    OSMAND_PORT: 'off',
    LIVE_PORT: livePort === undefined ? 'off' : String(livePort),
    // As in production (APP_ENV=test alone would mean one process): a process per core for the main
    // port; API_WORKERS=1 measures the single process.
    API_WORKERS: process.env['API_WORKERS'] ?? String(os.availableParallelism()),
    DB_POOL_MAX: '16',
    // The clients stand for many dashboards of one organization but share one user's token: lift the
    // per-user and per-organization stream limits (10 and 200 by default) to the number of clients.
    LIVE_MAX_STREAMS_PER_USER: String(clients),
    LIVE_MAX_STREAMS_PER_ORG: String(clients),
  });
  const worker = startService(workerBundle, {
    ...common,
    METRICS_PORT: String(workerPort),
    HOST: '127.0.0.1',
    ...workerEnv(),
  });
  const exited = (c: ChildProcess) => (c.exitCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r)));
  const stopServices = async () => {
    api.kill('SIGTERM');
    worker.kill('SIGTERM');
    await Promise.race([Promise.all([exited(api), exited(worker)]), new Promise((r) => setTimeout(r, 15_000))]);
  };
  try {
    await waitReady(`http://127.0.0.1:${apiPort}/ready`, api);
    if (livePort !== undefined) await waitReady(`http://127.0.0.1:${livePort}/ready`, api);
    await waitReady(`http://127.0.0.1:${workerPort}/ready`, worker);
    const result = await measureLiveLatency(`http://127.0.0.1:${apiPort}`, fleet, partial, {
      workerMetricsUrl: `http://127.0.0.1:${workerPort}/metrics`,
      pids: { API: api.pid, worker: worker.pid },
      liveUrl: livePort === undefined ? undefined : `http://127.0.0.1:${livePort}`,
    });
    // The baseline once the services are gone, in the same database: the same machine, minutes apart.
    await stopServices();
    const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
    try {
      result.baselineRowsPerSecond = await rawPostgresBaseline(pool, Math.max(1_000, result.accepted));
    } finally {
      await pool.end();
    }
    return result;
  } finally {
    await stopServices();
    await dropDatabase(dbUrl).catch(() => undefined);
  }
}

async function main() {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.clients) },
      rate: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.rate) },
      seconds: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.seconds) },
      warmup: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.warmupSeconds) },
      vehicles: { type: 'string', default: '1000' },
      measuring: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.measuring) },
      'target-p99': { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.targetP99Ms) },
      'target-ingest-p99': { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.targetIngestP99Ms) },
      'reader-processes': { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.readerProcesses) },
      drain: { type: 'string', default: String(DEFAULT_LIVE_OPTIONS.drainSeconds) },
    },
  });
  const result = await runLiveLatencyBench({
    clients: Number(values.clients),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    warmupSeconds: Number(values.warmup),
    vehicles: Number(values.vehicles),
    measuring: Number(values.measuring),
    targetP99Ms: Number(values['target-p99']),
    targetIngestP99Ms: Number(values['target-ingest-p99']),
    readerProcesses: Number(values['reader-processes']),
    drainSeconds: Number(values.drain),
  });
  for (const line of formatLiveLatency(result)) console.log(line);
  const failures = liveLatencyFailures(result);
  console.log(
    failures.length
      ? `FAIL: ${failures.join('; ')}`
      : `PASS: 202 → SSE p99 < ${result.options.targetP99Ms} ms, ingest 202 p99 < ${result.options.targetIngestP99Ms} ms`,
  );
  process.exit(failures.length ? 1 : 0);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`bench-live failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
