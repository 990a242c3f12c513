import { USER_SEES_VEHICLE_SQL } from '@fleet/db';
import type { PoolClient } from 'pg';

/**
 * Inside the transaction that inserted the events: one push delivery per event and registered token
 * of its organization whose user picked the event's type, is not disabled and may see the event's
 * vehicle (a user limited to vehicle groups gets their groups' events only). Committed with the
 * events, so an event is never lost between being stored and being scheduled for a push.
 */
export async function enqueuePushDeliveries(
  client: PoolClient,
  events: Array<{ id: string; organizationId: string; vehicleId: string; type: string }>,
): Promise<number> {
  if (!events.length) return 0;
  // Hand-written: one statement for the whole batch, joining the unnested events to the tokens.
  const res = await client.query(
    `INSERT INTO push_deliveries (push_token_id, event_id)
     SELECT p.id, e.id
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::uuid[]) AS e(id, org, type, vehicle)
       JOIN push_tokens p ON p.organization_id = e.org AND e.type = ANY(p.event_types)
       JOIN users u ON u.id = p.user_id AND u.disabled_at IS NULL
      WHERE ${USER_SEES_VEHICLE_SQL('u.id', 'u.role', 'e.vehicle')}
     ON CONFLICT ON CONSTRAINT push_deliveries_key DO NOTHING`,
    [
      events.map((e) => e.id),
      events.map((e) => e.organizationId),
      events.map((e) => e.type),
      events.map((e) => e.vehicleId),
    ],
  );
  return res.rowCount ?? 0;
}
