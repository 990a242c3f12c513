import type { Logger } from '@fleet/logging-json';
import type { Pool } from 'pg';
import { withTransaction } from '@fleet/db';

// SQL by hand: partition catalog reads and DDL (LOCK, DROP TABLE under lock_timeout) and batched
// DELETE … WHERE id IN (SELECT … LIMIT n) statements per organization's cutoff, which drizzle's builder
// does not express.

export interface RetentionOptions {
  /** Rows per DELETE statement: short statements, short locks, bounded WAL bursts. */
  batchSize: number;
  /** Statements per table and organization in one run; what is left waits for the next run. */
  maxBatches: number;
  /** How long dropping a partition waits for its locks before trying again next run. */
  lockTimeoutMs: number;
  /** Delivered and failed webhook deliveries and push notifications older than this are deleted. */
  deliveryRetentionDays: number;
  logger?: Logger;
}

export interface RetentionResult {
  partitionsDropped: string[];
  positionsDeleted: number;
  eventsDeleted: number;
  deliveriesDeleted: number;
}

interface OrgRetention {
  id: string;
  position_cutoff: Date | null;
  event_cutoff: Date | null;
}

const MONTHLY = /^positions_y(\d{4})m(\d{2})$/;

/**
 * Applies every organization's retention (`position_retention_days`, `event_retention_days`; null keeps
 * everything) and the webhook deliveries' own. Positions go two ways:
 * 1. a whole monthly partition is dropped when no vehicle still entitled to its rows has any there —
 *    partitions hold every organization, so an old month is dropped only when all organizations with
 *    data in it have retention that has passed it (an organization keeping everything keeps it);
 * 2. the rest is deleted per organization in bounded batches (also the default partition).
 * Cutoffs come from the database clock, once per run.
 */
export async function applyRetention(pool: Pool, options: RetentionOptions): Promise<RetentionResult> {
  const orgs = await pool.query<OrgRetention>(
    `SELECT id,
            now() - position_retention_days * interval '1 day' AS position_cutoff,
            now() - event_retention_days * interval '1 day' AS event_cutoff
     FROM organizations
     WHERE position_retention_days IS NOT NULL OR event_retention_days IS NOT NULL`,
  );
  const result: RetentionResult = {
    partitionsDropped: [],
    positionsDeleted: 0,
    eventsDeleted: 0,
    deliveriesDeleted: 0,
  };
  if (orgs.rows.some((o) => o.position_cutoff)) result.partitionsDropped = await dropExpiredPartitions(pool, options);
  for (const org of orgs.rows) {
    if (org.position_cutoff)
      result.positionsDeleted += await inBatches(options, (limit) =>
        pool.query(
          `DELETE FROM positions p
           USING (SELECT vehicle_id, ts FROM positions
                  WHERE vehicle_id IN (SELECT id FROM vehicles WHERE organization_id = $1) AND ts < $2
                  LIMIT $3) old
           WHERE p.vehicle_id = old.vehicle_id AND p.ts = old.ts AND p.ts < $2`,
          [org.id, org.position_cutoff, limit],
        ),
      );
    if (org.event_cutoff)
      result.eventsDeleted += await inBatches(options, (limit) =>
        pool.query(
          `DELETE FROM events WHERE id IN (
             SELECT id FROM events WHERE organization_id = $1 AND ts < $2 LIMIT $3)`,
          [org.id, org.event_cutoff, limit],
        ),
      );
  }
  result.deliveriesDeleted = await inBatches(options, (limit) =>
    pool.query(
      `DELETE FROM webhook_deliveries WHERE id IN (
         SELECT id FROM webhook_deliveries
         WHERE status <> 'pending' AND created_at < now() - $1::integer * interval '1 day' LIMIT $2)`,
      [options.deliveryRetentionDays, limit],
    ),
  );
  // Push notifications sent and settled (delivered or failed): kept as long as webhook deliveries.
  result.deliveriesDeleted += await inBatches(options, (limit) =>
    pool.query(
      `DELETE FROM push_deliveries WHERE id IN (
         SELECT id FROM push_deliveries
         WHERE status IN ('delivered', 'failed') AND created_at < now() - $1::integer * interval '1 day' LIMIT $2)`,
      [options.deliveryRetentionDays, limit],
    ),
  );
  return result;
}

async function inBatches(
  options: RetentionOptions,
  run: (limit: number) => Promise<{ rowCount: number | null }>,
): Promise<number> {
  let total = 0;
  for (let i = 0; i < options.maxBatches; i++) {
    const n = (await run(options.batchSize)).rowCount ?? 0;
    total += n;
    if (n < options.batchSize) break;
  }
  return total;
}

/**
 * Rows of `partition` that someone is still entitled to: of a vehicle whose organization keeps
 * everything, or whose cutoff is before the partition's end. Probes the primary key once per vehicle.
 */
const protectedRowsExist = (partition: string) => `
  SELECT EXISTS (
    SELECT 1 FROM vehicles v JOIN organizations o ON o.id = v.organization_id
    WHERE (o.position_retention_days IS NULL OR $1::timestamptz > now() - o.position_retention_days * interval '1 day')
      AND EXISTS (SELECT 1 FROM ${partition} p WHERE p.vehicle_id = v.id LIMIT 1)
  ) AS protected`;

/**
 * Drops the old monthly partitions nobody is entitled to any more. Only months before last month are
 * candidates: `ensure_position_partitions` recreates last month onwards. The check runs once without
 * locks (most months stay protected, and cost nothing), then again under the locks that keep rows from
 * arriving meanwhile: the parent first, as every insert takes them in that order, then the partition.
 * Waiting for those locks is bounded by lock_timeout: a long reader (an export) postpones the drop to the
 * next run rather than stalling ingestion behind the queued lock.
 */
async function dropExpiredPartitions(pool: Pool, options: RetentionOptions): Promise<string[]> {
  const parts = await pool.query<{ name: string; last_month: Date }>(
    `SELECT c.relname AS name, date_trunc('month', now() AT TIME ZONE 'UTC' - interval '1 month') AT TIME ZONE 'UTC' AS last_month
     FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'positions'::regclass
     ORDER BY c.relname`,
  );
  const dropped: string[] = [];
  for (const { name, last_month } of parts.rows) {
    const match = MONTHLY.exec(name);
    if (!match) continue; // the default partition: emptied by the per-organization deletes
    const end = new Date(Date.UTC(Number(match[1]), Number(match[2]), 1));
    if (end > last_month) continue;
    const table = `"${name}"`;
    const pre = await pool.query<{ protected: boolean }>(protectedRowsExist(table), [end]);
    if (pre.rows[0].protected) continue;
    try {
      const isDropped = await withTransaction(pool, async (client) => {
        await client.query(`SET LOCAL lock_timeout = ${Math.round(options.lockTimeoutMs)}`);
        await client.query(`LOCK TABLE ONLY positions IN ACCESS EXCLUSIVE MODE`);
        await client.query(`LOCK TABLE ${table} IN ACCESS EXCLUSIVE MODE`);
        const again = await client.query<{ protected: boolean }>(protectedRowsExist(table), [end]);
        if (again.rows[0].protected) return false; // committing nothing but the locks, released
        await client.query(`DROP TABLE ${table}`);
        return true;
      });
      if (!isDropped) continue;
      dropped.push(name);
      options.logger?.info('dropped expired position partition', { partition: name });
    } catch (err) {
      if ((err as { code?: string }).code !== '55P03') throw err; // lock_not_available: next run
      options.logger?.warn('position partition busy; dropping it next run', { partition: name });
    }
  }
  return dropped;
}
