import type { GeocoderConfig } from '@fleet/places';
import { baseEnvSchema, DEV_JWT_SECRET, isWeakSecret, parseEnv, type BaseEnv } from '@fleet/runtime';
import os from 'node:os';
import { z } from 'zod';

/** A process count; empty (compose's `${X:-}`) is unset, the core count. */
const workers = z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().min(1).max(256).optional());

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
    /**
     * Express `trust proxy`: which hops may set X-Forwarded-For. Nobody by default (a client's own
     * header would pick its rate-limit bucket); behind the gateway, `1` (one hop) or its addresses.
     */
    TRUST_PROXY: z
      .string()
      .trim()
      .default('false')
      .refine(
        (v) => /^(true|false|\d{1,2}|[0-9A-Za-z:./,\s]+)$/.test(v),
        'false, true, a hop count or addresses/subnets',
      ),
    /**
     * Processes serving the main port (REST, REST ingest, live streams), and processes serving only the
     * OsmAnd port, so device ingestion never shares an event loop with the live fan-out. Both default
     * to the number of cores (1 under APP_ENV=test); with 1 and 1, one process serves both ports.
     */
    API_WORKERS: workers,
    OSMAND_WORKERS: workers,
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
    /**
     * A port of its own for the live streams (GET /api/v1/live and /api/v1/shared/:token/live), served by
     * LIVE_WORKERS processes that do nothing else, so the SSE fan-out never runs in the event loop of the
     * processes answering ingestion; `off` or unset (the default): the main port serves them, as always.
     * The main port keeps serving those paths either way (clients not yet routed to the live port).
     */
    LIVE_PORT: z.preprocess(
      (v) => (v === '' || v === 'off' ? undefined : v),
      z.coerce
        .number({ error: 'a port number (0-65535) or off' })
        .int()
        .min(0, 'a port number (0-65535) or off')
        .max(65535, 'a port number (0-65535) or off')
        .optional(),
    ),
    /** Processes serving LIVE_PORT (default 1: one event loop holds thousands of streams). */
    LIVE_WORKERS: workers,
    /** Live stream (SSE): a comment line this often keeps proxies from closing an idle stream. */
    LIVE_HEARTBEAT_SECONDS: z.coerce.number().min(0.05).max(300).default(15),
    /** What clients are told to wait before reconnecting (SSE `retry:`). */
    LIVE_RETRY_MS: z.coerce.number().int().min(100).max(60_000).default(3_000),
    /**
     * Each live stream writes at most once every this many ms: a vehicle's position superseded within
     * the window is dropped for the newest, everything else kept in order; 0 writes at once. The window
     * is most of a position's 202 → SSE p99 (target 250 ms): 100 leaves the rest to the worker.
     */
    LIVE_COALESCE_MS: z.coerce.number().int().min(0).max(5_000).default(100),
    /** Live streams one process serves at most; beyond, 503 (another replica takes the client). */
    LIVE_MAX_CLIENTS: z.coerce.number().int().min(1).default(5_000),
    /** Signed-in live streams one user, and one organization, may hold open per process; beyond, 429. */
    LIVE_MAX_STREAMS_PER_USER: z.coerce.number().int().min(1).default(10),
    LIVE_MAX_STREAMS_PER_ORG: z.coerce.number().int().min(1).default(200),
    /** How often open live streams re-check their user's session (revocations missed on the channel). */
    LIVE_SESSION_CHECK_SECONDS: z.coerce.number().min(0.05).max(3_600).default(30),
    /** How often an open shared stream checks that its link is neither revoked nor expired. */
    SHARE_LINK_CHECK_SECONDS: z.coerce.number().min(0.05).max(3_600).default(30),
    /** Public share-link requests per client IP and minute, and open shared streams per IP (per replica). */
    SHARED_REQUESTS_PER_MINUTE: z.coerce.number().int().min(1).default(60),
    SHARED_STREAMS_PER_IP: z.coerce.number().int().min(1).default(20),
    /** Webhook URLs naming loopback/private addresses: allowed by default only in development and test. */
    WEBHOOK_ALLOW_PRIVATE_URLS: z.enum(['true', 'false']).optional(),
    /**
     * The worker's offline threshold (same variable): the tracker app's heartbeat must stay below it, so
     * tracker settings whose heartbeat is not are refused.
     */
    DEVICE_OFFLINE_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(10),
    /** A device command not sent to its tracker within this many minutes expires unsent. */
    COMMAND_TTL_MINUTES: z.coerce
      .number()
      .int()
      .min(1)
      .max(24 * 60)
      .default(10),
    /** Guards /api/v1/platform (creating organizations); unset, those routes answer 404. */
    PLATFORM_ADMIN_TOKEN: z.string().optional(),
    /**
     * A Nominatim-compatible reverse-geocoding API (base URL, `/reverse` is appended) for the places of
     * stops, trips and events; unset or empty: offline places only (geofence, nearest town).
     */
    GEOCODER_URL: z.preprocess(
      (v) => (v === '' ? undefined : v),
      z.url({ protocol: /^https?$/, error: 'an http(s) URL, e.g. http://nominatim:8080' }).optional(),
    ),
    /** Calls per second at most, over every API process (shared through Redis). */
    GEOCODER_RATE_PER_SEC: z.coerce.number().positive().max(1_000).default(1),
    /** One call gives up after this long. */
    GEOCODER_TIMEOUT_MS: z.coerce.number().int().min(100).max(60_000).default(5_000),
    /** A request waits this long at most for online places, then answers with the offline ones. */
    GEOCODER_WAIT_MS: z.coerce.number().int().min(0).max(30_000).default(500),
    /** A cached place is asked again after this many days. */
    GEOCODER_CACHE_DAYS: z.coerce.number().positive().max(3_650).default(90),
    /** Accept-Language of the calls (e.g. `es,en`); the service's default when unset. */
    GEOCODER_LANGUAGE: z.string().max(100).optional(),
  })
  .superRefine((env, ctx) => {
    const strict = env.APP_ENV === 'production' || env.APP_ENV === 'staging';
    if (strict && isWeakSecret(env.JWT_SECRET)) {
      ctx.addIssue({
        code: 'custom',
        path: ['JWT_SECRET'],
        message: `must be set to a random value of at least 32 characters in ${env.APP_ENV} (not the development default)`,
      });
    } else if (strict && env.JWT_SECRET !== undefined && secretBits(env.JWT_SECRET) < MIN_SECRET_BITS) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET'], message: guessable(env.JWT_SECRET) });
    }
    if (strict && env.JWT_SECRET_PREVIOUS !== undefined && isWeakSecret(env.JWT_SECRET_PREVIOUS)) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET_PREVIOUS'], message: 'is too short or a placeholder' });
    } else if (
      strict &&
      env.JWT_SECRET_PREVIOUS !== undefined &&
      secretBits(env.JWT_SECRET_PREVIOUS) < MIN_SECRET_BITS
    ) {
      ctx.addIssue({ code: 'custom', path: ['JWT_SECRET_PREVIOUS'], message: guessable(env.JWT_SECRET_PREVIOUS) });
    }
    const platformToken = env.PLATFORM_ADMIN_TOKEN;
    if (strict && platformToken !== undefined && isWeakSecret(platformToken)) {
      ctx.addIssue({
        code: 'custom',
        path: ['PLATFORM_ADMIN_TOKEN'],
        message: 'must be a random value of at least 32 characters (openssl rand -base64 32), or unset',
      });
    } else if (strict && platformToken !== undefined && secretBits(platformToken) < MIN_SECRET_BITS) {
      ctx.addIssue({ code: 'custom', path: ['PLATFORM_ADMIN_TOKEN'], message: guessable(platformToken) });
    }
  });

