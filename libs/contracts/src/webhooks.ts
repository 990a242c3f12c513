import { z } from 'zod';
import { EventDetail } from './events';
import { EventType } from './live';

/** Webhooks per organization: each event is delivered to every matching one, so fan-out stays bounded. */
export const MAX_WEBHOOKS_PER_ORGANIZATION = 25;

const url = z
  .url({ protocol: /^https?$/, error: 'an http:// or https:// URL' })
  .max(2048)
  .refine((u) => {
    // Zod runs this refinement even when the URL check failed: that case is already reported.
    let parsed: URL;
    try {
      parsed = new URL(u);
    } catch {
      return true;
    }
    return parsed.username === '' && parsed.password === '';
  }, 'credentials in the URL would be shown to every admin; put a token in the path or query instead');
/** Empty means every type. */
const eventTypes = z.array(EventType).max(EventType.options.length);

export const WebhookInput = z
  .object({ url, eventTypes: eventTypes.default([]), enabled: z.boolean().default(true) })
  .strict();
export type WebhookInput = z.infer<typeof WebhookInput>;

export const WebhookUpdate = z
  .object({ url: url.optional(), eventTypes: eventTypes.optional(), enabled: z.boolean().optional() })
  .strict();
export type WebhookUpdate = z.infer<typeof WebhookUpdate>;

export const Webhook = z.object({
  id: z.uuid(),
  url: z.string(),
  eventTypes: z.array(EventType),
  enabled: z.boolean(),
  /** HTTP status of the last attempt (null: no answer, e.g. timeout or refused). */
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  lastAttemptAt: z.string().nullable(),
  lastSuccessAt: z.string().nullable(),
  /** Failed attempts since the last success. */
  consecutiveFailures: z.number().int(),
  /** Deliveries waiting for their first or next attempt. */
  pendingDeliveries: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Webhook = z.infer<typeof Webhook>;

/** Answer of creation and secret rotation: the signing secret is shown this once. */
export const WebhookWithSecret = z.object({ webhook: Webhook, secret: z.string() });
export type WebhookWithSecret = z.infer<typeof WebhookWithSecret>;

export const WebhookListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(100).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type WebhookListQuery = z.infer<typeof WebhookListQuery>;

export const WebhookList = z.object({
  items: z.array(Webhook),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type WebhookList = z.infer<typeof WebhookList>;

export const DeliveryStatus = z.enum(['pending', 'delivered', 'failed']);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

export const WebhookDelivery = z.object({
  /** Sent as `X-Fleet-Delivery`; the same on every retry, so receivers can drop duplicates. */
  id: z.string(),
  /** Null for a test ping. */
  eventId: z.uuid().nullable(),
  /** `test` for a test ping. */
  eventType: z.string(),
  status: DeliveryStatus,
  attempts: z.number().int(),
  /** When the next attempt is due (pending only). */
  nextAttemptAt: z.string().nullable(),
  lastStatus: z.number().int().nullable(),
  lastError: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  createdAt: z.string(),
});
export type WebhookDelivery = z.infer<typeof WebhookDelivery>;

export const WebhookDeliveryListQuery = z
  .object({
    status: DeliveryStatus.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z
      .string()
      .regex(/^\d{1,19}$/, 'the nextCursor of the previous page')
      // A delivery id is a bigint: 19 digits can exceed it (9223372036854775808 and up).
      // (zod runs this check even after the regex failed: only digits reach BigInt.)
      .refine((v) => !/^\d+$/.test(v) || BigInt(v) <= 9_223_372_036_854_775_807n, 'the nextCursor of the previous page')
      .optional(),
  })
  .strict();
export type WebhookDeliveryListQuery = z.infer<typeof WebhookDeliveryListQuery>;

/** Newest first. */
export const WebhookDeliveryList = z.object({ items: z.array(WebhookDelivery), nextCursor: z.string().nullable() });
export type WebhookDeliveryList = z.infer<typeof WebhookDeliveryList>;

/**
 * The JSON body POSTed to a webhook (see docs/webhooks.md for the headers and the signature). The same
 * bytes are never guaranteed across retries (names may change), the delivery id is.
 */
export const WebhookPayload = z.object({
  deliveryId: z.string(),
  webhookId: z.uuid(),
  /** Null in a test ping (`X-Fleet-Event: test`), sent by `POST /api/v1/webhooks/:id/test`. */
  event: EventDetail.nullable(),
  test: z.boolean().optional(),
});

/** The answer to `POST /api/v1/webhooks/:id/test`: the ping is queued, delivered by the worker. */
export const WebhookTestQueued = z.object({ deliveryId: z.string() });
export type WebhookTestQueued = z.infer<typeof WebhookTestQueued>;
export type WebhookPayload = z.infer<typeof WebhookPayload>;
