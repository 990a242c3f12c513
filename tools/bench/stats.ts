import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type pg from 'pg';

/** Nearest-rank percentile of an ascending array (NaN when empty). */
export const percentile = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;

/** A figure with a fixed number of decimals and thousands separators, as the benchmarks print them. */
export const fmt = (n: number, digits = 1) =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** Resident memory of a process in MB, from /proc (NaN when it is gone). */
export function rssMb(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  } catch {
    return NaN;
  }
}

/** Cumulative buckets of the worker's `ingest_end_to_end_seconds` histogram (staging insert → commit). */
export async function endToEndBuckets(metricsUrl: string): Promise<Map<number, number>> {
  const text = await (await fetch(metricsUrl)).text();
  const buckets = new Map<number, number>();
  for (const [, le, count] of text.matchAll(/^ingest_end_to_end_seconds_bucket\{[^}]*le="([^"]+)"[^}]*\} (\d+)/gm)) {
    buckets.set(le === '+Inf' ? Infinity : Number(le), Number(count));
  }
  return buckets;
}

/** p50/p99 (ms) of what a histogram observed between two snapshots, interpolated inside the buckets. */
export function bucketQuantiles(before: Map<number, number>, after: Map<number, number>) {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  const quantile = (q: number) => {
    const target = q * total;
    for (let i = 0; i < bounds.length; i++) {
      if (counts[i] < target) continue;
      const lo = i ? bounds[i - 1] : 0;
      const hi = Number.isFinite(bounds[i]) ? bounds[i] : lo;
      const below = i ? counts[i - 1] : 0;
      return (lo + ((hi - lo) * (target - below)) / (counts[i] - below || 1)) * 1000;
    }
    return NaN;
  };
  return { p50: quantile(0.5), p99: quantile(0.99), batches: total };
}

/**
 * The environment of an API or worker process a benchmark starts: this run's database, Redis key
 * prefix, test mode and JSON logs at warn, then `env` (ports, pool sizes…).
 */
export function serviceEnv(
  run: { dbUrl: string; redisUrl: string; prefix: string },
  env: Record<string, string> = {},
): NodeJS.ProcessEnv {
  return {
    ...process.env,
    APP_ENV: 'test',
    DATABASE_URL: run.dbUrl,
    REDIS_URL: run.redisUrl,
    REDIS_KEY_PREFIX: run.prefix,
    LOG_FORMAT: 'json',
    LOG_LEVEL: 'warn',
    ...env,
  };
}

/**
 * The raw-PostgreSQL baseline every ingestion benchmark compares with: `rows` rows inserted with a bare `pg` unnest insert,
 * 1,000 rows a statement, one connection, into a table like `positions` (same columns, primary key and
 * GiST index), rows/s. Measured twice and the better figure kept, for a conservative ratio.
 */
export async function rawPostgresBaseline(pool: pg.Pool, rows: number): Promise<number> {
  const once = async () => {
    await pool.query('DROP TABLE IF EXISTS bench_baseline');
    await pool.query('CREATE TABLE bench_baseline (LIKE positions INCLUDING ALL)');
    const client = await pool.connect();
    try {
      const vehicle = (await client.query<{ id: string }>('SELECT id FROM vehicles LIMIT 1')).rows[0].id;
      const base = Date.now() - 12 * 3_600_000;
      const started = performance.now();
      for (let done = 0; done < rows; done += 1000) {
        const n = Math.min(1000, rows - done);
        const ts: string[] = [];
        const lat: number[] = [];
        for (let k = 0; k < n; k++) {
          ts.push(new Date(base + (done + k) * 1000).toISOString());
          lat.push(40.3 + ((done + k) % 5000) / 50_000);
        }
        await client.query(
          `INSERT INTO bench_baseline (vehicle_id, ts, point, speed_kmh, heading, protocol)
           SELECT $1::uuid, t.ts, ST_SetSRID(ST_MakePoint(-3.7, t.lat), 4326), 42, 90, 'json'
             FROM unnest($2::timestamptz[], $3::float8[]) AS t(ts, lat)`,
          [vehicle, ts, lat],
        );
      }
      return rows / ((performance.now() - started) / 1000);
    } finally {
      client.release();
      await pool.query('DROP TABLE IF EXISTS bench_baseline');
    }
  };
  return Math.max(await once(), await once());
}

