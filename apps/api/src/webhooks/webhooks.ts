import { randomBytes } from 'node:crypto';
import {
  MAX_WEBHOOKS_PER_ORGANIZATION,
  type DeliveryStatus,
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
import { createDb, schema, type Database, type Pool } from '@fleet/db';
import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { conflict, notFound } from '../errors';
import { isUuid } from '../sql';
import { assertWebhookUrlAllowed } from './url-policy';

const { events, webhookDeliveries: deliveries, webhooks } = schema;

const COLUMNS = {
  id: webhooks.id,
  url: webhooks.url,
  eventTypes: webhooks.eventTypes,
  enabled: webhooks.enabled,
  lastStatus: webhooks.lastStatus,
  lastError: webhooks.lastError,
  lastAttemptAt: webhooks.lastAttemptAt,
  lastSuccessAt: webhooks.lastSuccessAt,
  consecutiveFailures: webhooks.consecutiveFailures,
  createdAt: webhooks.createdAt,
  updatedAt: webhooks.updatedAt,
};

/** A delivery id as text: a bigint, exact beyond a JS number's integers (the schema reads it as a number). */
const deliveryIdText = sql<string>`${deliveries.id}::text`;

/** The webhook's deliveries still pending: reads the small partial index of due deliveries, not the whole history. */
const pendingCount = (db: Database) =>
  db.$count(deliveries, and(eq(deliveries.webhookId, webhooks.id), eq(deliveries.status, 'pending')));

interface Row {
  id: string;
  url: string;
  eventTypes: string[];
  enabled: boolean;
  lastStatus: number | null;
  lastError: string | null;
  lastAttemptAt: Date | null;
  lastSuccessAt: Date | null;
  consecutiveFailures: number;
  pending: number;
  createdAt: Date;
  updatedAt: Date;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

const toWebhook = (r: Row): Webhook => ({
  id: r.id,
  url: r.url,
  // Written only through WebhookInput, whose event types are checked.
  eventTypes: r.eventTypes as EventType[],
  enabled: r.enabled,
  lastStatus: r.lastStatus,
  lastError: r.lastError,
  lastAttemptAt: iso(r.lastAttemptAt),
  lastSuccessAt: iso(r.lastSuccessAt),
  consecutiveFailures: r.consecutiveFailures,
  pendingDeliveries: r.pending,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** 32 random bytes; the prefix tells a leaked value apart in logs and secret scanners. */
const generateSecret = () => `whsec_${randomBytes(32).toString('base64url')}`;

const unique = (types: EventType[]) => [...new Set(types)].sort();

/**
 * The webhooks of one organization (admins only). The secret is kept in clear because the worker signs
 * with it; it is shown at creation and rotation only. Deliveries are made by the worker's dispatcher.
 */
export class Webhooks {
  private readonly db: Database;

  constructor(
    pool: Pool,
    private readonly options: { allowPrivateUrls: boolean },
  ) {
    this.db = createDb(pool);
  }

  async list(org: string, q: WebhookListQuery): Promise<WebhookList> {
    const [rows, total] = await Promise.all([
      this.db
        .select({ ...COLUMNS, pending: pendingCount(this.db) })
        .from(webhooks)
        .where(eq(webhooks.organizationId, org))
        .orderBy(asc(webhooks.createdAt), asc(webhooks.id))
        .limit(q.limit)
        .offset(q.offset),
      this.db.$count(webhooks, eq(webhooks.organizationId, org)),
    ]);
    return { items: rows.map(toWebhook), total, limit: q.limit, offset: q.offset };
  }

  async get(org: string, id: string): Promise<Webhook> {
    if (!isUuid(id)) throw notFound('webhook');
    const [row] = await this.db
      .select({ ...COLUMNS, pending: pendingCount(this.db) })
      .from(webhooks)
      .where(and(eq(webhooks.id, id), eq(webhooks.organizationId, org)));
    if (!row) throw notFound('webhook');
    return toWebhook(row);
  }

  async create(org: string, input: WebhookInput): Promise<WebhookWithSecret> {
    assertWebhookUrlAllowed(input.url, { allowPrivate: this.options.allowPrivateUrls });
    // The cap bounds the fan-out of each event; two creations racing past it by one is harmless.
    if ((await this.db.$count(webhooks, eq(webhooks.organizationId, org))) >= MAX_WEBHOOKS_PER_ORGANIZATION)
      throw conflict(`an organization has at most ${MAX_WEBHOOKS_PER_ORGANIZATION} webhooks; delete one first`);
    const secret = generateSecret();
    const [{ id }] = await this.db
      .insert(webhooks)
      .values({
        organizationId: org,
        url: input.url,
        secret,
        eventTypes: unique(input.eventTypes),
        enabled: input.enabled,
      })
      .returning({ id: webhooks.id });
    return { webhook: await this.get(org, id), secret };
  }

  /**
   * Changes apply to deliveries still pending: they go to the new URL. Disabling a webhook makes the
   * dispatcher fail its pending deliveries ("webhook disabled") instead of sending them.
   */
  async update(org: string, id: string, patch: WebhookUpdate): Promise<Webhook> {
    await this.get(org, id);
    if (patch.url !== undefined) assertWebhookUrlAllowed(patch.url, { allowPrivate: this.options.allowPrivateUrls });
    await this.db
      .update(webhooks)
      .set({
        url: patch.url,
        eventTypes: patch.eventTypes && unique(patch.eventTypes),
        enabled: patch.enabled,
        updatedAt: sql`now()`,
      })
      .where(and(eq(webhooks.id, id), eq(webhooks.organizationId, org)));
    return this.get(org, id);
  }

  /** A new secret, effective at once: pending deliveries are signed with it on their next attempt. */
  async rotateSecret(org: string, id: string): Promise<WebhookWithSecret> {
    await this.get(org, id);
    const secret = generateSecret();
    await this.db
      .update(webhooks)
      .set({ secret, updatedAt: sql`now()` })
      .where(and(eq(webhooks.id, id), eq(webhooks.organizationId, org)));
    return { webhook: await this.get(org, id), secret };
  }

  /** Deletes the webhook with its deliveries (pending ones are never sent). */
  async remove(org: string, id: string): Promise<void> {
    await this.get(org, id);
    await this.db.delete(webhooks).where(and(eq(webhooks.id, id), eq(webhooks.organizationId, org)));
  }

  /**
   * Queues a signed test ping (no event) to the webhook, delivered and retried by the worker like any
   * delivery — so the receiver's answer shows up in the webhook's state and its deliveries.
   */
  async queueTest(org: string, id: string): Promise<{ deliveryId: string }> {
    await this.get(org, id);
    const [row] = await this.db
      .insert(deliveries)
      .values({ webhookId: id, eventId: null })
      .returning({ id: deliveryIdText });
    return { deliveryId: row.id };
  }

  /** Recent deliveries, newest first (keyset on the delivery id). */
  async deliveries(org: string, id: string, q: WebhookDeliveryListQuery): Promise<WebhookDeliveryList> {
    await this.get(org, id);
    const rows = await this.db
      .select({
        id: deliveryIdText,
        eventId: deliveries.eventId,
        eventType: events.type,
        status: deliveries.status,
        attempts: deliveries.attempts,
        nextAttemptAt: deliveries.nextAttemptAt,
        lastStatus: deliveries.lastStatus,
        lastError: deliveries.lastError,
        deliveredAt: deliveries.deliveredAt,
        createdAt: deliveries.createdAt,
      })
      .from(deliveries)
      .leftJoin(events, eq(events.id, deliveries.eventId))
      .where(
        and(
          eq(deliveries.webhookId, id),
          q.status ? eq(deliveries.status, q.status) : undefined,
          // Compared as bigint text: a cursor may be beyond a JS number's exact integers.
          q.cursor ? sql`${deliveries.id} < ${q.cursor}::bigint` : undefined,
        ),
      )
      .orderBy(desc(deliveries.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return {
      items: page.map((r) => ({
        id: r.id,
        eventId: r.eventId,
        eventType: r.eventType ?? 'test',
        // Only the dispatcher writes the status, one of these.
        status: r.status as DeliveryStatus,
        attempts: r.attempts,
        nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt.toISOString() : null,
        lastStatus: r.lastStatus,
        lastError: r.lastError,
        deliveredAt: iso(r.deliveredAt),
        createdAt: r.createdAt.toISOString(),
      })),
      nextCursor: rows.length > q.limit ? page[page.length - 1].id : null,
    };
  }
}
