/**
 * What the outgoing deliveries share (webhooks, push, notifications, scheduled reports): rows claimed
 * as leases by several workers, retried with @fleet/notify's backoff, errors kept short; their loop is
 * deliveries/loop.
 */

/** Extra time past the request timeout before a claimed delivery is considered abandoned (worker died). */
export const LEASE_MARGIN_MS = 30_000;
/** The longest error text kept on a delivery row. */
export const MAX_ERROR_LENGTH = 500;

/**
 * The CTE that claims the due rows of a deliveries table as a lease: `$1` rows at most whose status is
 * `status` and whose `next_attempt_at` has come, locked with SKIP LOCKED so workers share them, and
 * their next attempt moved `$2` milliseconds ahead (past the request's timeout) so no row lock is held
 * while the receiver answers. A worker dying mid-request leaves the lease to expire and the row is
 * claimed again. `set` adds to the UPDATE's assignments (`attempts = d.attempts + 1`); the claimed
 * rows come out of `claimed` with the `returning` columns of `d`. Table, status and columns are the
 * callers' literals, never input.
 */
export function claimDue(table: string, status: string, set: string, returning: string): string {
  return `
WITH due AS (
  SELECT id FROM ${table}
  WHERE status = '${status}' AND next_attempt_at <= now()
  ORDER BY next_attempt_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE ${table} d
  SET ${set ? `${set}, ` : ''}next_attempt_at = now() + $2::integer * interval '1 millisecond'
  FROM due WHERE d.id = due.id
  RETURNING ${returning}
)`;
}