/**
 * Secrets signing every access token must be unguessable, not merely long: `openssl rand -base64 32`
 * gives ~190 bits by this estimate, a random 32-character hex string ~115.
 */
const MIN_SECRET_BITS = 80;
const guessable = (secret: string) =>
  `is guessable (about ${Math.round(secretBits(secret))} bits of entropy, at least ${MIN_SECRET_BITS} needed: repeated ` +
  `patterns, sequences or common words); generate one with \`openssl rand -base64 32\``;

// Words that make up guessable secrets; each counts as one symbol, whatever its length.
const COMMON_WORDS = [
  'password',
  'passwd',
  'secret',
  'changeme',
  'change',
  'admin',
  'qwerty',
  'azerty',
  'letmein',
  'welcome',
  'default',
  'example',
  'fleet',
  'token',
  'jwt',
  'key',
  'test',
  'production',
  'staging',
  'prod',
  'dev',
  'master',
  'root',
  'login',
  'access',
  'private',
  'super',
  'trustno1',
  'dragon',
  'monkey',
  'iloveyou',
];

/**
 * A conservative estimate of a secret's entropy in bits: common words and runs of consecutive
 * characters (abcd, 4321) count as one symbol, a value that repeats a shorter unit counts as the
 * unit, then each remaining symbol counts for the empirical Shannon entropy of the whole.
 */
export function secretBits(secret: string): number {
  let text = secret.toLowerCase();
  // passwordpassword… → password: a repetition adds (almost) nothing.
  for (let unit = 1; unit <= text.length / 2; unit++) {
    if (text.length % unit === 0 && text.slice(0, unit).repeat(text.length / unit) === text) {
      text = text.slice(0, unit);
      break;
    }
  }
  for (const word of COMMON_WORDS) text = text.split(word).join('\u0001');
  const symbols: string[] = [];
  for (let i = 0; i < text.length; i++) {
    // From the third character of a run such as abcd or 4321 on, nothing new.
    const step = text.charCodeAt(i) - text.charCodeAt(i - 1);
    if (i >= 2 && Math.abs(step) === 1 && step === text.charCodeAt(i - 1) - text.charCodeAt(i - 2)) continue;
    symbols.push(text[i]);
  }
  const counts = new Map<string, number>();
  for (const c of symbols) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perSymbol = 0;
  for (const n of counts.values()) perSymbol -= (n / symbols.length) * Math.log2(n / symbols.length);
  return perSymbol * symbols.length;
}

