import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  doublePrecision,
  index,
  integer,
  boolean,
  check,
  date,
  json,
  jsonb,
  pgEnum,
  pgTable,
  primaryKey,
  real,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
  type AnyPgColumn,
} from 'drizzle-orm/pg-core';
import { area, point } from './postgis';

const createdAt = () => timestamp('created_at', { withTimezone: true }).notNull().defaultNow();
const updatedAt = () => timestamp('updated_at', { withTimezone: true }).notNull().defaultNow();

export const userRole = pgEnum('user_role', ['admin', 'operator', 'viewer']);
export const geofenceKind = pgEnum('geofence_kind', ['polygon', 'circle']);

export const organizations = pgTable('organizations', {
  id: uuid('id').primaryKey().defaultRandom(),
  name: text('name').notNull(),
  slug: text('slug').notNull().unique(),
  /** Days of position history kept; null keeps everything. */
  positionRetentionDays: integer('position_retention_days'),
  /** Days of events kept; null keeps everything. */
  eventRetentionDays: integer('event_retention_days'),
  settings: jsonb('settings').$type<Record<string, unknown>>().notNull().default({}),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

export const users = pgTable(
  'users',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    passwordHash: text('password_hash').notNull(),
    role: userRole('role').notNull().default('viewer'),
    disabledAt: timestamp('disabled_at', { withTimezone: true }),
    /**
     * Bumped whenever the user's access must end at once (disabled, role changed, deleted, password
     * changed): access tokens carry the version they were issued under, and an older one is refused.
     */
    sessionVersion: integer('session_version').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`), index('users_org_idx').on(t.organizationId)],
);

/**
 * Vehicle groups, nested (region → depot): `parent_id` null for a top-level group. A vehicle belongs to
 * one group at most; a user may be limited to groups (`user_group_scopes`), and then sees the vehicles
 * of those groups and of every group below them. A group with subgroups, vehicles or scoped users
 * cannot be deleted (the foreign keys refuse it), so nobody's scope silently widens to the whole organization.
 */
export const vehicleGroups = pgTable(
  'vehicle_groups',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    parentId: uuid('parent_id').references((): AnyPgColumn => vehicleGroups.id, { onDelete: 'no action' }),
    name: text('name').notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('vehicle_groups_org_idx').on(t.organizationId),
    index('vehicle_groups_parent_idx')
      .on(t.parentId)
      .where(sql`${t.parentId} IS NOT NULL`),
    // Sibling names are unique (case-insensitive); top-level groups are siblings of each other.
    uniqueIndex('vehicle_groups_sibling_name_key').on(
      t.organizationId,
      sql`coalesce(${t.parentId}, '00000000-0000-0000-0000-000000000000'::uuid)`,
      sql`lower(${t.name})`,
    ),
    check('vehicle_groups_not_own_parent', sql`${t.parentId} IS DISTINCT FROM ${t.id}`),
  ],
);

/** A user limited to groups: no row, the whole organization; rows, those groups and their subgroups only. */
export const userGroupScopes = pgTable(
  'user_group_scopes',
  {
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    groupId: uuid('group_id')
      .notNull()
      .references(() => vehicleGroups.id, { onDelete: 'no action' }),
  },
  (t) => [primaryKey({ columns: [t.userId, t.groupId] }), index('user_group_scopes_group_idx').on(t.groupId)],
);

export const vehicles = pgTable(
  'vehicles',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    plate: text('plate'),
    type: text('type').notNull().default('car'),
    /** What the tracker sends (Traccar Client's `id`, OwnTracks user/device); unique platform-wide. */
    deviceIdentifier: text('device_identifier').notNull().unique(),
    deviceTokenHash: text('device_token_hash'),
    deviceDisabledAt: timestamp('device_disabled_at', { withTimezone: true }),
    speedLimitKmh: real('speed_limit_kmh'),
    color: text('color'),
    icon: text('icon'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    /** The tracker app's settings for this vehicle over the organization's (`settings.tracker`); null: none. */
    trackerSettings: jsonb('tracker_settings').$type<Record<string, unknown>>(),
    /** The vehicle's group (one at most); null: none. A group with vehicles cannot be deleted. */
    groupId: uuid('group_id').references((): AnyPgColumn => vehicleGroups.id, { onDelete: 'no action' }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('vehicles_org_idx').on(t.organizationId),
    index('vehicles_group_idx')
      .on(t.groupId)
      .where(sql`${t.groupId} IS NOT NULL`),
    uniqueIndex('vehicles_device_token_hash_key')
      .on(t.deviceTokenHash)
      .where(sql`${t.deviceTokenHash} IS NOT NULL`),
  ],
);

/**
 * Every fix ever stored. Partitioned by month on `ts` (see the hand-written part of migration 0000 and
 * `ensure_position_partitions`), so retention drops whole partitions. Speeds are km/h everywhere.
 * No foreign key to vehicles: the check would cost every insert on the hottest table, and vehicles
 * are never hard-deleted while they have history.
 */
export const positions = pgTable(
  'positions',
  {
    vehicleId: uuid('vehicle_id').notNull(),
    ts: timestamp('ts', { withTimezone: true }).notNull(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    point: point('point').notNull(),
    speedKmh: real('speed_kmh'),
    heading: real('heading'),
    altitude: real('altitude'),
    accuracy: real('accuracy'),
    battery: real('battery'),
    protocol: text('protocol'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>(),
  },
  (t) => [primaryKey({ columns: [t.vehicleId, t.ts] }), index('positions_point_gist').using('gist', t.point)],
);

/** The latest fix of each vehicle: what the live map, nearest and bbox queries read. */
export const vehicleState = pgTable(
  'vehicle_state',
  {
    vehicleId: uuid('vehicle_id')
      .primaryKey()
      .references(() => vehicles.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id').notNull(),
    ts: timestamp('ts', { withTimezone: true }).notNull(),
    point: point('point').notNull(),
    speedKmh: real('speed_kmh'),
    heading: real('heading'),
    altitude: real('altitude'),
    accuracy: real('accuracy'),
    battery: real('battery'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('vehicle_state_point_gist').using('gist', t.point),
    index('vehicle_state_org_idx').on(t.organizationId, t.ts),
  ],
);

/**
 * The ingestion outbox: one row per accepted request, committed before the API answers 202.
 * The worker marks it processed; the replayer republishes rows left unprocessed.
 */
export const ingestStaging = pgTable(
  'ingest_staging',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
    protocol: text('protocol').notNull(),
    positionCount: integer('position_count').notNull(),
    /** `json`, not `jsonb`: stored as sent, never queried inside; spares PostgreSQL a parse per request. */
    payload: json('payload').notNull(),
    publishedAt: timestamp('published_at', { withTimezone: true }),
    processedAt: timestamp('processed_at', { withTimezone: true }),
    /** Times the replayer republished it. */
    attempts: integer('attempts').notNull().default(0),
    /** Set when the worker gave up on it (also stored in the dead-letter stream). */
    deadLetterReason: text('dead_letter_reason'),
  },
  (t) => [
    index('ingest_staging_unprocessed_idx')
      .on(t.receivedAt)
      .where(sql`${t.processedAt} IS NULL`),
    index('ingest_staging_processed_idx')
      .on(t.processedAt)
      .where(sql`${t.processedAt} IS NOT NULL`),
  ],
);

/**
 * Fixes the writer could not store, one row each, with PostgreSQL's reason: after a failing batch is
 * split down to the fixes that fail on their own. `fix` is the staged form of that one fix (a
 * one-position batch in the staging codec), so a replay after a fix goes through the same writer.
 */
export const ingestDeadLetters = pgTable(
  'ingest_dead_letters',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    stagingId: bigint('staging_id', { mode: 'number' }).notNull(),
    protocol: text('protocol').notNull(),
    vehicleId: uuid('vehicle_id'),
    ts: timestamp('ts', { withTimezone: true }),
    /** `json`, not `jsonb`: it must hold exactly what jsonb refused. */
    fix: json('fix').notNull(),
    reason: text('reason').notNull(),
    createdAt: createdAt(),
    /** Set when `worker:replay --dead-letters` stored it (or found it stored). */
    replayedAt: timestamp('replayed_at', { withTimezone: true }),
  },
  (t) => [
    index('ingest_dead_letters_pending_idx')
      .on(t.createdAt)
      .where(sql`${t.replayedAt} IS NULL`),
  ],
);

export const geofences = pgTable(
  'geofences',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    kind: geofenceKind('kind').notNull(),
    /** The polygon; for a circle, its polygonal approximation, so one GiST index serves both. */
    area: area('area').notNull(),
    center: point('center'),
    radiusM: doublePrecision('radius_m'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('geofences_area_gist').using('gist', t.area), index('geofences_org_idx').on(t.organizationId)],
);

export const events = pgTable(
  'events',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id').notNull(),
    vehicleId: uuid('vehicle_id')
      .notNull()
      .references(() => vehicles.id, { onDelete: 'cascade' }),
    type: text('type').notNull(),
    ts: timestamp('ts', { withTimezone: true }).notNull(),
    geofenceId: uuid('geofence_id').references(() => geofences.id, { onDelete: 'set null' }),
    point: point('point'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    /**
     * Set when a late fix re-evaluated the vehicle's history and the corrected sequence no longer
     * implies this event: kept (webhooks may have seen it) but marked, and hidden from default lists.
     */
    retractedAt: timestamp('retracted_at', { withTimezone: true }),
    /**
     * What else the event is about, when its type allows several at one fix (a maintenance rule, a
     * driver); part of the natural key. Null for the geofence, speed and connection events.
     */
    subjectId: uuid('subject_id'),
    createdAt: createdAt(),
  },
  (t) => [
    // The natural key: a redelivered batch can never emit the same event twice.
    unique('events_natural_key').on(t.vehicleId, t.type, t.ts, t.geofenceId, t.subjectId).nullsNotDistinct(),
    index('events_org_ts_idx').on(t.organizationId, t.ts),
    // Deleting a geofence sets its events' geofence_id to null; the events filter by geofence.
    index('events_geofence_idx')
      .on(t.geofenceId)
      .where(sql`${t.geofenceId} IS NOT NULL`),
  ],
);

/**
 * Refresh tokens, stored hashed. Each login starts a family; every refresh replaces the token with
 * a new one of the same family. Presenting a replaced token again means it was stolen: the whole
 * family is revoked.
 */
export const refreshTokens = pgTable(
  'refresh_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    familyId: uuid('family_id').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    replacedAt: timestamp('replaced_at', { withTimezone: true }),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('refresh_tokens_family_idx').on(t.familyId), index('refresh_tokens_user_idx').on(t.userId)],
);

/** An admin's invitation to join the organization; accepting it creates the user. Stored hashed. */
export const invitations = pgTable(
  'invitations',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    email: text('email').notNull(),
    name: text('name').notNull().default(''),
    role: userRole('role').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    invitedBy: uuid('invited_by').references(() => users.id, { onDelete: 'set null' }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    acceptedAt: timestamp('accepted_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [index('invitations_org_idx').on(t.organizationId)],
);

/**
 * What the event detector remembers about each vehicle between batches: the geofences it was last
 * inside, an overspeed episode in progress, and whether it was reported offline. Updated in the same
 * transaction as the positions that moved it, so a redelivered batch (whose positions are already
 * stored) changes nothing and emits nothing.
 */
export const vehicleEventState = pgTable('vehicle_event_state', {
  vehicleId: uuid('vehicle_id')
    .primaryKey()
    .references(() => vehicles.id, { onDelete: 'cascade' }),
  /** The newest fix evaluated; older fixes arriving late are stored but not evaluated. */
  ts: timestamp('ts', { withTimezone: true }).notNull(),
  geofenceIds: uuid('geofence_ids')
    .array()
    .notNull()
    .default(sql`'{}'::uuid[]`),
  /** Start of the current run of fixes above the speed limit. */
  overspeedSince: timestamp('overspeed_since', { withTimezone: true }),
  overspeedReported: boolean('overspeed_reported').notNull().default(false),
  /** Set when device_offline was emitted; cleared (with device_online) by the next fix. */
  offlineSince: timestamp('offline_since', { withTimezone: true }),
});

/** An organization's webhook: events POSTed to `url`, signed with HMAC-SHA256 of `secret`. */
export const webhooks = pgTable(
  'webhooks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    url: text('url').notNull(),
    /** Needed in clear to sign; shown to the admin once, at creation. */
    secret: text('secret').notNull(),
    /** Event types delivered; empty means all. */
    eventTypes: text('event_types')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    enabled: boolean('enabled').notNull().default(true),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    lastAttemptAt: timestamp('last_attempt_at', { withTimezone: true }),
    lastSuccessAt: timestamp('last_success_at', { withTimezone: true }),
    consecutiveFailures: integer('consecutive_failures').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('webhooks_org_idx').on(t.organizationId)],
);

/** One event to one webhook: created with the event (same transaction), retried until delivered. */
export const webhookDeliveries = pgTable(
  'webhook_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    webhookId: uuid('webhook_id')
      .notNull()
      .references(() => webhooks.id, { onDelete: 'cascade' }),
    /** Null for a test ping (`POST /api/v1/webhooks/:id/test`), which carries no event. */
    eventId: uuid('event_id').references(() => events.id, { onDelete: 'cascade' }),
    /** pending → delivered, or failed after the last attempt. */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    lastStatus: integer('last_status'),
    lastError: text('last_error'),
    deliveredAt: timestamp('delivered_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    unique('webhook_deliveries_key').on(t.webhookId, t.eventId),
    // Events deleted by retention or with their vehicle cascade here.
    index('webhook_deliveries_event_idx').on(t.eventId),
    index('webhook_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
  ],
);

/** A revocable, expiring read-only link to one vehicle's live position. Stored hashed. */
export const shareLinks = pgTable(
  'share_links',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    vehicleId: uuid('vehicle_id')
      .notNull()
      .references(() => vehicles.id, { onDelete: 'cascade' }),
    tokenHash: text('token_hash').notNull().unique(),
    name: text('name').notNull().default(''),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    revokedAt: timestamp('revoked_at', { withTimezone: true }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('share_links_org_idx').on(t.organizationId), index('share_links_vehicle_idx').on(t.vehicleId)],
);

/**
 * A phone's Expo push token, registered by a signed-in user with the event types they want. A token
 * belongs to one user at a time (the last to register it on that phone); deleted with the user.
 */
export const pushTokens = pgTable(
  'push_tokens',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    token: text('token').notNull().unique(),
    eventTypes: text('event_types')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** The language of the notification text (the phone's, sent at registration). */
    language: text('language').notNull().default('en'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('push_tokens_org_idx').on(t.organizationId), index('push_tokens_user_idx').on(t.userId)],
);

/**
 * One event to one push token: created with the event (same transaction), sent by the worker's push
 * sender, then its receipt checked. Deleted with the token (unregistered, user deleted, or the push
 * service reporting DeviceNotRegistered) or the event.
 */
export const pushDeliveries = pgTable(
  'push_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    pushTokenId: uuid('push_token_id')
      .notNull()
      .references(() => pushTokens.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    /** pending → sent (ticket received; receipt due) → delivered; or failed. */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** When a pending delivery is next sent, or when a sent one's receipt is next asked for. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** The push service's ticket id, to read the receipt with. */
    ticketId: text('ticket_id'),
    lastError: text('last_error'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    unique('push_deliveries_key').on(t.pushTokenId, t.eventId),
    index('push_deliveries_event_idx').on(t.eventId),
    index('push_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} IN ('pending', 'sent')`),
  ],
);

