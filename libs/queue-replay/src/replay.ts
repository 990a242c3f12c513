import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { publishStaged, streamEntry, type PublishOptions } from './outbox';

export interface ReplayOptions extends PublishOptions {
  /** Rows younger than this are left alone: they are most likely still on their way. */
  graceMs: number;
  /** Replays every unprocessed row received since this instant, whatever its age (`--since`). */
  since?: Date;
  batchSize?: number;
  /** Stops after this many rows (one pass of the periodic job). */
  limit?: number;
}

/**
 * Republishes staging rows that were accepted but never processed: Redis was down when they came,
 * lost them (FLUSHALL, failover), or trimmed them. Writes are idempotent, so a row that was merely
 * slow is harmless to publish twice. Returns how many rows were republished.
 */
export async function replayUnprocessed(pool: Pool, redis: Redis, options: ReplayOptions): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  let afterId = '0';
  let total = 0;
  for (;;) {
    const take = Math.min(batchSize, (options.limit ?? Number.MAX_SAFE_INTEGER) - total);
    if (take <= 0) break;
    const res = await pool.query<{ id: string; payload: string; n: number }>(
      `SELECT id::text AS id, payload::text AS payload, position_count AS n FROM ingest_staging
        WHERE processed_at IS NULL AND id > $1::bigint
          AND (received_at < now() - make_interval(secs => $2::double precision / 1000) OR received_at >= $3::timestamptz)
        ORDER BY id LIMIT $4`,
      [afterId, options.graceMs, options.since ?? 'infinity', take],
    );
    if (!res.rows.length) break;
    const pipeline = redis.pipeline();
    for (const row of res.rows) {
      const [key, ...args] = streamEntry({ id: row.id, count: row.n, payload: row.payload }, options);
      pipeline.xadd(key as string, ...args);
    }
    const results = await pipeline.exec();
    const failed = results?.find(([err]) => err);
    if (failed) throw failed[0];
    const ids = res.rows.map((r) => r.id);
    await pool.query('UPDATE ingest_staging SET attempts = attempts + 1 WHERE id = ANY($1::bigint[])', [ids]);
    total += res.rows.length;
    afterId = ids[ids.length - 1];
    if (res.rows.length < take) break;
  }
  return total;
}

/** Deletes processed staging rows older than the retention period; returns how many. */
export async function purgeProcessed(
  pool: Pool,
  options: { olderThanMs: number; batchSize?: number },
): Promise<number> {
  let total = 0;
  for (;;) {
    const res = await pool.query(
      `DELETE FROM ingest_staging WHERE id IN (
         SELECT id FROM ingest_staging
          WHERE processed_at IS NOT NULL AND processed_at < now() - make_interval(secs => $1::double precision / 1000)
          LIMIT $2)`,
      [options.olderThanMs, options.batchSize ?? 5_000],
    );
    total += res.rowCount ?? 0;
    if ((res.rowCount ?? 0) < (options.batchSize ?? 5_000)) return total;
  }
}

export { publishStaged };
