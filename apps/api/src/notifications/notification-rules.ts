import {
  MAX_NOTIFICATION_RULES_PER_USER,
  type EventType,
  type NotificationChannel,
  type NotificationDeliveryList,
  type NotificationDeliveryListQuery,
  type NotificationDeliveryStatus,
  type NotificationLanguage,
  type NotificationRule,
  type NotificationRuleInput,
  type NotificationRuleList,
  type NotificationRuleUpdate,
  type NotificationTestQueued,
} from '@fleet/contracts';
import { createDb, schema, type Database, type Pool } from '@fleet/db';
import { and, desc, eq, sql } from 'drizzle-orm';
import { notFound } from '../errors';
import { checkFleetRefs, OwnedRows, uniqueSorted, type Owner } from '../owned/owned';

const { events, notificationDeliveries: deliveries, notificationRules: rules } = schema;

type Row = typeof rules.$inferSelect;

const toRule = (r: Row): NotificationRule => ({
  id: r.id,
  name: r.name,
  // Written only through NotificationRuleInput / Update, whose values are checked.
  eventTypes: r.eventTypes as EventType[],
  vehicleIds: r.vehicleIds,
  groupIds: r.groupIds,
  targets: { email: r.email, telegramChatId: r.telegramChatId },
  language: r.language as NotificationLanguage,
  timeZone: r.timeZone,
  quietHours:
    r.quietStart && r.quietEnd ? { start: r.quietStart, end: r.quietEnd, mode: r.quietMode as 'skip' | 'defer' } : null,
  enabled: r.enabled,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/**
 * Notification rules and their delivery log (issue #16). Deliveries are created by the worker with the
 * events (same transaction) and sent by its notification loop; a test send is queued here.
 */
export class NotificationRules {
  private readonly db: Database;
  private readonly owned: OwnedRows<typeof rules>;

  constructor(pool: Pool) {
    this.db = createDb(pool);
    this.owned = new OwnedRows(this.db, rules, 'rule');
  }

  async list(o: Owner): Promise<NotificationRuleList> {
    return { items: (await this.owned.list(o)).map(toRule) };
  }

  async get(o: Owner, id: string): Promise<NotificationRule> {
    return toRule(await this.owned.get(o, id));
  }

  async create(o: Owner, input: NotificationRuleInput): Promise<NotificationRule> {
    await checkFleetRefs(this.db, o, input);
    // Bounds each event's fan-out.
    await this.owned.checkRoom(o, MAX_NOTIFICATION_RULES_PER_USER, 'notification rules');
    const [row] = await this.db
      .insert(rules)
      .values({
        organizationId: o.org,
        userId: o.user,
        name: input.name,
        eventTypes: uniqueSorted(input.eventTypes),
        vehicleIds: uniqueSorted(input.vehicleIds),
        groupIds: uniqueSorted(input.groupIds),
        email: input.targets.email ?? null,
        telegramChatId: input.targets.telegramChatId ?? null,
        language: input.language,
        timeZone: input.timeZone,
        quietStart: input.quietHours?.start ?? null,
        quietEnd: input.quietHours?.end ?? null,
        quietMode: input.quietHours?.mode ?? 'defer',
        enabled: input.enabled,
      })
      .returning();
    return toRule(row);
  }

  async update(o: Owner, id: string, patch: NotificationRuleUpdate): Promise<NotificationRule> {
    await this.owned.get(o, id);
    await checkFleetRefs(this.db, o, patch);
    const quiet =
      patch.quietHours === undefined
        ? {}
        : {
            quietStart: patch.quietHours?.start ?? null,
            quietEnd: patch.quietHours?.end ?? null,
            quietMode: patch.quietHours?.mode ?? 'defer',
          };
    const targets =
      patch.targets === undefined
        ? {}
        : { email: patch.targets.email ?? null, telegramChatId: patch.targets.telegramChatId ?? null };
    const [row] = await this.db
      .update(rules)
      .set({
        name: patch.name,
        eventTypes: patch.eventTypes && uniqueSorted(patch.eventTypes),
        vehicleIds: patch.vehicleIds && uniqueSorted(patch.vehicleIds),
        groupIds: patch.groupIds && uniqueSorted(patch.groupIds),
        ...targets,
        language: patch.language,
        timeZone: patch.timeZone,
        ...quiet,
        enabled: patch.enabled,
        updatedAt: sql`now()`,
      })
      .where(this.owned.where(o, id))
      .returning();
    if (!row) throw notFound('rule');
    return toRule(row);
  }

  /** Deletes the rule with its delivery log (pending deliveries are never sent). */
  remove(o: Owner, id: string): Promise<void> {
    return this.owned.remove(o, id);
  }

  /** One test delivery per channel of the rule, sent by the worker like any other (no event). */
  async queueTest(o: Owner, id: string): Promise<NotificationTestQueued> {
    const rule = await this.get(o, id);
    const channels: NotificationChannel[] = [];
    if (rule.targets.email) channels.push('email');
    if (rule.targets.telegramChatId) channels.push('telegram');
    if (!channels.length) return { deliveryIds: [] };
    const rows = await this.db
      .insert(deliveries)
      .values(channels.map((channel) => ({ ruleId: id, eventId: null, channel })))
      .returning({ id: sql<string>`${deliveries.id}::text` });
    return { deliveryIds: rows.map((r) => r.id) };
  }

  /** The caller's delivery log, newest first (keyset on the delivery id). */
  async deliveries(o: Owner, q: NotificationDeliveryListQuery): Promise<NotificationDeliveryList> {
    if (q.ruleId) await this.get(o, q.ruleId);
    const rows = await this.db
      .select({
        id: sql<string>`${deliveries.id}::text`,
        ruleId: deliveries.ruleId,
        ruleName: rules.name,
        eventId: deliveries.eventId,
        eventType: events.type,
        channel: deliveries.channel,
        status: deliveries.status,
        attempts: deliveries.attempts,
        nextAttemptAt: deliveries.nextAttemptAt,
        lastError: deliveries.lastError,
        sentAt: deliveries.sentAt,
        createdAt: deliveries.createdAt,
      })
      .from(deliveries)
      .innerJoin(rules, eq(rules.id, deliveries.ruleId))
      .leftJoin(events, eq(events.id, deliveries.eventId))
      .where(
        and(
          eq(rules.organizationId, o.org),
          eq(rules.userId, o.user),
          q.ruleId ? eq(deliveries.ruleId, q.ruleId) : undefined,
          q.status ? eq(deliveries.status, q.status) : undefined,
          q.cursor ? sql`${deliveries.id} < ${q.cursor}::bigint` : undefined,
        ),
      )
      .orderBy(desc(deliveries.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return {
      items: page.map((r) => ({
        id: r.id,
        ruleId: r.ruleId,
        ruleName: r.ruleName,
        eventId: r.eventId,
        eventType: r.eventType ?? 'test',
        // Checked by the table's constraints.
        channel: r.channel as NotificationChannel,
        status: r.status as NotificationDeliveryStatus,
        attempts: r.attempts,
        nextAttemptAt: r.status === 'pending' ? r.nextAttemptAt.toISOString() : null,
        lastError: r.lastError,
        sentAt: iso(r.sentAt),
        createdAt: r.createdAt.toISOString(),
      })),
      nextCursor: rows.length > q.limit ? page[page.length - 1].id : null,
    };
  }
}