/**
 * A text command for a hardware tracker (Teltonika Codec 12, GT06 0x80, H02), queued by an admin or
 * operator while the device is connected and delivered by the tracker gateway that holds its
 * connection. queued → sent (written to the socket) → answered (the device's reply in `response`);
 * expired when still queued at `expires_at`; failed when it could not be written or no answer came.
 */
export const deviceCommands = pgTable(
  'device_commands',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    vehicleId: uuid('vehicle_id')
      .notNull()
      .references(() => vehicles.id, { onDelete: 'cascade' }),
    text: text('text').notNull(),
    status: text('status').notNull().default('queued'),
    /** The device's answer, as sent (NUL removed, bounded). */
    response: text('response'),
    /** Why a failed command failed (not written, or no answer in time). */
    error: text('error'),
    /** What identifies the command on the wire (GT06's 16-bit serial): 1–65535, then again from 1. */
    serial: integer('serial').notNull().generatedAlwaysAsIdentity({
      name: 'device_commands_serial_seq',
      startWith: 1,
      minValue: 1,
      maxValue: 65535,
      cycle: true,
    }),
    createdBy: uuid('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    answeredAt: timestamp('answered_at', { withTimezone: true }),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    // What the gateway delivers on connect and what an answer is matched to.
    index('device_commands_pending_idx')
      .on(t.vehicleId, t.createdAt)
      .where(sql`${t.status} IN ('queued', 'sent')`),
    index('device_commands_vehicle_idx').on(t.vehicleId, t.createdAt),
    index('device_commands_org_idx').on(t.organizationId),
    check('device_commands_status_check', sql`${t.status} IN ('queued', 'sent', 'answered', 'failed', 'expired')`),
    // The API's limits again, so nothing else can queue what a device would choke on: printable ASCII.
    check('device_commands_text_check', sql`char_length(${t.text}) BETWEEN 1 AND 200 AND ${t.text} ~ '^[ -~]+$'`),
  ],
);

