import type { LivePosition } from '@fleet/contracts';
import type { Pool } from 'pg';
import type { Redis } from 'ioredis';
import { replaceLatest } from './live';

interface StateRow {
  organization_id: string;
  vehicle_id: string;
  ts: Date;
  lat: number;
  lon: number;
  speed_kmh: number | null;
  heading: number | null;
  altitude: number | null;
  accuracy: number | null;
  battery: number | null;
  attributes: Record<string, unknown> | null;
}

export function stateRowToLive(r: StateRow): LivePosition {
  return {
    vehicleId: r.vehicle_id,
    ts: r.ts.toISOString(),
    lat: r.lat,
    lon: r.lon,
    speedKmh: r.speed_kmh,
    heading: r.heading,
    altitude: r.altitude,
    accuracy: r.accuracy,
    battery: r.battery,
    attributes: r.attributes,
  };
}

const STATE_SQL = `
SELECT s.organization_id, s.vehicle_id, s.ts, ST_Y(s.point) AS lat, ST_X(s.point) AS lon,
       s.speed_kmh, s.heading, s.altitude, s.accuracy, s.battery, s.attributes
  FROM vehicle_state s JOIN vehicles v ON v.id = s.vehicle_id`;

/** The latest fix of every vehicle of an organization, from PostgreSQL (the source of truth). */
export async function loadLatestFromDb(pool: Pool, orgId: string): Promise<LivePosition[]> {
  const { rows } = await pool.query<StateRow>(`${STATE_SQL} WHERE s.organization_id = $1`, [orgId]);
  return rows.map(stateRowToLive);
}

/** Rebuilds one organization's hot cache from vehicle_state; returns the vehicles cached. */
export async function warmLatest(pool: Pool, redis: Redis, orgId: string): Promise<number> {
  const positions = await loadLatestFromDb(pool, orgId);
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM vehicles WHERE organization_id = $1', [orgId]);
  await replaceLatest(redis, orgId, positions, new Set(rows.map((r) => r.id)));
  return positions.length;
}

/** Rebuilds every organization's hot cache (`nx run worker:cache-warm`). */
export async function warmAll(pool: Pool, redis: Redis): Promise<{ organizations: number; vehicles: number }> {
  const { rows } = await pool.query<{ id: string }>('SELECT id FROM organizations ORDER BY id');
  let vehicles = 0;
  for (const { id } of rows) vehicles += await warmLatest(pool, redis, id);
  return { organizations: rows.length, vehicles };
}
