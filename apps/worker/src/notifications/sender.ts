import type { EventDetail, EventType } from '@fleet/contracts';
import { createDb, schema, selectEventDetails, toEventDetail, type Database } from '@fleet/db';
import type { Logger } from '@fleet/logging-json';
import {
  decide,
  deliver,
  escapeHtml,
  escapeTelegramHtml,
  idempotencyKey,
  renderEvent,
  type AttemptRecord,
  type GroupsOf,
  type ChannelKind,
  type Channels,
  type Language,
  type NotificationRule,
  type RenderedNotification,
  type RetryPolicy,
} from '@fleet/notify';
import { inArray } from 'drizzle-orm';
import type { Pool } from 'pg';
import client from 'prom-client';
import { LEASE_MARGIN_MS, MAX_ERROR_LENGTH } from '../deliveries/lease';
import { startLeaseLoop } from '../deliveries/loop';

export interface NotificationSenderOptions {
  pool: Pool;
  logger: Logger;
  registry: client.Registry;
  /** The configured channels (a channel absent is not configured: its deliveries fail permanently). */
  channels: Channels;
  webBaseUrl: string;
  /** Deliveries in flight at once. */
  concurrency: number;
  pollMs: number;
  /** The longest one send may take (SMTP or Telegram timeout): the lease lasts this plus a margin. */
  sendTimeoutMs: number;
  policy: RetryPolicy;
  /** The clock of quiet hours, due times and backoff (a test's fake clock). */
  now?: () => Date;
}

export interface NotificationSender {
  /** Stops claiming and waits for the sends in flight. */
  stop(): Promise<void>;
}

interface Claimed {
  id: string;
  rule_id: string;
  event_id: string | null;
  channel: ChannelKind;
  attempts: number;
  parts_sent: number;
  provider_ids: string[];
  /** The lease's end as claimed: the finish applies only while the lease is still this one. */
  lease: Date;
  name: string;
  event_types: string[];
  vehicle_ids: string[];
  group_ids: string[];
  email: string | null;
  telegram_chat_id: string | null;
  language: Language;
  time_zone: string;
  quiet_start: string | null;
  quiet_end: string | null;
  quiet_mode: 'skip' | 'defer';
  enabled: boolean;
  user_disabled: boolean;
}

/**
 * Claims due deliveries as a lease (SKIP LOCKED, so workers share them; the next attempt moved past
 * the send's timeout, so no row lock is held while the server answers). The attempt is counted at the
 * claim, so a worker dying mid-send still spends one; a deferral or skip writes the count back
 * (`attempts` below is the count before the claim). Due and lease are on the sender's clock ($3).
 * Hand-written: lock, lease and read in one statement.
 */
const CLAIM = `
WITH due AS (
  SELECT id FROM notification_deliveries
  WHERE status = 'pending' AND next_attempt_at <= $3::timestamptz
  ORDER BY next_attempt_at
  LIMIT $1
  FOR UPDATE SKIP LOCKED
), claimed AS (
  UPDATE notification_deliveries d
  SET attempts = d.attempts + 1, next_attempt_at = $3::timestamptz + $2::integer * interval '1 millisecond'
  FROM due WHERE d.id = due.id
  RETURNING d.id, d.rule_id, d.event_id, d.channel, d.attempts, d.parts_sent, d.provider_ids, d.next_attempt_at
)
SELECT c.id::text AS id, c.rule_id, c.event_id, c.channel, c.attempts - 1 AS attempts, c.parts_sent, c.provider_ids,
       c.next_attempt_at AS lease, r.name, r.event_types, r.vehicle_ids::text[] AS vehicle_ids,
       r.group_ids::text[] AS group_ids, r.email,
       r.telegram_chat_id, r.language, r.time_zone, r.quiet_start, r.quiet_end, r.quiet_mode, r.enabled,
       u.disabled_at IS NOT NULL AS user_disabled
FROM claimed c
JOIN notification_rules r ON r.id = c.rule_id
JOIN users u ON u.id = r.user_id`;

/** Each vehicle's group and the groups above it (a group rule covers the vehicles of its subtree). */
const GROUPS_OF = `
WITH RECURSIVE up(vehicle_id, id) AS (
  SELECT v.id, v.group_id FROM vehicles v WHERE v.id = ANY($1::uuid[]) AND v.group_id IS NOT NULL
  UNION
  SELECT up.vehicle_id, g.parent_id FROM up JOIN vehicle_groups g ON g.id = up.id WHERE g.parent_id IS NOT NULL
)
SELECT vehicle_id::text AS vehicle_id, array_agg(id::text) AS groups FROM up GROUP BY vehicle_id`;

