import type { EventDetail, WebhookPayload } from '@fleet/contracts';
import { createDb, schema, selectEventDetails, toEventDetail, type Database } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import { backoffMs } from '@fleet/notify';
import { eq, inArray } from 'drizzle-orm';
import type { Pool } from 'pg';
import client from 'prom-client';
import { claimDue, LEASE_MARGIN_MS, MAX_ERROR_LENGTH } from '../deliveries/lease';
import { startLeaseLoop } from '../deliveries/loop';
import { postWebhook } from './post';
import { signatureHeader } from './signature';

export interface DispatcherOptions {
  pool: Pool;
  logger: Logger;
  registry: client.Registry;
  /** Deliveries in flight at once. */
  concurrency: number;
  pollMs: number;
  timeoutMs: number;
  maxAttempts: number;
  backoffBaseMs: number;
  backoffMaxMs: number;
  allowPrivateUrls: boolean;
}

export interface Dispatcher {
  /** Stops claiming and waits for the deliveries in flight. */
  stop(): Promise<void>;
}

interface Claimed {
  id: string;
  webhook_id: string;
  attempts: number;
  url: string;
  secret: string;
  enabled: boolean;
  /** Null for a test ping. */
  event_id: string | null;
}

/** A claimed delivery with what it sends: its event (null for a test ping). */
interface Delivery extends Claimed {
  event: EventDetail | null;
}

type Outcome =
  | { status: 'delivered'; httpStatus: number }
  | { status: 'pending' | 'failed'; httpStatus: number | null; error: string; retryInMs?: number };

/**
 * Claims due deliveries: several workers share them (SKIP LOCKED), and a claim is a lease — the attempt
 * is counted and the next attempt moved past the request's timeout — so no connection or row lock is
 * held while the receiver answers. A worker dying mid-request leaves the lease to expire and the
 * delivery is retried: delivery is at least once, and `X-Fleet-Delivery` lets receivers drop repeats.
 * Hand-written: the lock, the lease and the read are one statement (an UPDATE in a CTE), which the
 * query builder cannot compose; the events are then read by the shared event-detail query.
 */
const CLAIM = `${claimDue('webhook_deliveries', 'pending', 'attempts = d.attempts + 1', 'd.id, d.webhook_id, d.event_id, d.attempts')}
SELECT c.id::text AS id, c.webhook_id, c.attempts, w.url, w.secret, w.enabled, c.event_id
FROM claimed c
JOIN webhooks w ON w.id = c.webhook_id`;

/**
 * Records an attempt's outcome on the delivery and on the webhook's visible state, in one statement
 * (hand-written: two UPDATEs chained by a CTE). `attempts = $2` ignores the outcome of an attempt whose
 * lease expired and was claimed again.
 */
const FINISH = `
WITH d AS (
  UPDATE webhook_deliveries
  SET status = $3, last_status = $4, last_error = $5,
      delivered_at = CASE WHEN $3 = 'delivered' THEN now() END,
      next_attempt_at = CASE WHEN $3 = 'pending' THEN now() + $6::integer * interval '1 millisecond'
                             ELSE next_attempt_at END
  WHERE id = $1::bigint AND attempts = $2 AND status = 'pending'
  RETURNING webhook_id
)
UPDATE webhooks w
SET last_status = $4, last_error = $5, last_attempt_at = now(),
    last_success_at = CASE WHEN $3 = 'delivered' THEN now() ELSE w.last_success_at END,
    consecutive_failures = CASE WHEN $3 = 'delivered' THEN 0 ELSE w.consecutive_failures + 1 END
FROM d WHERE w.id = d.webhook_id AND $7`;

function payload(row: Delivery): WebhookPayload {
  if (row.event === null) return { deliveryId: row.id, webhookId: row.webhook_id, event: null, test: true };
  // Webhook payloads carry no `retractedAt` (see EventDetail).
  const { retractedAt: _retractedAt, ...event } = row.event;
  return { deliveryId: row.id, webhookId: row.webhook_id, event };
}

/**
 * The claimed deliveries with their events. A delivery whose event is gone since the claim (its vehicle
 * deleted, or retention) was deleted with it: it is left out, there is nothing left to send or record.
 */
async function withEvents(db: Database, claimed: Claimed[]): Promise<Delivery[]> {
  const ids = claimed.flatMap((c) => (c.event_id === null ? [] : [c.event_id]));
  const rows = ids.length ? await selectEventDetails(db).where(inArray(schema.events.id, ids)) : [];
  const byId = new Map(rows.map((r) => [r.id, toEventDetail(r)]));
  return claimed.flatMap((c): Delivery[] => {
    if (c.event_id === null) return [{ ...c, event: null }];
    const event = byId.get(c.event_id);
    return event ? [{ ...c, event }] : [];
  });
}

