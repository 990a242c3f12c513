import path from 'node:path';
import { drizzle } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';

/** Where the committed migrations live when running from source; bundles pass their own copy. */
export const DEFAULT_MIGRATIONS_FOLDER = path.resolve(__dirname, '../migrations');
const MIGRATION_LOCK = 7_412_001;

export function databaseName(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name) throw new Error('DATABASE_URL names no database');
  return name;
}

export function maintenanceUrl(url: string): string {
  const u = new URL(url);
  u.pathname = '/postgres';
  return u.toString();
}

export const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Creates the database named in `url` when it does not exist yet. Returns whether it created it. */
export async function ensureDatabase(url: string, options: { template?: string } = {}): Promise<boolean> {
  const name = databaseName(url);
  return withClient(maintenanceUrl(url), async (client) => {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount) return false;
    const template = options.template ? ` TEMPLATE ${quoteIdent(options.template)}` : '';
    try {
      await client.query(`CREATE DATABASE ${quoteIdent(name)}${template}`);
    } catch (err) {
      if ((err as { code?: string }).code !== '42P04') throw err; // created meanwhile by someone else
      return false;
    }
    return true;
  });
}

export async function dropDatabase(url: string): Promise<void> {
  await withClient(maintenanceUrl(url), (client) =>
    client.query(`DROP DATABASE IF EXISTS ${quoteIdent(databaseName(url))} WITH (FORCE)`),
  );
}

/** Whether the server can install PostGIS (the Debian package is present). */
export async function postgisAvailable(url: string): Promise<boolean> {
  return withClient(maintenanceUrl(url), async (client) => {
    const res = await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'");
    return (res.rowCount ?? 0) > 0;
  });
}

/**
 * Applies every pending migration. An advisory lock makes concurrent runs (two replicas, a test
 * setup beside the dev launcher) wait for each other instead of racing.
 */
export async function runMigrations(url: string, options: { migrationsFolder?: string } = {}): Promise<void> {
  await withClient(url, async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await client.query('SET client_min_messages = warning');
      await migrate(drizzle(client), { migrationsFolder: options.migrationsFolder ?? DEFAULT_MIGRATIONS_FOLDER });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  });
}
