import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import * as schema from './schema';

export interface PoolOptions {
  url: string;
  /** Connections at most; PostgreSQL's own limit is shared by every replica, so keep it modest. */
  max?: number;
  /** Any statement running longer is cancelled by the server. */
  statementTimeoutMs?: number;
  /** How long to wait for a free connection or a new one before failing. */
  connectionTimeoutMs?: number;
  idleTimeoutMs?: number;
  applicationName?: string;
  onError?: (err: Error) => void;
}

export type Pool = pg.Pool;
export type Database = NodePgDatabase<typeof schema>;

export function createPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    statement_timeout: options.statementTimeoutMs ?? 30_000,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 2_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
    application_name: options.applicationName ?? 'fleet',
    keepAlive: true,
  });
  // An idle client losing its server (restart, failover) must not crash the process: the pool drops
  // it and opens a fresh one on the next query.
  pool.on('error', (err) => options.onError?.(err));
  return pool;
}

/** The query builder over a pool, or over one connection (a transaction's, see withTransaction). */
export function createDb(client: pg.Pool | pg.PoolClient): Database {
  return drizzle(client, { schema });
}
