import { schema } from '@fleet/db';
import type { Redis } from 'ioredis';
import { replaceLatest } from './live';
import type { VehicleStates } from './vehicle-state';

/** Rebuilds one organization's hot cache from vehicle_state; returns the vehicles cached. */
export async function warmLatest(states: VehicleStates, redis: Redis, orgId: string): Promise<number> {
  const positions = await states.ofOrganization(orgId);
  await replaceLatest(redis, orgId, positions, await states.vehicleIds(orgId));
  return positions.length;
}

/** Rebuilds every organization's hot cache (`nx run worker:cache-warm`). */
export async function warmAll(
  states: VehicleStates,
  redis: Redis,
): Promise<{ organizations: number; vehicles: number }> {
  const { organizations } = schema;
  const rows = await states.db.select({ id: organizations.id }).from(organizations).orderBy(organizations.id);
  let vehicles = 0;
  for (const { id } of rows) vehicles += await warmLatest(states, redis, id);
  return { organizations: rows.length, vehicles };
}
