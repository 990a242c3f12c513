import type pg from 'pg';

/** Creates the monthly position partitions from last month to `monthsAhead` ahead; returns how many were new. */
export async function ensurePositionPartitions(pool: pg.Pool, options: { monthsAhead?: number } = {}): Promise<number> {
  const months = (options.monthsAhead ?? 3) + 2;
  const res = await pool.query<{ created: number }>(
    "SELECT ensure_position_partitions(now() - interval '1 month', $1) AS created",
    [months],
  );
  return res.rows[0]?.created ?? 0;
}
