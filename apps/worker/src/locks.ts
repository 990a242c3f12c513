import type { Pool } from 'pg';

/**
 * Runs `fn` only if no other process holds the named lock right now; otherwise skips (returns
 * undefined). The lock lives on one session and goes with it if the process dies.
 */
export async function withAdvisoryLock<T>(pool: Pool, name: string, fn: () => Promise<T>): Promise<T | undefined> {
  const client = await pool.connect();
  // See writeBatch: an unheard 'error' from a checked-out client would crash the worker.
  const onError = () => undefined;
  client.on('error', onError);
  try {
    const got = await client.query<{ ok: boolean }>('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [name]);
    if (!got.rows[0].ok) return undefined;
    try {
      return await fn();
    } finally {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [name]);
    }
  } finally {
    client.off('error', onError);
    client.release();
  }
}