/**
 * The reverse geocoder's answers (@fleet/places), one row per grid cell of about 100 m (latitude and
 * longitude rounded to 0.001°), shared by every organization: what the online service said for the
 * cell's centre, so it is asked about each cell once. A row with `fetched_at` null is a claim: one
 * process is asking now (others use the offline fallback), and an old claim may be taken over.
 */
export const placeCache = pgTable(
  'place_cache',
  {
    /** round(lat × 1000). */
    latCell: integer('lat_cell').notNull(),
    /** round(lon × 1000), in [-180000, 180000). */
    lonCell: integer('lon_cell').notNull(),
    /** The service's name for the place; null when it had none (sea, desert) or not answered yet. */
    place: text('place'),
    claimedAt: timestamp('claimed_at', { withTimezone: true }).notNull().defaultNow(),
    fetchedAt: timestamp('fetched_at', { withTimezone: true }),
  },
  (t) => [
    primaryKey({ columns: [t.latCell, t.lonCell] }),
    check(
      'place_cache_cell_check',
      sql`${t.latCell} BETWEEN -90000 AND 90000 AND ${t.lonCell} BETWEEN -180000 AND 179999`,
    ),
  ],
);

/**
 * A user's notification rule (issue #16): events of the listed types on the listed vehicles (none
 * listed: all of the organization's) sent by e-mail and/or Telegram, each channel on when its target
 * is set; texts in `language`, times and quiet hours in `time_zone`. Deleted with its owner.
 */
