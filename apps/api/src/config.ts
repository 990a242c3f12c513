import { baseEnvSchema, DEV_JWT_SECRET, isWeakSecret, parseEnv, type BaseEnv } from '@fleet/runtime';
import { z } from 'zod';

const apiEnvSchema = baseEnvSchema
  .extend({
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    HOST: z.string().default('0.0.0.0'),
    JWT_SECRET: z.string().optional(),
    JWT_SECRET_PREVIOUS: z.string().optional(),
    /** Comma-separated origins allowed to call the API from a browser. */
    CORS_ORIGINS: z.string().default('http://localhost:4200,http://localhost:5173,http://127.0.0.1:4200'),
    BODY_LIMIT: z
      .string()
      .regex(/^\d+(b|kb|mb)$/i, 'a size such as 512kb or 2mb')
      .default('1mb'),
    /** Express `trust proxy`: which hops may set X-Forwarded-For (the gateway). */
    TRUST_PROXY: z.string().default('loopback, linklocal, uniquelocal'),
    /** Traccar Client's OsmAnd listener (Traccar's own default port); `off` disables it. */
    OSMAND_PORT: z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(5055),
    /** Fixes stamped further than this in the future are refused (device clock errors). */
    INGEST_MAX_FUTURE_SKEW_MS: z.coerce
      .number()
      .int()
      .min(0)
      .default(10 * 60 * 1000),
    INGEST_STREAM_MAXLEN: z.coerce.number().int().min(1_000).default(1_000_000),
    GPX_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1_024)
      .default(250 * 1024 * 1024),
    ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
    REFRESH_TOKEN_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
    /** Login attempts per client IP per window, and failed logins per account per window. */
    LOGIN_MAX_ATTEMPTS_PER_IP: z.coerce.number().int().min(1).default(30),
    LOGIN_MAX_FAILURES_PER_ACCOUNT: z.coerce.number().int().min(1).default(5),
    LOGIN_WINDOW_SECONDS: z.coerce.number().int().min(1).default(900),
    /** Live stream (SSE): a comment line this often keeps proxies from closing an idle stream. */
    LIVE_HEARTBEAT_SECONDS: z.coerce.number().min(0.05).max(300).default(15),
    /** What clients are told to wait before reconnecting (SSE `retry:`). */
    LIVE_RETRY_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
    /** Live streams one process serves at most; beyond, 503 (another replica takes the client). */
    LIVE_MAX_CLIENTS: z.coerce.number().int().min(1).default(5_000),
    /** How often an open shared stream checks that its link is neither revoked nor expired. */
    SHARE_LINK_CHECK_SECONDS: z.coerce.number().min(0.05).max(3_600).default(30),
    /** Public share-link requests per client IP and minute, and open shared streams per IP (per replica). */
    SHARED_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    SHARED_STREAMS_PER_IP: z.coerce.number().int().min(1).default(20),
    /** Webhook URLs naming loopback/private addresses: allowed by default only in development and test. */
    WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).optional(),
    /** Guards /api/v1/platform (creating organizations); unset, those routes answer 404. */
    PLATFORM_ADMIN_TOKEN: z.string().optional(),
  })
  .superRefine((env, ctx) => {
    const strict = env.APP_ENV === 'production' || env.APP_ENV === 'staging';
    if (strict && isWeakSecret(env.JWT_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: `must be set to a random value of at least 32 characters in ${env.APP_ENV} (not the development default)`,
      });
    }
    if (strict && env.JWT_SECRET_PREVIOUS !== undefined && isWeakSecret(env.JWT_SECRET_PREVIOUS)) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET_PREVIOUS'], message: 'is too short or a placeholder' });
    }
    const platformToken = env.PLATFORM_ADMIN_TOKEN;
    if (strict && platformToken !== undefined && isWeakSecret(platformToken)) {
      ctx.addIssue({
        code: 'custom',
        path: ['PLATFORM_ADMIN_TOKEN'],
        message: 'must be a random value of at least 32 characters (openssl rand -base64 32), or unset',
      });
    }
  });

export interface ApiConfig {
  env: BaseEnv['APP_ENV'];
  http: { port: number; host: string; bodyLimit: string; corsOrigins: string[]; trustProxy: string };
  ingest: { osmandPort: number | undefined; maxFutureSkewMs: number; streamMaxLen: number; gpxMaxBytes: number };
  db: { url: string; poolMax: number; statementTimeoutMs: number };
  redis: { url: string; keyPrefix?: string };
  jwt: { secret: string; previousSecret?: string; accessTtlSeconds: number; refreshTtlDays: number };
  login: { maxAttemptsPerIp: number; maxFailuresPerAccount: number; windowSeconds: number };
  live: {
    heartbeatMs: number;
    retryMs: number;
    maxClients: number;
    shareCheckMs: number;
    sharedRequestsPerMinute: number;
    sharedStreamsPerIp: number;
  };
  webhooks: { allowPrivateUrls: boolean };
  /** The platform administrator's token; undefined disables /api/v1/platform. */
  platform: { adminToken?: string };
  log: { format: 'json' | 'plain'; level: string };
  shutdownGraceMs: number;
}

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = parseEnv(apiEnvSchema, env);
  const strict = e.APP_ENV === 'production' || e.APP_ENV === 'staging';
  return {
    env: e.APP_ENV,
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimit: e.BODY_LIMIT,
      corsOrigins: e.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      trustProxy: e.TRUST_PROXY,
    },
    ingest: {
      osmandPort: e.OSMAND_PORT === 'off' ? undefined : e.OSMAND_PORT,
      maxFutureSkewMs: e.INGEST_MAX_FUTURE_SKEW_MS,
      streamMaxLen: e.INGEST_STREAM_MAXLEN,
      gpxMaxBytes: e.GPX_MAX_BYTES,
    },
    db: { url: e.DATABASE_URL, poolMax: e.DB_POOL_MAX, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    jwt: {
      secret: e.JWT_SECRET ?? DEV_JWT_SECRET,
      previousSecret: e.JWT_SECRET_PREVIOUS,
      accessTtlSeconds: e.ACCESS_TOKEN_TTL_SECONDS,
      refreshTtlDays: e.REFRESH_TOKEN_TTL_DAYS,
    },
    login: {
      maxAttemptsPerIp: e.LOGIN_MAX_ATTEMPTS_PER_IP,
      maxFailuresPerAccount: e.LOGIN_MAX_FAILURES_PER_ACCOUNT,
      windowSeconds: e.LOGIN_WINDOW_SECONDS,
    },
    live: {
      heartbeatMs: Math.round(e.LIVE_HEARTBEAT_SECONDS * 1000),
      retryMs: e.LIVE_RETRY_MS,
      maxClients: e.LIVE_MAX_CLIENTS,
      shareCheckMs: Math.round(e.SHARE_LINK_CHECK_SECONDS * 1000),
      sharedRequestsPerMinute: e.SHARED_REQUESTS_PER_MINUTE,
      sharedStreamsPerIp: e.SHARED_STREAMS_PER_IP,
    },
    webhooks: { allowPrivateUrls: (e.WEBHOOK_ALLOW_PRIVATE_URLS ?? String(!strict)) === 'true' },
    platform: { adminToken: e.PLATFORM_ADMIN_TOKEN },
    log: { format: e.LOG_FORMAT ?? (strict ? 'json' : 'plain'), level: e.LOG_LEVEL },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
