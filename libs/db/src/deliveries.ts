import type { PoolClient } from 'pg';
import { GROUP_SUBTREE_SQL, USER_SEES_VEHICLE_SQL } from './groups';

// The deliveries an event schedules, queued inside the transaction that stored the event (the worker's
// detected events and the API's hand assignments alike), so an event is never stored without them.

/**
 * Inside the transaction that inserted the events: one delivery per event and enabled webhook of its
 * organization whose filter takes the event's type (an empty filter takes all). Committed with the
 * events, so an event is never lost between being stored and being scheduled for delivery.
 */
export async function enqueueWebhookDeliveries(
  client: PoolClient,
  events: Array<{ id: string; organizationId: string; type: string }>,
): Promise<number> {
  if (!events.length) return 0;
  // Hand-written: one statement for the whole batch, joining the unnested events to their webhooks.
  const res = await client.query(
    `INSERT INTO webhook_deliveries (webhook_id, event_id)
     SELECT w.id, e.id
       FROM unnest($1::uuid[], $2::uuid[], $3::text[]) AS e(id, org, type)
       JOIN webhooks w ON w.organization_id = e.org AND w.enabled
                      AND (cardinality(w.event_types) = 0 OR e.type = ANY(w.event_types))
     ON CONFLICT ON CONSTRAINT webhook_deliveries_key DO NOTHING`,
    [events.map((e) => e.id), events.map((e) => e.organizationId), events.map((e) => e.type)],
  );
  return res.rowCount ?? 0;
}

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

/** Every delivery an event schedules: webhooks, notifications and push (one statement each). */
export async function enqueueEventDeliveries(
  client: PoolClient,
  events: Array<{ id: string; organizationId: string; vehicleId: string; type: string }>,
): Promise<{ webhooks: number; notifications: number; push: number }> {
  return {
    webhooks: await enqueueWebhookDeliveries(client, events),
    notifications: await enqueueNotificationDeliveries(client, events),
    push: await enqueuePushDeliveries(client, events),
  };
}
