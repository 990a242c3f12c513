import pg from 'pg';

/**
 * PostgreSQL at `url` accepts a connection and answers a query within `timeoutMs`. Listening is not
 * enough: a server answers "starting up" until its recovery is done, and a wrong password only shows
 * at connection.
 */
export async function answersQueries(url: string, options: { timeoutMs?: number } = {}): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: options.timeoutMs ?? 5_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