export const notificationRules = pgTable(
  'notification_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    eventTypes: text('event_types')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    /** Empty: every vehicle of the organization. */
    vehicleIds: uuid('vehicle_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    /** Vehicles of these groups (and their subgroups) too; both lists empty: every vehicle. */
    groupIds: uuid('group_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    /** The e-mail channel's address; null: no e-mail. */
    email: text('email'),
    /** The Telegram channel's chat id; null: no Telegram. */
    telegramChatId: text('telegram_chat_id'),
    language: text('language').notNull().default('en'),
    timeZone: text('time_zone').notNull().default('UTC'),
    /** Local "HH:MM"; both null: no quiet hours. */
    quietStart: text('quiet_start'),
    quietEnd: text('quiet_end'),
    /** `skip` or `defer` (to the end of the quiet hours). */
    quietMode: text('quiet_mode').notNull().default('defer'),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('notification_rules_org_idx').on(t.organizationId),
    index('notification_rules_user_idx').on(t.userId),
    check('notification_rules_language_check', sql`${t.language} IN ('en', 'es')`),
    check('notification_rules_quiet_mode_check', sql`${t.quietMode} IN ('skip', 'defer')`),
  ],
);

/**
 * The notification delivery log: one event under one rule through one channel, created with the event
 * (same transaction), then sent by the worker. The unique key is "at most one notification per event
 * per rule per channel" across workers and redeliveries. A test send has no event.
 */
export const notificationDeliveries = pgTable(
  'notification_deliveries',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    ruleId: uuid('rule_id')
      .notNull()
      .references(() => notificationRules.id, { onDelete: 'cascade' }),
    /** Null for a test send (`POST /api/v1/notification-rules/:id/test`). */
    eventId: uuid('event_id').references(() => events.id, { onDelete: 'cascade' }),
    /** `email` or `telegram`. */
    channel: text('channel').notNull(),
    /** pending → sent; failed (given up); skipped (quiet hours in skip mode, rule disabled). */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    /** Parts the receiver already accepted, so a retry does not send them again. */
    partsSent: integer('parts_sent').notNull().default(0),
    providerIds: text('provider_ids')
      .array()
      .notNull()
      .default(sql`'{}'::text[]`),
    lastError: text('last_error'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    unique('notification_deliveries_key').on(t.eventId, t.ruleId, t.channel),
    index('notification_deliveries_rule_idx').on(t.ruleId, t.id),
    index('notification_deliveries_event_idx').on(t.eventId),
    index('notification_deliveries_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    check('notification_deliveries_channel_check', sql`${t.channel} IN ('email', 'telegram')`),
    check('notification_deliveries_status_check', sql`${t.status} IN ('pending', 'sent', 'failed', 'skipped')`),
  ],
);

/**
 * Scheduled reports (issue #16): a user's report (trips, stops, summary, events) of some vehicles,
 * e-mailed as PDF and CSV every day, week or month at an hour of their time zone. The worker finds
 * schedules whose `next_run_at` has passed, queues a run of the previous complete period and moves
 * `next_run_at` on.
 */
export const reportSchedules = pgTable(
  'report_schedules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    userId: uuid('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    /** `trips`, `stops`, `summary`, `events` or `maintenance`. */
    kind: text('kind').notNull(),
    /** Empty: every vehicle (events only). */
    vehicleIds: uuid('vehicle_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    /** Vehicles of these groups (and their subgroups) too. */
    groupIds: uuid('group_ids')
      .array()
      .notNull()
      .default(sql`'{}'::uuid[]`),
    recipients: text('recipients').array().notNull(),
    /** `daily`, `weekly` (on `weekday`, 1 Monday … 7 Sunday) or `monthly` (on `day_of_month`). */
    frequency: text('frequency').notNull(),
    weekday: integer('weekday'),
    /** 1–31; a month shorter than that runs on its last day. */
    dayOfMonth: integer('day_of_month'),
    /** Local hour (0–23) the report is sent at. */
    hour: integer('hour').notNull(),
    timeZone: text('time_zone').notNull().default('UTC'),
    language: text('language').notNull().default('en'),
    enabled: boolean('enabled').notNull().default(true),
    /** The next instant a run is due; null while disabled. */
    nextRunAt: timestamp('next_run_at', { withTimezone: true }),
    lastRunAt: timestamp('last_run_at', { withTimezone: true }),
    /** `sent` or `failed`: the outcome of the last run finished. */
    lastStatus: text('last_status'),
    lastError: text('last_error'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('report_schedules_org_idx').on(t.organizationId),
    index('report_schedules_due_idx')
      .on(t.nextRunAt)
      .where(sql`${t.enabled}`),
    check('report_schedules_kind_check', sql`${t.kind} IN ('trips', 'stops', 'summary', 'events', 'maintenance')`),
    check('report_schedules_frequency_check', sql`${t.frequency} IN ('daily', 'weekly', 'monthly')`),
    check('report_schedules_weekday_check', sql`${t.weekday} IS NULL OR ${t.weekday} BETWEEN 1 AND 7`),
    check('report_schedules_day_of_month_check', sql`${t.dayOfMonth} IS NULL OR ${t.dayOfMonth} BETWEEN 1 AND 31`),
    check('report_schedules_hour_check', sql`${t.hour} BETWEEN 0 AND 23`),
    check('report_schedules_language_check', sql`${t.language} IN ('en', 'es')`),
  ],
);

/**
 * The run log of scheduled reports, and the worker's queue of sends: one period of one schedule.
 * The unique key makes a period sent at most once, however many workers find the schedule due.
 */
export const reportRuns = pgTable(
  'report_runs',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    scheduleId: uuid('schedule_id')
      .notNull()
      .references(() => reportSchedules.id, { onDelete: 'cascade' }),
    periodFrom: timestamp('period_from', { withTimezone: true }).notNull(),
    periodTo: timestamp('period_to', { withTimezone: true }).notNull(),
    /** pending → sent; failed (given up). */
    status: text('status').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    /** Due time of the next attempt, and the lease of a claimed one. */
    nextAttemptAt: timestamp('next_attempt_at', { withTimezone: true }).notNull().defaultNow(),
    error: text('error'),
    sentAt: timestamp('sent_at', { withTimezone: true }),
    createdAt: createdAt(),
  },
  (t) => [
    unique('report_runs_period_key').on(t.scheduleId, t.periodFrom),
    index('report_runs_schedule_idx').on(t.scheduleId, t.id),
    index('report_runs_due_idx')
      .on(t.nextAttemptAt)
      .where(sql`${t.status} = 'pending'`),
    check('report_runs_status_check', sql`${t.status} IN ('pending', 'sent', 'failed')`),
    check('report_runs_period_check', sql`${t.periodFrom} < ${t.periodTo}`),
  ],
);

/**
 * Drivers of an organization. `unique_id` is what trackers report for them (an RFID card or iButton:
 * the `driverUniqueId` attribute), unique within the organization; null: assigned by hand only.
 */
export const drivers = pgTable(
  'drivers',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    licenceNumber: text('licence_number'),
    licenceExpiresOn: date('licence_expires_on', { mode: 'string' }),
    uniqueId: text('unique_id'),
    phone: text('phone'),
    notes: text('notes'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('drivers_org_idx').on(t.organizationId),
    uniqueIndex('drivers_unique_id_key')
      .on(t.organizationId, t.uniqueId)
      .where(sql`${t.uniqueId} IS NOT NULL`),
  ],
);

/**
 * Who drove a vehicle when: an assignment from `started_at` until `ended_at` (null: still driving),
 * made by hand (`manual`) or from the driver identifier a fix carried (`auto`). A vehicle has one
 * open assignment at most; trips and reports take the driver whose assignment covers their start.
 */
export const driverAssignments = pgTable(
  'driver_assignments',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id').notNull(),
    vehicleId: uuid('vehicle_id')
      .notNull()
      .references(() => vehicles.id, { onDelete: 'cascade' }),
    driverId: uuid('driver_id')
      .notNull()
      .references(() => drivers.id, { onDelete: 'cascade' }),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
    source: text('source').notNull().default('manual'),
    createdAt: createdAt(),
  },
  (t) => [
    index('driver_assignments_vehicle_idx').on(t.vehicleId, t.startedAt),
    index('driver_assignments_driver_idx').on(t.driverId, t.startedAt),
    uniqueIndex('driver_assignments_open_key')
      .on(t.vehicleId)
      .where(sql`${t.endedAt} IS NULL`),
    check('driver_assignments_source_check', sql`${t.source} IN ('manual', 'auto')`),
    check('driver_assignments_period_check', sql`${t.endedAt} IS NULL OR ${t.endedAt} >= ${t.startedAt}`),
  ],
);

/**
 * A maintenance rule for one vehicle or for a group's vehicles (neither: every vehicle of the
 * organization): every `every_km` of odometer, `every_engine_hours` of ignition time and/or
 * `every_months` of calendar, with a "due" event `notify_before_*` ahead of the limit.
 */
export const maintenanceRules = pgTable(
  'maintenance_rules',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id')
      .notNull()
      .references(() => organizations.id, { onDelete: 'cascade' }),
    vehicleId: uuid('vehicle_id').references(() => vehicles.id, { onDelete: 'cascade' }),
    groupId: uuid('group_id').references(() => vehicleGroups.id, { onDelete: 'cascade' }),
    name: text('name').notNull(),
    everyKm: doublePrecision('every_km'),
    everyEngineHours: doublePrecision('every_engine_hours'),
    everyMonths: integer('every_months'),
    notifyBeforeKm: doublePrecision('notify_before_km').notNull().default(0),
    notifyBeforeEngineHours: doublePrecision('notify_before_engine_hours').notNull().default(0),
    notifyBeforeDays: integer('notify_before_days').notNull().default(0),
    enabled: boolean('enabled').notNull().default(true),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('maintenance_rules_org_idx').on(t.organizationId),
    check('maintenance_rules_one_target', sql`${t.vehicleId} IS NULL OR ${t.groupId} IS NULL`),
    check(
      'maintenance_rules_some_interval',
      sql`${t.everyKm} > 0 OR ${t.everyEngineHours} > 0 OR ${t.everyMonths} > 0`,
    ),
  ],
);

