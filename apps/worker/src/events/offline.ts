import { withTransaction, type Pool } from '@fleet/db';
import { detectOffline, insertEvents, type DetectedEvent } from './detector';
import { enqueueWebhookDeliveries } from '../webhooks/enqueue';
import { enqueuePushDeliveries } from '../push/enqueue';
import { enqueueNotificationDeliveries } from '../notifications/enqueue';

/** One pass of the offline check, in one transaction: state marked, events and their webhook, push and notification deliveries stored. */
export async function emitOfflineEvents(pool: Pool, offlineMinutes: number): Promise<DetectedEvent[]> {
  return withTransaction(pool, async (client) => {
    const events = await insertEvents(client, await detectOffline(client, offlineMinutes));
    await enqueueWebhookDeliveries(client, events);
    await enqueuePushDeliveries(client, events);
    await enqueueNotificationDeliveries(client, events);
    return events;
  });
}
