import type pg from 'pg';

/**
 * Runs `work` in one transaction on a connection of its own: COMMIT when it resolves, ROLLBACK when
 * it throws (the error is rethrown), and the connection back to the pool either way. A connection
 * whose ROLLBACK failed is destroyed rather than reused.
 */
export async function withTransaction<T>(pool: pg.Pool, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw err;
  } finally {
    client.release(broken);
  }
}