/** Express's `trust proxy` value: false, true, a hop count, or a list of addresses/subnets/names. */
function trustProxy(value: string): boolean | number | string {
  if (value === 'false') return false;
  if (value === 'true') return true;
  if (/^\d+$/.test(value)) return Number(value);
  return value;
}

export interface ApiConfig {
  env: BaseEnv['APP_ENV'];
  /** API_WORKERS and OSMAND_WORKERS: more than one of either runs a node:cluster primary (main.ts). */
  workers: { api: number; osmand: number };
  http: { port: number; host: string; bodyLimit: string; corsOrigins: string[]; trustProxy: boolean | number | string };
  ingest: { osmandPort: number | undefined; maxFutureSkewMs: number; streamMaxLen: number; gpxMaxBytes: number };
  db: { url: string; poolMax: number; statementTimeoutMs: number };
  redis: { url: string; keyPrefix?: string };
  jwt: { secret: string; previousSecret?: string; accessTtlSeconds: number; refreshTtlDays: number };
  login: { maxAttemptsPerIp: number; maxFailuresPerAccount: number; windowSeconds: number };
  live: {
    /** LIVE_PORT: the live streams' own port (served by `workers` processes); undefined: the main port only. */
    port: number | undefined;
    /** LIVE_WORKERS: processes serving `port`. */
    workers: number;
    heartbeatMs: number;
    retryMs: number;
    /** LIVE_COALESCE_MS: at most one write per stream in this window (0: at once). */
    coalesceMs: number;
    maxClients: number;
    maxPerUser: number;
    maxPerOrg: number;
    sessionCheckMs: number;
    shareCheckMs: number;
    sharedRequestsPerMinute: number;
    sharedStreamsPerIp: number;
  };
  webhooks: { allowPrivateUrls: boolean };
  /** DEVICE_OFFLINE_MINUTES: the tracker app's heartbeat must be shorter. */
  tracker: { offlineMinutes: number };
  /** COMMAND_TTL_MINUTES: how long a queued device command waits for the tracker gateway to send it. */
  commands: { ttlMs: number };
  /** The platform administrator's token; undefined disables /api/v1/platform. */
  platform: { adminToken?: string };
  /** GEOCODER_*: the online reverse geocoder of places; undefined: offline places only. */
  geocoder?: GeocoderConfig;
  log: { format: 'json' | 'plain'; level: string };
  shutdownGraceMs: number;
}

export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  const e = parseEnv(apiEnvSchema, env);
  const strict = e.APP_ENV === 'production' || e.APP_ENV === 'staging';
  const cores = e.APP_ENV === 'test' ? 1 : os.availableParallelism();
  return {
    env: e.APP_ENV,
    workers: { api: e.API_WORKERS ?? cores, osmand: e.OSMAND_WORKERS ?? cores },
    http: {
      port: e.PORT,
      host: e.HOST,
      bodyLimit: e.BODY_LIMIT,
      corsOrigins: e.CORS_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter(Boolean),
      trustProxy: trustProxy(e.TRUST_PROXY),
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
      port: e.LIVE_PORT,
      workers: e.LIVE_WORKERS ?? 1,
      heartbeatMs: Math.round(e.LIVE_HEARTBEAT_SECONDS * 1000),
      retryMs: e.LIVE_RETRY_MS,
      coalesceMs: e.LIVE_COALESCE_MS,
      maxClients: e.LIVE_MAX_CLIENTS,
      maxPerUser: e.LIVE_MAX_STREAMS_PER_USER,
      maxPerOrg: e.LIVE_MAX_STREAMS_PER_ORG,
      sessionCheckMs: Math.round(e.LIVE_SESSION_CHECK_SECONDS * 1000),
      shareCheckMs: Math.round(e.SHARE_LINK_CHECK_SECONDS * 1000),
      sharedRequestsPerMinute: e.SHARED_REQUESTS_PER_MINUTE,
      sharedStreamsPerIp: e.SHARED_STREAMS_PER_IP,
    },
    webhooks: { allowPrivateUrls: (e.WEBHOOK_ALLOW_PRIVATE_URLS ?? String(!strict)) === 'true' },
    tracker: { offlineMinutes: e.DEVICE_OFFLINE_MINUTES },
    commands: { ttlMs: e.COMMAND_TTL_MINUTES * 60_000 },
    platform: { adminToken: e.PLATFORM_ADMIN_TOKEN },
    geocoder: e.GEOCODER_URL
      ? {
          url: e.GEOCODER_URL,
          ratePerSec: e.GEOCODER_RATE_PER_SEC,
          timeoutMs: e.GEOCODER_TIMEOUT_MS,
          waitMs: e.GEOCODER_WAIT_MS,
          cacheTtlMs: e.GEOCODER_CACHE_DAYS * 86_400_000,
          language: e.GEOCODER_LANGUAGE,
        }
      : undefined,
    log: { format: e.LOG_FORMAT ?? (strict ? 'json' : 'plain'), level: e.LOG_LEVEL },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}
