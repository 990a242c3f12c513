import { withTransaction, type Pool, enqueueEventDeliveries } from '@fleet/db';
import { detectOffline, insertEvents, type DetectedEvent } from './detector';

/** One pass of the offline check, in one transaction: state marked, events and their webhook, push and notification deliveries stored. */
export async function emitOfflineEvents(pool: Pool, offlineMinutes: number): Promise<DetectedEvent[]> {
  return withTransaction(pool, async (client) => {
    const events = await insertEvents(client, await detectOffline(client, offlineMinutes));
    await enqueueEventDeliveries(client, events);
    return events;
  });
}