/**
 * A second baseline, for benchmarks whose rows carry more than bench-ingest's (the tracker gateway's
 * IO attributes, thousands of vehicles): up to `rows` of the rows this run stored, in the order they
 * were received, inserted again with a bare `pg` unnest insert of every column (attributes included),
 * 1,000 rows a statement, one connection, into a table created `LIKE positions INCLUDING ALL`. The same
 * rows raw, so the ratio prices the pipeline rather than the data. Measured twice, the better kept.
 */
export async function sameRowsBaseline(pool: pg.Pool, rows: number): Promise<number> {
  const { rows: sample } = await pool.query<{
    vehicle_id: string;
    ts: Date;
    lat: number;
    lon: number;
    speed_kmh: number | null;
    heading: number | null;
    altitude: number | null;
    accuracy: number | null;
    battery: number | null;
    protocol: string | null;
    attributes: string | null;
  }>(
    `SELECT vehicle_id, ts, ST_Y(point) AS lat, ST_X(point) AS lon, speed_kmh, heading, altitude, accuracy, battery,
            protocol, attributes::text AS attributes
       FROM positions ORDER BY received_at, vehicle_id, ts LIMIT $1`,
    [rows],
  );
  if (!sample.length) return NaN;
  const once = async () => {
    await pool.query('DROP TABLE IF EXISTS bench_baseline');
    await pool.query('CREATE TABLE bench_baseline (LIKE positions INCLUDING ALL)');
    const client = await pool.connect();
    try {
      const started = performance.now();
      for (let done = 0; done < sample.length; done += 1000) {
        const chunk = sample.slice(done, done + 1000);
        const col = <K extends keyof (typeof sample)[number]>(k: K) => chunk.map((r) => r[k]);
        await client.query(
          `INSERT INTO bench_baseline (vehicle_id, ts, point, speed_kmh, heading, altitude, accuracy, battery, protocol, attributes)
           SELECT v, t, ST_SetSRID(ST_MakePoint(lo, la), 4326), s, h, a, c, b, p, at
             FROM unnest($1::uuid[], $2::timestamptz[], $3::float8[], $4::float8[], $5::real[], $6::real[], $7::real[],
                         $8::real[], $9::real[], $10::text[], $11::jsonb[]) AS x(v, t, la, lo, s, h, a, c, b, p, at)`,
          [
            col('vehicle_id'),
            col('ts'),
            col('lat'),
            col('lon'),
            col('speed_kmh'),
            col('heading'),
            col('altitude'),
            col('accuracy'),
            col('battery'),
            col('protocol'),
            col('attributes'),
          ],
        );
      }
      return sample.length / ((performance.now() - started) / 1000);
    } finally {
      client.release();
      await pool.query('DROP TABLE IF EXISTS bench_baseline');
    }
  };
  return Math.max(await once(), await once());
}

export const SAME_ROWS_BASELINE_LABEL =
  'the rows this run stored, every column, bare pg unnest insert, 1,000 rows a statement, one connection';

export const BASELINE_LABEL = "bench-ingest's: bare pg unnest insert, 1,000 rows a statement, one connection";

/** BENCH_WORKER_X=v variables, as X=v for the worker under test (e.g. BENCH_WORKER_INGEST_CONCURRENCY=1). */
export function workerEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env)
      .filter(([k, v]) => k.startsWith('BENCH_WORKER_') && v !== undefined)
      .map(([k, v]) => [k.slice('BENCH_WORKER_'.length), v as string]),
  );
}