function dispatcherMetrics(registry: client.Registry, db: Database) {
  const { webhookDeliveries } = schema;
  new client.Gauge({
    name: 'webhook_deliveries_pending',
    help: 'Webhook deliveries waiting for their first or next attempt',
    registers: [registry],
    async collect() {
      const pending = await Promise.resolve(
        db.$count(webhookDeliveries, eq(webhookDeliveries.status, 'pending')),
      ).catch(() => undefined);
      if (pending !== undefined) this.set(pending);
    },
  });
  return {
    attempts: new client.Counter({
      name: 'webhook_delivery_attempts_total',
      help: 'Webhook delivery attempts by outcome: delivered, retry (failed, will retry), failed (gave up), skipped (webhook disabled)',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    duration: new client.Histogram({
      name: 'webhook_delivery_duration_seconds',
      help: 'Duration of one webhook POST, answered or not',
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers: [registry],
    }),
  };
}

/**
 * The webhook dispatcher: a lease loop (deliveries/loop) beside the ingestion consumers, so a slow or
 * dead receiver never delays a position; the pool is used only for the short claim and finish statements.
 */
export function startWebhookDispatcher(o: DispatcherOptions): Dispatcher {
  const db = createDb(o.pool);
  const metrics = dispatcherMetrics(o.registry, db);
  async function attempt(row: Delivery): Promise<Outcome> {
    if (!row.enabled) return { status: 'failed', httpStatus: null, error: 'webhook disabled' };
    const body = JSON.stringify(payload(row));
    const timestamp = Math.floor(Date.now() / 1000);
    const end = metrics.duration.startTimer();
    let httpStatus: number | null = null;
    let error: string;
    try {
      httpStatus = await postWebhook(
        row.url,
        body,
        {
          'content-type': 'application/json',
          'user-agent': 'fleet-webhooks/1',
          'x-fleet-event': row.event?.type ?? 'test',
          'x-fleet-delivery': row.id,
          'x-fleet-timestamp': String(timestamp),
          'x-fleet-signature': signatureHeader(row.secret, timestamp, body),
        },
        { timeoutMs: o.timeoutMs, allowPrivate: o.allowPrivateUrls },
      );
      if (httpStatus >= 200 && httpStatus < 300) return { status: 'delivered', httpStatus };
      error = `HTTP ${httpStatus}`;
    } catch (err) {
      const code = (err as { code?: string }).code;
      error = `${code ? `${code}: ` : ''}${(err as Error).message}`;
    } finally {
      end();
    }
    if (row.attempts >= o.maxAttempts)
      return { status: 'failed', httpStatus, error: `${error} (gave up after ${row.attempts} attempts)` };
    const retryInMs = backoffMs(row.attempts, { baseMs: o.backoffBaseMs, maxMs: o.backoffMaxMs });
    return { status: 'pending', httpStatus, error, retryInMs };
  }

  async function deliver(row: Delivery): Promise<void> {
    const outcome = await attempt(row);
    const error = outcome.status === 'delivered' ? null : outcome.error.slice(0, MAX_ERROR_LENGTH);
    const label =
      outcome.status === 'delivered'
        ? 'delivered'
        : outcome.status === 'pending'
          ? 'retry'
          : row.enabled
            ? 'failed'
            : 'skipped';
    metrics.attempts.inc({ outcome: label });
    // The webhook's visible state carries failures; the log notes only the ones given up on.
    if (label === 'failed') o.logger.warn('webhook delivery failed for good', { deliveryId: row.id, error });
    else if (label === 'retry') o.logger.debug('webhook delivery will be retried', { deliveryId: row.id, error });
    await o.pool.query(FINISH, [
      row.id,
      row.attempts,
      outcome.status,
      outcome.httpStatus,
      error,
      outcome.status === 'pending' ? (outcome.retryInMs ?? 0) : 0,
      // A disabled webhook's skipped deliveries say nothing about its receiver.
      row.enabled,
    ]);
  }

  const loop = startLeaseLoop<Delivery>({
    name: 'webhook delivery',
    logger: o.logger,
    concurrency: o.concurrency,
    pollMs: o.pollMs,
    claim: async (limit) =>
      withEvents(db, (await o.pool.query<Claimed>(CLAIM, [limit, o.timeoutMs + LEASE_MARGIN_MS])).rows),
    handle: deliver,
    describe: (row) => ({ deliveryId: row.id }),
  });
  return { stop: () => loop.stop() };
}
