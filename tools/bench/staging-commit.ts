/**
 * `npx nx run tools:bench-staging-commit` — the staging commit alone: StagingWriter (@fleet/queue-replay)
 * driven directly against a database of its own (`fleet_bench_staging`), without HTTP, Redis or the
 * worker. N closed-loop callers each stage one OsmAnd-like fix, wait for its commit, and stage the
 * next, as bench-osmand's connections do. Several writer policies run in the same session, their runs
 * interleaved round by round (the order rotates), so a change of load on a shared machine hits them
 * alike. A script that prints figures, not a test; run it alone.
 *
 * Per run: positions/s, latency of stage() p50/p90/p99 (ms), positions per staging row, commits per
 * second, PostgreSQL backend CPU per position (utime + stime of the pool's backends, /proc/<pid>/stat;
 * the server must be local), this process's CPU per position, and the server's WAL fsyncs per second
 * (pg_stat_wal: the whole server's, other databases' included). Then the median of each figure over
 * the rounds, per policy and caller count.
 *
 * Options: --callers=64,256  --seconds=N per run (3)  --warmup=N seconds before each run (0.5)
 *          --rounds=N (4)  --writers=N writers splitting the callers, each with its own pool, like
 *          the API's OsmAnd processes (1)  --pool=N connections per writer (10, the API's DB_POOL_MAX)
 *          --policy=label:key=value,… (repeatable; keys of StagingWriterOptions, `Infinity` allowed).
 *          Default policies: full (overlapAfter=Infinity, maxConcurrentCommits=2: the writer's default,
 *          as the API and the tracker gateway run it) and overlap (overlapAfter=0.5, the same slots).
 *          --think=ms a caller's pause between an answer and its next fix, uniform over 0–2× (1; what
 *          the HTTP round trip and the API's event loop add between a phone's requests — without it
 *          every caller answered by a commit stages again in the same tick, and commits never overlap)
 *          --background=N rows a statement of other WAL traffic, back to back on one connection (0:
 *          none; bench-osmand has the worker writing positions meanwhile, and its fsyncs are longer)
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dropDatabase, ensureDatabase, runMigrations } from '@fleet/db';
import { StagingWriter, type StagingWriterOptions } from '@fleet/queue-replay';
import pg from 'pg';
import { fmt, percentile } from './stats';

const { values: args } = parseArgs({
  options: {
    callers: { type: 'string', default: '64,256' },
    seconds: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '0.5' },
    rounds: { type: 'string', default: '4' },
    writers: { type: 'string', default: '1' },
    pool: { type: 'string', default: '10' },
    policy: { type: 'string', multiple: true },
    think: { type: 'string', default: '1' },
    background: { type: 'string', default: '0' },
  },
});
const CALLERS = args.callers.split(',').map(Number);
const SECONDS = Number(args.seconds);
const WARMUP = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const WRITERS = Number(args.writers);
const POOL = Number(args.pool);
const THINK = Number(args.think);
const BACKGROUND = Number(args.background);
const VEHICLES = 1000;
const serverUrl = process.env['DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbUrl = serverUrl.replace(/\/[^/]*$/, '/fleet_bench_staging');
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

interface Policy {
  label: string;
  options: Partial<StagingWriterOptions>;
}

function parsePolicy(text: string): Policy {
  const [label, spec = ''] = text.split(':');
  const options: Record<string, number> = {};
  for (const pair of spec.split(',').filter(Boolean)) {
    const [key, value] = pair.split('=');
    options[key] = value === 'Infinity' ? Infinity : Number(value);
    if (Number.isNaN(options[key])) throw new Error(`--policy ${text}: ${key} is not a number`);
  }
  return { label, options };
}

const POLICIES: Policy[] = (
  args.policy ?? [
    'full:overlapAfter=Infinity,maxConcurrentCommits=2',
    'overlap:overlapAfter=0.5,maxConcurrentCommits=2',
  ]
).map(parsePolicy);

/** CPU seconds (user + system) of each process, from /proc/<pid>/stat (gone: absent). */
function cpuOf(pids: number[]): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const pid of pids) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
      cpu.set(pid, (Number(fields[11]) + Number(fields[12])) / CLK_TCK);
    } catch {
      // gone
    }
  }
  return cpu;
}