/** Maintenance done: a rule's service on a vehicle, with the counters at that moment and a note. */
export const maintenanceRecords = pgTable(
  'maintenance_records',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    organizationId: uuid('organization_id').notNull(),
    vehicleId: uuid('vehicle_id')
      .notNull()
      .references(() => vehicles.id, { onDelete: 'cascade' }),
    /** Null once its rule is deleted (the history stays). */
    ruleId: uuid('rule_id').references(() => maintenanceRules.id, { onDelete: 'set null' }),
    doneAt: timestamp('done_at', { withTimezone: true }).notNull(),
    odometerKm: doublePrecision('odometer_km'),
    engineHours: doublePrecision('engine_hours'),
    note: text('note').notNull().default(''),
    userId: uuid('user_id').references(() => users.id, { onDelete: 'set null' }),
    createdAt: createdAt(),
  },
  (t) => [index('maintenance_records_vehicle_idx').on(t.vehicleId, t.doneAt)],
);

/**
 * The maintenance counters of each vehicle, moved forward by the worker in the positions' write
 * transaction (so a redelivered batch, whose positions are already stored, moves nothing): the
 * odometer (the tracker's `odometer` reading when it sends one, plus geodesic distance summed since;
 * only summed distance otherwise) and the engine time (spans between fixes that start with ignition
 * on). `ts`, the point and `ignition` are the newest fix counted, where the next span starts.
 */
export const vehicleCounters = pgTable('vehicle_counters', {
  vehicleId: uuid('vehicle_id')
    .primaryKey()
    .references(() => vehicles.id, { onDelete: 'cascade' }),
  ts: timestamp('ts', { withTimezone: true }).notNull(),
  lat: doublePrecision('lat').notNull(),
  lon: doublePrecision('lon').notNull(),
  /** The newest fix's ignition, or the last one told when it says nothing. */
  ignition: boolean('ignition'),
  odometerKm: doublePrecision('odometer_km').notNull().default(0),
  engineSeconds: doublePrecision('engine_seconds').notNull().default(0),
  /** The fix whose `odometer` reading set odometer_km last (null: summed distance only). */
  odometerReadingTs: timestamp('odometer_reading_ts', { withTimezone: true }),
  updatedAt: updatedAt(),
});
