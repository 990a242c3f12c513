import { DrizzleQueryError } from 'drizzle-orm';

// PostgreSQL unreachable, restarting, failing over or out of connections: worth retrying later,
// never a reason to give up on the data.
const CONNECTION_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EHOSTUNREACH',
  '57P01',
  '57P02',
  '57P03',
  '53300',
  '40001',
  '40P01',
]);
const CONNECTION_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|connection timeout|Client has encountered a connection error|Client was closed|the database system is (starting up|shutting down)|terminating connection/i;

/** The driver's own error (code, constraint) behind a query builder's: drizzle wraps what pg throws. */
export function driverError(err: unknown): unknown {
  return err instanceof DrizzleQueryError && err.cause ? err.cause : err;
}

export function isTransientDatabaseError(err: unknown): boolean {
  const e = driverError(err) as { code?: unknown; message?: unknown } | undefined;
  if (typeof e?.code === 'string' && (CONNECTION_CODES.has(e.code) || e.code.startsWith('08'))) return true;
  return typeof e?.message === 'string' && CONNECTION_MESSAGES.test(e.message);
}