async function backendPids(admin: pg.Pool, application: string): Promise<number[]> {
  const res = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [
    application,
  ]);
  return res.rows.map((r) => r.pid);
}

async function walSyncs(admin: pg.Pool): Promise<number> {
  return Number((await admin.query<{ n: string }>('SELECT wal_sync AS n FROM pg_stat_wal')).rows[0].n);
}

interface Figures {
  rate: number;
  p50: number;
  p90: number;
  p99: number;
  perRow: number;
  commitsPerSecond: number;
  backendUs: number;
  clientUs: number;
  fsyncsPerSecond: number;
}

const org = randomUUID();
const vehicles = Array.from({ length: VEHICLES }, () => randomUUID());
let seq = 0;
/** One OsmAnd fix as the API stages it (Traccar Client's fields), each (vehicle, time) new. */
function fix() {
  const n = seq++;
  return {
    protocol: 'osmand',
    positions: [
      {
        vehicleId: vehicles[n % VEHICLES],
        organizationId: org,
        ts: Date.UTC(2026, 0, 1) + n * 1000,
        lat: 40.4 + (n % 1000) / 1e5,
        lon: -3.7 - (n % 777) / 1e5,
        speedKmh: n % 90,
        heading: n % 360,
        altitude: 650,
        accuracy: 5,
        battery: 80,
      },
    ],
  };
}

let runNo = 0;

async function run(admin: pg.Pool, policy: Policy, callers: number): Promise<Figures> {
  const application = `bench-staging-${process.pid}-${++runNo}`;
  const pools = Array.from(
    { length: WRITERS },
    () => new pg.Pool({ connectionString: dbUrl, max: POOL, idleTimeoutMillis: 0, application_name: application }),
  );
  let commits = 0;
  const writers = pools.map((pool) => {
    const counting = Object.create(pool) as pg.Pool;
    counting.query = ((...a: Parameters<pg.Pool['query']>) => {
      commits++;
      return (pool.query as (...x: unknown[]) => unknown)(...a);
    }) as pg.Pool['query'];
    return new StagingWriter(counting, policy.options);
  });
  try {
    let phaseEnd = 0;
    let measuring = false;
    const latencies: number[] = [];
    const rows = new Set<string>();
    let positions = 0;
    const loop = async (writer: StagingWriter) => {
      while (performance.now() < phaseEnd) {
        if (THINK > 0) await new Promise((resolve) => setTimeout(resolve, Math.random() * 2 * THINK));
        const t0 = performance.now();
        const { staged } = await writer.stage(fix());
        if (!measuring) continue;
        latencies.push(performance.now() - t0);
        rows.add(staged.id);
        positions++;
      }
    };
    const phase = (seconds: number) => {
      phaseEnd = performance.now() + seconds * 1000;
      return Promise.all(Array.from({ length: callers }, (_, i) => loop(writers[i % WRITERS])));
    };
    if (WARMUP > 0) await phase(WARMUP);
    const pids = await backendPids(admin, application);
    const before = cpuOf(pids);
    const syncsBefore = await walSyncs(admin);
    const clientBefore = process.cpuUsage();
    commits = 0;
    measuring = true;
    const started = performance.now();
    await phase(SECONDS);
    const seconds = (performance.now() - started) / 1000;
    const client = process.cpuUsage(clientBefore);
    const syncs = (await walSyncs(admin)) - syncsBefore;
    const after = cpuOf(await backendPids(admin, application));
    let backend = 0;
    for (const [pid, cpu] of after) backend += cpu - (before.get(pid) ?? 0);
    latencies.sort((a, b) => a - b);
    return {
      rate: positions / seconds,
      p50: percentile(latencies, 50),
      p90: percentile(latencies, 90),
      p99: percentile(latencies, 99),
      perRow: positions / rows.size,
      commitsPerSecond: commits / seconds,
      backendUs: (backend * 1e6) / positions,
      clientUs: (client.user + client.system) / positions,
      fsyncsPerSecond: syncs / seconds,
    };
  } finally {
    await Promise.all(pools.map((p) => p.end()));
  }
}

