import { z } from 'zod';
import { EventType } from './live';

/** Rules per user: each event is matched against every enabled rule of its organization. */
export const MAX_NOTIFICATION_RULES_PER_USER = 50;

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const hhmm = z.string().regex(HHMM, 'a local time as HH:MM, 00:00 to 23:59');

/** Whether the runtime knows the IANA zone (Intl throws a RangeError on an unknown one). */
function isTimeZone(zone: string): boolean {
  if (!zone || zone.length > 64) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

export const NotificationLanguage = z.enum(['en', 'es']);
export type NotificationLanguage = z.infer<typeof NotificationLanguage>;
export const NotificationChannel = z.enum(['email', 'telegram']);
export type NotificationChannel = z.infer<typeof NotificationChannel>;

/** Where the rule sends: a channel is on when its target is given. */
export const NotificationTargets = z
  .object({
    email: z.email({ error: 'an e-mail address (name@example.com)' }).max(320).nullable().optional(),
    /** A chat the bot may write to: a numeric id (-100… for groups) or @channelname. */
    telegramChatId: z
      .string()
      .regex(/^(-?\d{1,20}|@[A-Za-z]\w{4,31})$/, 'a Telegram chat id (digits, - for groups) or @channelname')
      .nullable()
      .optional(),
  })
  .strict();

export const QuietHours = z
  .object({ start: hhmm, end: hhmm, mode: z.enum(['skip', 'defer']).default('defer') })
  .strict();
export type QuietHours = z.infer<typeof QuietHours>;

const timeZone = z.string().refine(isTimeZone, 'an IANA time zone (e.g. Europe/Madrid)');
const eventTypes = z.array(EventType).min(1, 'at least one event type').max(EventType.options.length);
const vehicleIds = z.array(z.uuid()).max(500);
/** Vehicle groups: events of their vehicles and of their subgroups' vehicles. */
const groupIds = z.array(z.uuid()).max(50);

const someChannel = (t: { email?: string | null; telegramChatId?: string | null }) =>
  Boolean(t.email || t.telegramChatId);

export const NotificationRuleInput = z
  .object({
    name: z.string().trim().min(1).max(100),
    eventTypes,
    /** Empty, and no groups: every vehicle of the organization. */
    vehicleIds: vehicleIds.default([]),
    groupIds: groupIds.default([]),
    targets: NotificationTargets.refine(someChannel, 'at least one channel: an e-mail address or a Telegram chat id'),
    language: NotificationLanguage.default('en'),
    timeZone: timeZone.default('UTC'),
    quietHours: QuietHours.nullable().default(null),
    enabled: z.boolean().default(true),
  })
  .strict();
export type NotificationRuleInput = z.infer<typeof NotificationRuleInput>;

export const NotificationRuleUpdate = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    eventTypes: eventTypes.optional(),
    vehicleIds: vehicleIds.optional(),
    groupIds: groupIds.optional(),
    targets: NotificationTargets.refine(
      someChannel,
      'at least one channel: an e-mail address or a Telegram chat id',
    ).optional(),
    language: NotificationLanguage.optional(),
    timeZone: timeZone.optional(),
    quietHours: QuietHours.nullable().optional(),
    enabled: z.boolean().optional(),
  })
  .strict();
export type NotificationRuleUpdate = z.infer<typeof NotificationRuleUpdate>;

export const NotificationRule = z.object({
  id: z.uuid(),
  name: z.string(),
  eventTypes: z.array(EventType),
  vehicleIds: z.array(z.uuid()),
  groupIds: z.array(z.uuid()),
  targets: z.object({ email: z.string().nullable(), telegramChatId: z.string().nullable() }),
  language: NotificationLanguage,
  timeZone: z.string(),
  quietHours: z.object({ start: z.string(), end: z.string(), mode: z.enum(['skip', 'defer']) }).nullable(),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type NotificationRule = z.infer<typeof NotificationRule>;

export const NotificationRuleList = z.object({ items: z.array(NotificationRule) });
export type NotificationRuleList = z.infer<typeof NotificationRuleList>;

export const NotificationDeliveryStatus = z.enum(['pending', 'sent', 'failed', 'skipped']);
export type NotificationDeliveryStatus = z.infer<typeof NotificationDeliveryStatus>;

export const NotificationDelivery = z.object({
  id: z.string(),
  ruleId: z.uuid(),
  ruleName: z.string(),
  /** Null for a test send. */
  eventId: z.uuid().nullable(),
  /** `test` for a test send. */
  eventType: z.string(),
  channel: NotificationChannel,
  status: NotificationDeliveryStatus,
  attempts: z.number().int(),
  /** When the next attempt is due (pending only: a retry, or the end of quiet hours). */
  nextAttemptAt: z.string().nullable(),
  lastError: z.string().nullable(),
  sentAt: z.string().nullable(),
  createdAt: z.string(),
});
export type NotificationDelivery = z.infer<typeof NotificationDelivery>;

export const NotificationDeliveryListQuery = z
  .object({
    ruleId: z.uuid().optional(),
    status: NotificationDeliveryStatus.optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z
      .string()
      .regex(/^\d{1,18}$/, 'the nextCursor of the previous page')
      .optional(),
  })
  .strict();
export type NotificationDeliveryListQuery = z.infer<typeof NotificationDeliveryListQuery>;

/** Newest first. */
export const NotificationDeliveryList = z.object({
  items: z.array(NotificationDelivery),
  nextCursor: z.string().nullable(),
});
export type NotificationDeliveryList = z.infer<typeof NotificationDeliveryList>;

/** The answer to a test send: one delivery per channel of the rule, sent by the worker. */
export const NotificationTestQueued = z.object({ deliveryIds: z.array(z.string()) });
export type NotificationTestQueued = z.infer<typeof NotificationTestQueued>;
