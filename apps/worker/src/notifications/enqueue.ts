import { GROUP_SUBTREE_SQL, USER_SEES_VEHICLE_SQL } from '@fleet/db';
import type { PoolClient } from 'pg';

/**
 * Inside the transaction that inserted the events: one notification delivery per event, enabled rule
 * of its organization that takes the event's type and vehicle (listed, or in a listed group or a group
 * below it; no vehicles nor groups listed: all), and channel
 * of the rule that has a target, for rules whose owner is not disabled and may see the vehicle (a
 * rule of a user limited to vehicle groups never reaches beyond them, whatever it lists). Committed with the events; the
 * unique key (event, rule, channel) makes a redelivered batch schedule nothing twice. Quiet hours are
 * judged when sending (they are about the moment of sending, not the event's).
 */
export async function enqueueNotificationDeliveries(
  client: PoolClient,
  events: Array<{ id: string; organizationId: string; vehicleId: string; type: string }>,
): Promise<number> {
  if (!events.length) return 0;
  // Hand-written: one statement for the whole batch, joining the unnested events to the rules' channels.
  const res = await client.query(
    `INSERT INTO notification_deliveries (rule_id, event_id, channel)
     SELECT r.id, e.id, ch.channel
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[]) AS e(id, org, vehicle, type)
       JOIN notification_rules r ON r.organization_id = e.org AND r.enabled
                                AND e.type = ANY(r.event_types)
                                AND ((cardinality(r.vehicle_ids) = 0 AND cardinality(r.group_ids) = 0)
                                     OR e.vehicle = ANY(r.vehicle_ids)
                                     OR (cardinality(r.group_ids) > 0 AND EXISTS (
                                           SELECT 1 FROM vehicles v
                                            WHERE v.id = e.vehicle
                                              AND v.group_id IN (${GROUP_SUBTREE_SQL('e.org', 'r.group_ids')}))))
       JOIN users u ON u.id = r.user_id AND u.disabled_at IS NULL
                   AND ${USER_SEES_VEHICLE_SQL('u.id', 'u.role', 'e.vehicle')}
       CROSS JOIN LATERAL (VALUES ('email', r.email), ('telegram', r.telegram_chat_id)) AS ch(channel, target)
      WHERE ch.target IS NOT NULL
     ON CONFLICT ON CONSTRAINT notification_deliveries_key DO NOTHING`,
    [
      events.map((e) => e.id),
      events.map((e) => e.organizationId),
      events.map((e) => e.vehicleId),
      events.map((e) => e.type),
    ],
  );
  return res.rowCount ?? 0;
}
