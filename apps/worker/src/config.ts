import { notifyConfig, notifyEnvSchema } from '@fleet/notify';
import { baseEnvSchema, parseEnv } from '@fleet/runtime';
import { z } from 'zod';

const int = (min: number, fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

const workerEnvSchema = baseEnvSchema.extend({
  /** The worker's own HTTP port: /metrics, /health, /ready. */
  METRICS_PORT: int(0, 9464, 65535),
  HOST: z.string().default('0.0.0.0'),
  PARTITION_MAINTENANCE_INTERVAL_MS: int(1_000, 6 * 60 * 60 * 1000),
  PARTITION_MONTHS_AHEAD: int(1, 3, 24),
  /** Concurrent consumer loops in this process (each with its own Redis connection). */
  INGEST_CONCURRENCY: int(1, 2, 16),
  INGEST_READ_COUNT: int(1, 200, 10_000),
  INGEST_BLOCK_MS: int(10, 1_000, 60_000),
  INGEST_MAX_POSITIONS_PER_WRITE: int(1, 5_000, 100_000),
  /** Unacknowledged for this long → another consumer takes the message over (checked every half of it). */
  INGEST_CLAIM_IDLE_MS: int(100, 5_000),
  /** Consumers idle for this long and holding no message are removed from the group (0: never). */
  INGEST_DEAD_CONSUMER_IDLE_MS: int(0, 600_000),
  INGEST_MAX_DELIVERIES: int(1, 5, 1_000),
  /** Approximate cap of the stream; anything trimmed unprocessed is replayed from staging. */
  INGEST_STREAM_MAXLEN: int(1_000, 1_000_000),
  REPLAY_INTERVAL_MS: int(100, 5_000),
  /**
   * Staging rows unprocessed for longer than this (plus the age of the stream's oldest entry in
   * flight, so a backlog is not republished) are republished.
   */
  REPLAY_GRACE_MS: int(0, 10_000),
  STAGING_RETENTION_HOURS: int(1, 72),
  /** Webhook deliveries in flight at once in this process (none holds a connection while it waits). */
  WEBHOOK_CONCURRENCY: int(1, 8, 64),
  WEBHOOK_POLL_MS: int(10, 1_000, 60_000),
  WEBHOOK_TIMEOUT_MS: int(100, 5_000, 60_000),
  /** Attempts before a delivery is marked failed; waits double from the base up to the cap, with jitter. */
  WEBHOOK_MAX_ATTEMPTS: int(1, 12, 50),
  WEBHOOK_BACKOFF_BASE_MS: int(1, 10_000),
  WEBHOOK_BACKOFF_MAX_MS: int(1, 3_600_000),
  /** Deliver to loopback/private addresses: allowed by default only in development and test. */
  WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).optional(),
  /** Delivered and failed webhook deliveries and push notifications are deleted after this many days. */
  WEBHOOK_DELIVERY_RETENTION_DAYS: int(1, 30, 3_650),
  /** Where push notifications go: Expo's push API, or a service answering the same way. */
  PUSH_ENDPOINT: z.url().default('https://exp.host/--/api/v2/push/send'),
  /** Where receipts are read; by default PUSH_ENDPOINT with `/send` replaced by `/getReceipts`. */
  PUSH_RECEIPTS_ENDPOINT: z.url().optional(),
  /** Expo's access token ("enhanced security for push notifications"); sent as Bearer when set. */
  PUSH_ACCESS_TOKEN: z.string().min(1).optional(),
  PUSH_BATCH_SIZE: int(1, 100, 100),
  PUSH_POLL_MS: int(10, 1_000, 60_000),
  PUSH_TIMEOUT_MS: int(100, 10_000, 60_000),
  PUSH_MAX_ATTEMPTS: int(1, 8, 50),
  PUSH_BACKOFF_BASE_MS: int(1, 5_000),
  PUSH_BACKOFF_MAX_MS: int(1, 600_000),
  /** Receipts are asked for this long after the ticket (Expo has them within about 15 minutes). */
  PUSH_RECEIPT_DELAY_MS: int(1, 15 * 60_000),
  /** A ticket without a receipt after this long is given up on (Expo keeps receipts for a day). */
  PUSH_RECEIPT_MAX_AGE_MS: int(1, 24 * 3_600_000),
  /** Notifications by e-mail and Telegram (SMTP_*, TELEGRAM_*, WEB_BASE_URL: @fleet/notify). */
  ...notifyEnvSchema.shape,
  NOTIFY_CONCURRENCY: int(1, 4, 64),
  NOTIFY_POLL_MS: int(10, 1_000, 60_000),
  NOTIFY_MAX_ATTEMPTS: int(1, 8, 50),
  NOTIFY_BACKOFF_BASE_MS: int(1, 5_000),
  NOTIFY_BACKOFF_MAX_MS: int(1, 30 * 60_000),
  /**
   * Expiry dates of the mobile app's push credentials and signing certificates, `name=YYYY-MM-DD`
   * pairs separated by commas (`apns_key=2027-03-01,ios_distribution=2027-01-15`): exported as
   * mobile_credential_expiry_timestamp_seconds for the alert 7 days ahead.
   */
  MOBILE_CREDENTIAL_EXPIRY: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const out: Record<string, Date> = {};
      for (const pair of value
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean)) {
        const match = /^([a-z0-9_.-]{1,64})=(\d{4}-\d{2}-\d{2}(?:T[\d:.]+(?:Z|[+-]\d{2}:\d{2}))?)$/i.exec(pair);
        const date = match ? new Date(match[2]) : undefined;
        if (!match || !date || Number.isNaN(date.getTime())) {
          ctx.addIssue({ code: 'custom', message: `"${pair}" is not name=YYYY-MM-DD` });
          continue;
        }
        out[match[1]] = date;
      }
      return out;
    }),
  RETENTION_INTERVAL_MS: int(1_000, 60 * 60 * 1000),
  /** Rows per DELETE statement, and statements per table and organization in one run. */
  RETENTION_BATCH_SIZE: int(1, 5_000, 100_000),
  RETENTION_MAX_BATCHES: int(1, 200, 100_000),
  /** How long dropping a partition may wait for its locks before giving up until the next run. */
  RETENTION_LOCK_TIMEOUT_MS: int(100, 5_000, 60_000),
  /** Above the vehicle's speed limit for this long → one overspeed event. */
  OVERSPEED_MIN_SECONDS: int(0, 30, 3_600),
  /** No fix for this long → device_offline (device_online with the next fix). */
  DEVICE_OFFLINE_MINUTES: int(1, 10, 7 * 24 * 60),
  OFFLINE_CHECK_INTERVAL_MS: int(1_000, 60_000),
  /** How often calendar maintenance limits (every_months) are checked for maintenance_due. */
  MAINTENANCE_CHECK_INTERVAL_MS: int(1_000, 10 * 60 * 1000),
  /** How often due scheduled reports are looked for (a run is queued within this of its hour). */
  REPORT_SCHEDULE_INTERVAL_MS: int(1_000, 60_000, 60 * 60 * 1000),
  /** How long a scheduled report's run is one worker's: reading, rendering and e-mailing it (then another may take it). */
  REPORT_SEND_LEASE_MS: int(10_000, 15 * 60_000),
});

