import type { Pool } from 'pg';
import { detectOffline, insertEvents, type DetectedEvent } from './detector';
import { enqueueWebhookDeliveries } from '../webhooks/enqueue';

/** One pass of the offline check, in one transaction: state marked, events and their deliveries stored. */
export async function emitOfflineEvents(pool: Pool, offlineMinutes: number): Promise<DetectedEvent[]> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const events = await insertEvents(client, await detectOffline(client, offlineMinutes));
    await enqueueWebhookDeliveries(client, events);
    await client.query('COMMIT');
    return events;
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
}
