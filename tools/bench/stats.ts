import { readFileSync } from 'node:fs';

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