/**
 * Other WAL traffic, like the worker's writes during bench-osmand: one connection inserting `rows`
 * rows a statement into an indexed table, back to back, so the staging commits' fsyncs carry more.
 */
function startBackground(rows: number): { stop: () => Promise<void> } {
  const pool = new pg.Pool({ connectionString: dbUrl, max: 1 });
  let stopping = false;
  const done = (async () => {
    await pool.query(
      'CREATE TABLE IF NOT EXISTS bench_background (id bigserial PRIMARY KEY, ts timestamptz NOT NULL, lat float8, lon float8, note text)',
    );
    await pool.query('CREATE INDEX IF NOT EXISTS bench_background_ts ON bench_background (ts)');
    while (!stopping) {
      await pool.query(
        `INSERT INTO bench_background (ts, lat, lon, note)
         SELECT now() + g * interval '1 ms', random() * 90, random() * 180, md5(g::text) FROM generate_series(1, $1) g`,
        [rows],
      );
      await pool.query('DELETE FROM bench_background WHERE id < (SELECT max(id) FROM bench_background) - 100000');
    }
  })();
  return {
    stop: async () => {
      stopping = true;
      await done;
      await pool.end();
    },
  };
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

function line(label: string, f: Figures): string {
  return [
    label.padEnd(22),
    fmt(f.rate, 0).padStart(8),
    fmt(f.p50, 2).padStart(7),
    fmt(f.p90, 2).padStart(7),
    fmt(f.p99, 2).padStart(7),
    fmt(f.perRow, 1).padStart(7),
    fmt(f.commitsPerSecond, 0).padStart(7),
    fmt(f.fsyncsPerSecond, 0).padStart(7),
    fmt(f.backendUs, 1).padStart(8),
    fmt(f.clientUs, 1).padStart(8),
  ].join(' ');
}
const HEADER = `${'policy, callers'.padEnd(22)} ${'pos/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p90 ms'.padStart(
  7,
)} ${'p99 ms'.padStart(7)} ${'pos/row'.padStart(7)} ${'commit/s'.padStart(7)} ${'fsync/s'.padStart(7)} ${'pg µs/pos'.padStart(
  8,
)} ${'node µs/pos'.padStart(8)}`;

async function main() {
  await dropDatabase(dbUrl).catch(() => undefined);
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  const admin = new pg.Pool({ connectionString: dbUrl, max: 1 });
  const results = new Map<string, Figures[]>();
  const background = BACKGROUND > 0 ? startBackground(BACKGROUND) : undefined;
  try {
    console.log(
      `staging commit: ${POLICIES.map((p) => p.label).join(', ')}; callers ${CALLERS.join(', ')}; ${WRITERS} writer(s) of ${POOL} connections; ${ROUNDS} rounds of ${SECONDS} s (${WARMUP} s warm-up)`,
    );
    console.log(HEADER);
    for (let round = 0; round < ROUNDS; round++) {
      for (const callers of CALLERS) {
        for (let i = 0; i < POLICIES.length; i++) {
          const policy = POLICIES[(i + round) % POLICIES.length];
          await admin.query('TRUNCATE ingest_staging');
          const figures = await run(admin, policy, callers);
          const key = `${policy.label}, ${callers}`;
          results.set(key, [...(results.get(key) ?? []), figures]);
          console.log(line(`${key} (r${round + 1})`, figures));
        }
      }
    }
    console.log(`\nmedians of ${ROUNDS} rounds`);
    console.log(HEADER);
    for (const callers of CALLERS) {
      for (const policy of POLICIES) {
        const all = results.get(`${policy.label}, ${callers}`) ?? [];
        const pick = (k: keyof Figures) => median(all.map((f) => f[k]));
        console.log(
          line(`${policy.label}, ${callers}`, {
            rate: pick('rate'),
            p50: pick('p50'),
            p90: pick('p90'),
            p99: pick('p99'),
            perRow: pick('perRow'),
            commitsPerSecond: pick('commitsPerSecond'),
            backendUs: pick('backendUs'),
            clientUs: pick('clientUs'),
            fsyncsPerSecond: pick('fsyncsPerSecond'),
          }),
        );
      }
    }
  } finally {
    await background?.stop();
    await admin.end();
    await dropDatabase(dbUrl).catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
