import type { PoolClient } from 'pg';

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
