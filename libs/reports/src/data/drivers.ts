import type { Pool } from '@fleet/db';

export interface ItemDriver {
  id: string;
  name: string;
}

/**
 * The driver of a vehicle at each instant: the one whose assignment covers it (started at or before,
 * not ended by then), null when nobody was assigned. One statement for all the instants (a report's
 * trip or stop starts), each an index probe on (vehicle_id, started_at).
 */
export async function driversAt(pool: Pool, vehicleId: string, instants: string[]): Promise<Array<ItemDriver | null>> {
  if (!instants.length) return [];
  const res = await pool.query<{ idx: string; id: string; name: string }>(
    `SELECT t.idx, d.id, d.name
       FROM unnest($2::timestamptz[]) WITH ORDINALITY AS t(at, idx)
       JOIN LATERAL (
         SELECT a.driver_id FROM driver_assignments a
          WHERE a.vehicle_id = $1 AND a.started_at <= t.at AND (a.ended_at IS NULL OR a.ended_at > t.at)
          ORDER BY a.started_at DESC LIMIT 1
       ) a ON true
       JOIN drivers d ON d.id = a.driver_id`,
    [vehicleId, instants],
  );
  const out: Array<ItemDriver | null> = instants.map(() => null);
  for (const r of res.rows) out[Number(r.idx) - 1] = { id: r.id, name: r.name };
  return out;
}

/** `driversAt` for one instant. */
export async function driverAt(pool: Pool, vehicleId: string, instant: string): Promise<ItemDriver | null> {
  return (await driversAt(pool, vehicleId, [instant]))[0];
}