/** The environment shaped into the worker's configuration (the one type of it: WorkerConfig). */
const workerConfigSchema = workerEnvSchema.transform((e) => {
  const strict = e.APP_ENV === 'production' || e.APP_ENV === 'staging';
  const defaultLogFormat: 'json' | 'plain' = strict ? 'json' : 'plain';
  return {
    env: e.APP_ENV,
    http: { port: e.METRICS_PORT, host: e.HOST },
    db: { url: e.DATABASE_URL, poolMax: e.DB_POOL_MAX, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    log: { format: e.LOG_FORMAT ?? defaultLogFormat, level: e.LOG_LEVEL },
    maintenance: { intervalMs: e.PARTITION_MAINTENANCE_INTERVAL_MS, monthsAhead: e.PARTITION_MONTHS_AHEAD },
    ingest: {
      concurrency: e.INGEST_CONCURRENCY,
      readCount: e.INGEST_READ_COUNT,
      blockMs: e.INGEST_BLOCK_MS,
      maxPositionsPerWrite: e.INGEST_MAX_POSITIONS_PER_WRITE,
      claimIdleMs: e.INGEST_CLAIM_IDLE_MS,
      deadConsumerIdleMs: e.INGEST_DEAD_CONSUMER_IDLE_MS,
      maxDeliveries: e.INGEST_MAX_DELIVERIES,
      streamMaxLen: e.INGEST_STREAM_MAXLEN,
    },
    replay: {
      intervalMs: e.REPLAY_INTERVAL_MS,
      graceMs: e.REPLAY_GRACE_MS,
      stagingRetentionMs: e.STAGING_RETENTION_HOURS * 3_600_000,
    },
    webhooks: {
      concurrency: e.WEBHOOK_CONCURRENCY,
      pollMs: e.WEBHOOK_POLL_MS,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
      backoffBaseMs: e.WEBHOOK_BACKOFF_BASE_MS,
      backoffMaxMs: e.WEBHOOK_BACKOFF_MAX_MS,
      allowPrivateUrls: (e.WEBHOOK_ALLOW_PRIVATE_URLS ?? String(!strict)) === 'true',
    },
    push: {
      endpoint: e.PUSH_ENDPOINT,
      receiptsEndpoint: e.PUSH_RECEIPTS_ENDPOINT ?? e.PUSH_ENDPOINT.replace(/\/send\/?$/, '/getReceipts'),
      accessToken: e.PUSH_ACCESS_TOKEN,
      batchSize: e.PUSH_BATCH_SIZE,
      pollMs: e.PUSH_POLL_MS,
      timeoutMs: e.PUSH_TIMEOUT_MS,
      maxAttempts: e.PUSH_MAX_ATTEMPTS,
      backoffBaseMs: e.PUSH_BACKOFF_BASE_MS,
      backoffMaxMs: e.PUSH_BACKOFF_MAX_MS,
      receiptDelayMs: e.PUSH_RECEIPT_DELAY_MS,
      receiptMaxAgeMs: e.PUSH_RECEIPT_MAX_AGE_MS,
    },
    notifications: {
      ...notifyConfig(e),
      concurrency: e.NOTIFY_CONCURRENCY,
      pollMs: e.NOTIFY_POLL_MS,
      sendTimeoutMs: Math.max(e.SMTP_TIMEOUT_MS, 2 * e.TELEGRAM_TIMEOUT_MS),
      policy: { maxAttempts: e.NOTIFY_MAX_ATTEMPTS, baseMs: e.NOTIFY_BACKOFF_BASE_MS, maxMs: e.NOTIFY_BACKOFF_MAX_MS },
    },
    mobileCredentialExpiry: e.MOBILE_CREDENTIAL_EXPIRY,
    retention: {
      intervalMs: e.RETENTION_INTERVAL_MS,
      batchSize: e.RETENTION_BATCH_SIZE,
      maxBatches: e.RETENTION_MAX_BATCHES,
      lockTimeoutMs: e.RETENTION_LOCK_TIMEOUT_MS,
      deliveryRetentionDays: e.WEBHOOK_DELIVERY_RETENTION_DAYS,
    },
    events: {
      overspeedMinSeconds: e.OVERSPEED_MIN_SECONDS,
      offlineMinutes: e.DEVICE_OFFLINE_MINUTES,
      offlineCheckIntervalMs: e.OFFLINE_CHECK_INTERVAL_MS,
      maintenanceCheckIntervalMs: e.MAINTENANCE_CHECK_INTERVAL_MS,
    },
    reportSchedules: {
      intervalMs: e.REPORT_SCHEDULE_INTERVAL_MS,
      // Sent through the notifications' SMTP server, poll and retry policy, one run at a time per worker.
      send: {
        smtp: notifyConfig(e).smtp ?? undefined,
        concurrency: 1,
        pollMs: e.NOTIFY_POLL_MS,
        leaseMs: e.REPORT_SEND_LEASE_MS,
        policy: {
          maxAttempts: e.NOTIFY_MAX_ATTEMPTS,
          baseMs: e.NOTIFY_BACKOFF_BASE_MS,
          maxMs: e.NOTIFY_BACKOFF_MAX_MS,
        },
      },
    },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
});

export type WorkerConfig = z.infer<typeof workerConfigSchema>;

/** Parses the environment once; a bad variable is reported with every other one (ConfigError). */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return parseEnv(workerConfigSchema, env);
}