/** Records the outcome, unless the lease expired and another worker claimed the row meanwhile. */
const FINISH = `
UPDATE notification_deliveries
SET status = $3, attempts = $4, parts_sent = $5, provider_ids = $6::text[], last_error = $7,
    sent_at = CASE WHEN $3 = 'sent' THEN $8::timestamptz END,
    next_attempt_at = COALESCE($9::timestamptz, next_attempt_at)
WHERE id = $1::bigint AND status = 'pending' AND next_attempt_at = $2::timestamptz`;

type Outcome = 'sent' | 'retry' | 'failed' | 'skipped' | 'deferred';

const TEST_TEXT: Record<Language, { subject: string; body: (rule: string) => string }> = {
  en: {
    subject: 'Fleet: test notification',
    body: (rule) => `This is a test of your notification rule “${rule}”. Notifications of this rule will arrive here.`,
  },
  es: {
    subject: 'Fleet: notificación de prueba',
    body: (rule) =>
      `Esto es una prueba de tu regla de notificación «${rule}». Las notificaciones de esta regla llegarán aquí.`,
  },
};

/** The text of a test send, in the rule's language; the rule's name escaped for each medium. */
export function renderTest(language: Language, ruleName: string): RenderedNotification {
  const t = TEST_TEXT[language];
  return {
    subject: t.subject,
    text: t.body(ruleName),
    html: `<p>${escapeHtml(t.body(ruleName))}</p>`,
    telegramHtml: `<b>${escapeTelegramHtml(t.subject)}</b>\n${escapeTelegramHtml(t.body(ruleName))}`,
  };
}

const toRule = (c: Claimed): NotificationRule => ({
  id: c.rule_id,
  eventTypes: c.event_types as EventType[],
  vehicleIds: c.vehicle_ids,
  groupIds: c.group_ids,
  channels: [c.channel],
  timeZone: c.time_zone,
  quietHours: c.quiet_start && c.quiet_end ? { start: c.quiet_start, end: c.quiet_end, mode: c.quiet_mode } : null,
});

/** The previous attempts as @fleet/notify's deliver() resumes from them: count and parts already sent. */
function previousOf(c: Claimed, key: string, now: Date): AttemptRecord | undefined {
  if (c.attempts === 0 && c.parts_sent === 0) return undefined;
  return {
    idempotencyKey: key,
    eventId: c.event_id ?? `test-${c.id}`,
    ruleId: c.rule_id,
    channel: c.channel,
    attempt: c.attempts,
    startedAt: now,
    finishedAt: now,
    status: 'retry',
    partsSent: c.parts_sent,
    providerIds: c.provider_ids,
  };
}

function senderMetrics(registry: client.Registry) {
  return {
    sent: new client.Counter({
      name: 'notifications_sent_total',
      help: 'Notification delivery attempts by channel and outcome: sent, retry (failed, will retry), failed (gave up), skipped (quiet hours, rule disabled), deferred (to the end of quiet hours)',
      labelNames: ['channel', 'status'] as const,
      registers: [registry],
    }),
  };
}

/**
 * The notification sender: a lease loop (deliveries/loop) beside ingestion, so a slow mail server
 * never delays a position. Each delivery row is one event, one rule, one channel.
 */
