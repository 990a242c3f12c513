import { randomBytes } from 'node:crypto';
import {
  MAX_WEBHOOKS_PER_ORGANIZATION,
  type EventType,
  type Webhook,
  type WebhookDeliveryList,
  type WebhookDeliveryListQuery,
  type WebhookInput,
  type WebhookList,
  type WebhookListQuery,
  type WebhookUpdate,
  type WebhookWithSecret,
} from '@fleet/contracts';
import type { Pool } from 'pg';
import { AppError, notFound } from '../errors';
import { isUuid } from '../sql';
import { assertWebhookUrlAllowed } from './url-policy';

interface Row {
  id: string;
  url: string;
  event_types: EventType[];
  enabled: boolean;
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: Date | null;
  last_success_at: Date | null;
  consecutive_failures: number;
  pending: string;
  created_at: Date;
  updated_at: Date;
}

// The pending count reads the small partial index of due deliveries, not the whole history.
const COLUMNS = `w.id, w.url, w.event_types, w.enabled, w.last_status, w.last_error, w.last_attempt_at,
  w.last_success_at, w.consecutive_failures, w.created_at, w.updated_at,
  (SELECT count(*) FROM webhook_deliveries d WHERE d.webhook_id = w.id AND d.status = 'pending') AS pending`;

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const toWebhook = (r: Row): Webhook => ({
  id: r.id,
  url: r.url,
  eventTypes: r.event_types,
  enabled: r.enabled,
  lastStatus: r.last_status,
  lastError: r.last_error,
  lastAttemptAt: iso(r.last_attempt_at),
  lastSuccessAt: iso(r.last_success_at),
  consecutiveFailures: r.consecutive_failures,
  pendingDeliveries: Number(r.pending),
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** 32 random bytes; the prefix tells a leaked value apart in logs and secret scanners. */
const generateSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

const unique = (types: EventType[]) => [...new Set(types)].sort();

interface DeliveryRow {
  id: string;
  event_id: string | null;
  event_type: string | null;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_status: number | null;
  last_error: string | null;
  delivered_at: Date | null;
  created_at: Date;
}

/**
 * The webhooks of one organization (admins only). The secret is kept in clear because the worker signs
 * with it; it is shown at creation and rotation only. Deliveries are made by the worker's dispatcher.
 */
export class Webhooks {
  constructor(
    private readonly pool: Pool,
    private readonly options: { allowPrivateUrls: boolean },
  ) {}

  async list(org: string, q: WebhookListQuery): Promise<WebhookList> {
    const [rows, count] = await Promise.all([
      this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM webhooks w WHERE w.organization_id = $1 ORDER BY w.created_at, w.id
         LIMIT ${q.limit} OFFSET ${q.offset}`,
        [org],
      ),
      this.pool.query<{ n: string }>('SELECT count(*) AS n FROM webhooks WHERE organization_id = $1', [org]),
    ]);
    return { items: rows.rows.map(toWebhook), total: Number(count.rows[0].n), limit: q.limit, offset: q.offset };
  }

  async get(org: string, id: string): Promise<Webhook> {
    if (!isUuid(id)) throw notFound('webhook');
    const res = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM webhooks w WHERE w.id = $1 AND w.organization_id = $2`,
      [id, org],
    );
    if (!res.rows[0]) throw notFound('webhook');
    return toWebhook(res.rows[0]);
  }

  async create(org: string, input: WebhookInput): Promise<WebhookWithSecret> {
    assertWebhookUrlAllowed(input.url, { allowPrivate: this.options.allowPrivateUrls });
    const secret = generateSecret();
    // The cap bounds the fan-out of each event; two creations racing past it by one is harmless.
    const res = await this.pool.query<{ id: string }>(
      `INSERT INTO webhooks (organization_id, url, secret, event_types, enabled)
       SELECT $1, $2, $3, $4, $5
       WHERE (SELECT count(*) FROM webhooks WHERE organization_id = $1) < $6
       RETURNING id`,
      [org, input.url, secret, unique(input.eventTypes), input.enabled, MAX_WEBHOOKS_PER_ORGANIZATION],
    );
    if (!res.rows[0])
      throw new AppError(
        409,
        'conflict',
        `an organization has at most ${MAX_WEBHOOKS_PER_ORGANIZATION} webhooks; delete one first`,
      );
    return { webhook: await this.get(org, res.rows[0].id), secret };
  }

  /**
   * Changes apply to deliveries still pending: they go to the new URL. Disabling a webhook makes the
   * dispatcher fail its pending deliveries ("webhook disabled") instead of sending them.
   */
  async update(org: string, id: string, patch: WebhookUpdate): Promise<Webhook> {
    await this.get(org, id);
    if (patch.url !== undefined) assertWebhookUrlAllowed(patch.url, { allowPrivate: this.options.allowPrivateUrls });
    const params: unknown[] = [id, org];
    const sets: string[] = ['updated_at = now()'];
    if (patch.url !== undefined) sets.push(`url = $${params.push(patch.url)}`);
    if (patch.eventTypes !== undefined) sets.push(`event_types = $${params.push(unique(patch.eventTypes))}`);
    if (patch.enabled !== undefined) sets.push(`enabled = $${params.push(patch.enabled)}`);
    await this.pool.query(`UPDATE webhooks SET ${sets.join(', ')} WHERE id = $1 AND organization_id = $2`, params);
    return this.get(org, id);
  }

  /** A new secret, effective at once: pending deliveries are signed with it on their next attempt. */
  async rotateSecret(org: string, id: string): Promise<WebhookWithSecret> {
    await this.get(org, id);
    const secret = generateSecret();
    await this.pool.query(
      'UPDATE webhooks SET secret = $3, updated_at = now() WHERE id = $1 AND organization_id = $2',
      [id, org, secret],
    );
    return { webhook: await this.get(org, id), secret };
  }

  /** Deletes the webhook with its deliveries (pending ones are never sent). */
  async remove(org: string, id: string): Promise<void> {
    await this.get(org, id);
    await this.pool.query('DELETE FROM webhooks WHERE id = $1 AND organization_id = $2', [id, org]);
  }

  /**
   * Queues a signed test ping (no event) to the webhook, delivered and retried by the worker like any
   * delivery — so the receiver's answer shows up in the webhook's state and its deliveries.
   */
  async queueTest(org: string, id: string): Promise<{ deliveryId: string }> {
    await this.get(org, id);
    const res = await this.pool.query<{ id: string }>(
      'INSERT INTO webhook_deliveries (webhook_id, event_id) VALUES ($1, NULL) RETURNING id::text AS id',
      [id],
    );
    return { deliveryId: res.rows[0].id };
  }

  /** Recent deliveries, newest first (keyset on the delivery id). */
  async deliveries(org: string, id: string, q: WebhookDeliveryListQuery): Promise<WebhookDeliveryList> {
    await this.get(org, id);
    const where = ['d.webhook_id = $1'];
    const params: unknown[] = [id];
    if (q.status) where.push(`d.status = $${params.push(q.status)}`);
    if (q.cursor) where.push(`d.id < $${params.push(q.cursor)}::bigint`);
    const res = await this.pool.query<DeliveryRow>(
      `SELECT d.id::text AS id, d.event_id, e.type AS event_type, d.status, d.attempts, d.next_attempt_at,
              d.last_status, d.last_error, d.delivered_at, d.created_at
       FROM webhook_deliveries d LEFT JOIN events e ON e.id = d.event_id
       WHERE ${where.join(' AND ')} ORDER BY d.id DESC LIMIT ${q.limit + 1}`,
      params,
    );
    const page = res.rows.slice(0, q.limit);
    return {
      items: page.map((r) => ({
        id: r.id,
        eventId: r.event_id,
        eventType: r.event_type ?? 'test',
        status: r.status,
        attempts: r.attempts,
        nextAttemptAt: r.status === 'pending' ? r.next_attempt_at.toISOString() : null,
        lastStatus: r.last_status,
        lastError: r.last_error,
        deliveredAt: iso(r.delivered_at),
        createdAt: r.created_at.toISOString(),
      })),
      nextCursor: res.rows.length > q.limit ? page[page.length - 1].id : null,
    };
  }
}
