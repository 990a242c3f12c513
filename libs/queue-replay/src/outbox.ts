import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import type { StagedBatch, StreamNames } from './types';

export interface PublishOptions {
  names: StreamNames;
  /** Approximate cap on stream length; trimmed entries are still in staging and get replayed. */
  maxLen: number;
}

/**
 * Step (1) of the ingestion contract: one row per accepted request, committed before the caller
 * answers 202. Returns the staging id.
 */
export async function stageBatch(pool: Pool, batch: StagedBatch): Promise<{ id: string; payload: string }> {
  const payload = JSON.stringify(batch);
  const res = await pool.query<{ id: string }>(
    'INSERT INTO ingest_staging (protocol, position_count, payload) VALUES ($1, $2, $3::jsonb) RETURNING id::text AS id',
    [batch.protocol, batch.positions.length, payload],
  );
  return { id: res.rows[0].id, payload };
}

/** Step (2): announce a staged batch on the stream. */
export async function publishStaged(redis: Redis, id: string, payload: string, options: PublishOptions): Promise<void> {
  await redis.xadd(
    options.names.stream,
    'MAXLEN',
    '~',
    options.maxLen,
    '*',
    'sid',
    id,
    'at',
    String(Date.now()),
    'p',
    payload,
  );
}