export function startNotificationSender(o: NotificationSenderOptions): NotificationSender {
  const db: Database = createDb(o.pool);
  const metrics = senderMetrics(o.registry);
  const now = o.now ?? (() => new Date());
  const finish = (
    c: Claimed,
    status: 'pending' | 'sent' | 'failed' | 'skipped',
    extra: { attempts?: number; partsSent?: number; providerIds?: string[]; error?: string | null; next?: Date | null },
  ) =>
    o.pool.query(FINISH, [
      c.id,
      c.lease.toISOString(),
      status,
      extra.attempts ?? c.attempts,
      extra.partsSent ?? c.parts_sent,
      extra.providerIds ?? c.provider_ids,
      extra.error === undefined ? null : extra.error && extra.error.slice(0, MAX_ERROR_LENGTH),
      now().toISOString(),
      extra.next ? extra.next.toISOString() : null,
    ]);

  async function send(c: Claimed, event: EventDetail | null, groupsOf?: GroupsOf): Promise<Outcome> {
    if (!c.enabled || c.user_disabled) {
      await finish(c, 'skipped', { error: c.enabled ? 'the rule’s owner is disabled' : 'rule disabled' });
      return 'skipped';
    }
    const at = now();
    // Claimed this often without an outcome recorded: the sends died with their worker.
    if (c.attempts >= o.policy.maxAttempts) {
      await finish(c, 'failed', { error: `gave up after ${c.attempts} attempts without an answer` });
      return 'failed';
    }
    if (event) {
      const decision = decide(toRule(c), event, { now: at, groupsOf });
      if (!decision.send) {
        const why = decision.reason === 'quiet_hours' ? 'quiet hours' : 'the rule no longer covers this event';
        await finish(c, 'skipped', { error: why });
        return 'skipped';
      }
      if (decision.deferred) {
        await finish(c, 'pending', { error: null, next: decision.at });
        return 'deferred';
      }
    }
    const content = event
      ? renderEvent(event, { language: c.language, timeZone: c.time_zone, webBaseUrl: o.webBaseUrl })
      : renderTest(c.language, c.name);
    const eventId = c.event_id ?? `test-${c.id}`;
    const key = idempotencyKey({ eventId, ruleId: c.rule_id, channel: c.channel });
    const record = await deliver(
      { eventId, ruleId: c.rule_id, recipient: { email: c.email, telegramChatId: c.telegram_chat_id }, content },
      c.channel,
      { channels: o.channels, previous: previousOf(c, key, at), policy: o.policy, now },
    );
    const error = record.error ? `${record.error.code}: ${record.error.message}` : null;
    const common = { attempts: record.attempt, partsSent: record.partsSent, providerIds: record.providerIds, error };
    if (record.status === 'sent') await finish(c, 'sent', common);
    else if (record.status === 'retry') await finish(c, 'pending', { ...common, next: record.nextAttemptAt ?? at });
    else {
      await finish(c, 'failed', common);
      o.logger.warn('notification failed for good', { deliveryId: c.id, channel: c.channel, error });
    }
    return record.status;
  }

  /** The claimed deliveries with their events; one whose event is gone since the claim went with it. */
  async function claim(limit: number): Promise<Array<{ c: Claimed; event: EventDetail | null; groupsOf?: GroupsOf }>> {
    const res = await o.pool.query<Claimed>(CLAIM, [limit, o.sendTimeoutMs + LEASE_MARGIN_MS, now().toISOString()]);
    const ids = res.rows.flatMap((c) => (c.event_id ? [c.event_id] : []));
    const details = ids.length ? await selectEventDetails(db).where(inArray(schema.events.id, ids)) : [];
    const byId = new Map(details.map((d) => [d.id, toEventDetail(d)]));
    // The groups of the vehicles whose events group rules may cover, read once for the claim.
    const grouped = res.rows.flatMap((c) =>
      c.group_ids.length && c.event_id ? [byId.get(c.event_id)?.vehicleId] : [],
    );
    const groups = new Map<string, string[]>();
    if (grouped.length)
      for (const r of (await o.pool.query<{ vehicle_id: string; groups: string[] }>(GROUPS_OF, [grouped])).rows)
        groups.set(r.vehicle_id, r.groups);
    const groupsOf: GroupsOf = (vehicleId) => groups.get(vehicleId) ?? [];
    return res.rows.flatMap((c): Array<{ c: Claimed; event: EventDetail | null; groupsOf?: GroupsOf }> => {
      if (c.event_id === null) return [{ c, event: null }];
      // Gone since the claim (vehicle deleted, retention): the delivery went with it.
      const event = byId.get(c.event_id);
      return event ? [{ c, event, groupsOf }] : [];
    });
  }

  const loop = startLeaseLoop({
    name: 'notification',
    logger: o.logger,
    concurrency: o.concurrency,
    pollMs: o.pollMs,
    claim,
    handle: async ({ c, event, groupsOf }) =>
      metrics.sent.inc({ channel: c.channel, status: await send(c, event, groupsOf) }),
    describe: ({ c }) => ({ deliveryId: c.id }),
  });
  return { stop: () => loop.stop() };
}
