import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { streamEntry, type PublishOptions } from './stream';
import type { StreamNames } from './types';
import { writeBatch, type WriteOptions, type WriteResult } from './writer';

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
 * lost them (FLUSHALL, failover), or trimmed them. A row is due once it was received (or last
 * republished) longer ago than the grace period plus the age of the stream's oldest entry in flight. Writes are idempotent, so a row that was merely
 * slow is harmless to publish twice. Returns how many rows were republished.
 */
export async function replayUnprocessed(pool: Pool, redis: Redis, options: ReplayOptions): Promise<number> {
  const batchSize = options.batchSize ?? 500;
  // A short grace must not republish rows that are merely queued behind a backlog: rows are left
  // alone while they may still be in the stream, i.e. while they are younger than its oldest entry
  // not yet acknowledged.
  const graceMs = options.graceMs + (options.since ? 0 : await inFlightAgeMs(redis, options.names));
  let afterId = '0';
  let total = 0;
  for (;;) {
    const take = Math.min(batchSize, (options.limit ?? Number.MAX_SAFE_INTEGER) - total);
    if (take <= 0) break;
    const res = await pool.query<{ id: string; payload: string; n: number }>(
      `SELECT id::text AS id, payload::text AS payload, position_count AS n FROM ingest_staging
        WHERE processed_at IS NULL AND id > $1::bigint
          AND (received_at < now() - make_interval(secs => $2::double precision / 1000)
               AND COALESCE(published_at, received_at) < now() - make_interval(secs => $2::double precision / 1000)
               OR received_at >= $3::timestamptz)
        ORDER BY id LIMIT $4`,
      [afterId, graceMs, options.since ?? 'infinity', take],
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
    // published_at: when it was last republished, so a row still queued behind a backlog is not
    // republished again at every run.
    await pool.query(
      'UPDATE ingest_staging SET attempts = attempts + 1, published_at = now() WHERE id = ANY($1::bigint[])',
      [ids],
    );
    total += res.rows.length;
    afterId = ids[ids.length - 1];
    if (res.rows.length < take) break;
  }
  return total;
}

const entryTime = (id: string | null | undefined) => (id ? Number(id.split('-')[0]) : Number.NaN);

/**
 * Age of the oldest entry of the stream that the writers have not acknowledged yet: delivered and
 * pending, or not delivered at all. 0 when there is none (or no stream: Redis lost it).
 */
export async function inFlightAgeMs(redis: Redis, names: StreamNames): Promise<number> {
  try {
    const [summary, groups] = await Promise.all([
      redis.xpending(names.stream, names.group) as Promise<unknown[]>,
      redis.xinfo('GROUPS', names.stream) as Promise<unknown[][]>,
    ]);
    const times: number[] = [];
    if (Number(summary[0] ?? 0) > 0) times.push(entryTime(summary[1] as string));
    for (const g of groups) {
      const info = new Map<string, unknown>();
      for (let i = 0; i + 1 < g.length; i += 2) info.set(String(g[i]), g[i + 1]);
      if (info.get('name') !== names.group) continue;
      const next = (await redis.xrange(
        names.stream,
        `(${String(info.get('last-delivered-id'))}`,
        '+',
        'COUNT',
        1,
      )) as Array<[string, string[]]>;
      if (next.length) times.push(entryTime(next[0][0]));
    }
    const oldest = Math.min(...times.filter(Number.isFinite));
    return Number.isFinite(oldest) ? Math.max(0, Date.now() - oldest) : 0;
  } catch {
    return 0;
  }
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

export interface DeadLetterRow {
  id: string;
  stagingId: string;
  protocol: string;
  vehicleId: string | null;
  /** ISO time of the fix, when PostgreSQL could hold it. */
  ts: string | null;
  fix: string;
  reason: string;
  createdAt: string;
  replayedAt: string | null;
}

/** Dead-lettered fixes, oldest first: those not replayed yet, or all of them with `all`. */
export async function listDeadLetters(
  pool: Pool,
  options: { all?: boolean; limit?: number } = {},
): Promise<DeadLetterRow[]> {
  const res = await pool.query<DeadLetterRow>(
    `SELECT id::text AS id, staging_id::text AS "stagingId", protocol, vehicle_id AS "vehicleId",
            to_json(ts) #>> '{}' AS ts, fix::text AS fix, reason,
            to_json(created_at) #>> '{}' AS "createdAt", to_json(replayed_at) #>> '{}' AS "replayedAt"
       FROM ingest_dead_letters WHERE $1::boolean OR replayed_at IS NULL ORDER BY id LIMIT $2`,
    [options.all ?? false, options.limit ?? 1_000],
  );
  return res.rows;
}

export interface DeadLetterReplay {
  /** Stored now, or found stored already: marked replayed. */
  replayed: number;
  /** Still refused: left as they are, with the latest reason. */
  failed: number;
}

/**
 * Writes the dead-lettered fixes again, through the same writer, after whatever refused them was
 * fixed (a column widened, a constraint corrected). A fix stored (or found stored) gets replayed_at;
 * one still refused keeps its row, with the latest reason.
 */
export async function replayDeadLetters<T>(
  pool: Pool,
  options: Pick<WriteOptions<T>, 'onInserted'> & {
    batchSize?: number;
    onBatch?: (result: WriteResult<T>) => Promise<void>;
  } = {},
): Promise<DeadLetterReplay> {
  const batchSize = options.batchSize ?? 500;
  const total: DeadLetterReplay = { replayed: 0, failed: 0 };
  let afterId = '0';
  for (;;) {
    const res = await pool.query<{ id: string; stagingId: string; fix: string }>(
      `SELECT id::text AS id, staging_id::text AS "stagingId", fix::text AS fix FROM ingest_dead_letters
        WHERE replayed_at IS NULL AND id > $1::bigint ORDER BY id LIMIT $2`,
      [afterId, batchSize],
    );
    if (!res.rows.length) break;
    afterId = res.rows[res.rows.length - 1].id;
    const result = await writeBatch(
      pool,
      res.rows.map((r) => ({ stagingId: r.stagingId, payload: r.fix, count: 1 })),
      { onInserted: options.onInserted, recordDeadLetters: false },
    );
    const failed = new Map<number, string>();
    for (const d of result.deadLetters) failed.set(d.item, d.reason);
    for (const u of result.undecodable) failed.set(u.item, u.reason);
    const replayed = res.rows.filter((_, i) => !failed.has(i)).map((r) => r.id);
    await pool.query('UPDATE ingest_dead_letters SET replayed_at = now() WHERE id = ANY($1::bigint[])', [replayed]);
    if (failed.size)
      await pool.query(
        `UPDATE ingest_dead_letters d SET reason = f.reason FROM unnest($1::bigint[], $2::text[]) AS f(id, reason)
          WHERE d.id = f.id`,
        [[...failed.keys()].map((i) => res.rows[i].id), [...failed.values()]],
      );
    await options.onBatch?.(result);
    total.replayed += replayed.length;
    total.failed += failed.size;
    if (res.rows.length < batchSize) break;
  }
  return total;
}
