import os from 'node:os';
import { baseEnvSchema, parseEnv } from '@fleet/runtime';
import { z } from 'zod';

const int = (min: number, fallback: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().int().min(min).max(max).default(fallback);

/** A listener's port (Traccar's number by default, so device configurations carry over), or `off`. */
const listenerPort = (fallback: number) =>
  z.union([z.literal('off'), z.coerce.number().int().min(0).max(65535)]).default(fallback);

const trackersEnvSchema = baseEnvSchema.extend({
  /** The gateway's HTTP port: /health, /ready, /metrics (served by the cluster primary). */
  PORT: int(0, 9465, 65535),
  HOST: z.string().default('0.0.0.0'),
  TELTONIKA_PORT: listenerPort(5027),
  GT06_PORT: listenerPort(5023),
  H02_PORT: listenerPort(5013),
  /** Processes sharing the listening ports (node:cluster); 1 runs the gateway in the primary itself. */
  TRACKER_WORKERS: int(1, os.availableParallelism(), 256),
  /** A connection that sends nothing for this long is closed (devices reconnect on their own). */
  TRACKER_IDLE_TIMEOUT_S: int(1, 600, 86_400),
  /** Device connections one process holds at most, all protocols together; beyond, closed at once. */
  TRACKER_MAX_CONNECTIONS: int(1, 20_000, 1_000_000),
  /** Fixes stamped further than this in the future are refused (device clock errors), as on the API. */
  INGEST_MAX_FUTURE_SKEW_MS: int(0, 10 * 60 * 1000),
  INGEST_STREAM_MAXLEN: int(1_000, 1_000_000),
  /**
   * V8 heap of each forked worker (see heap.ts for the measurements): the old space's limit, which
   * also keeps full collections close to the live size, and the young generation's semi-space, in MB;
   * 0 leaves V8's default. A flag already in NODE_OPTIONS wins. Not applied with TRACKER_WORKERS=1.
   */
  TRACKER_WORKER_MAX_OLD_SPACE_MB: int(0, 512, 65_536),
  TRACKER_WORKER_SEMI_SPACE_MB: int(0, 8, 1_024),
});

/** The environment shaped into the gateway's configuration (the one type of it: TrackersConfig). */
const trackersConfigSchema = trackersEnvSchema.transform((e) => {
  const strict = e.APP_ENV === 'production' || e.APP_ENV === 'staging';
  const defaultLogFormat: 'json' | 'plain' = strict ? 'json' : 'plain';
  const port = (value: number | 'off') => (value === 'off' ? undefined : value);
  return {
    env: e.APP_ENV,
    http: { port: e.PORT, host: e.HOST },
    /** Listening port per protocol; undefined: that protocol is off. */
    listeners: {
      host: e.HOST,
      ports: { teltonika: port(e.TELTONIKA_PORT), gt06: port(e.GT06_PORT), h02: port(e.H02_PORT) },
    },
    workers: e.TRACKER_WORKERS,
    workerHeap: { maxOldSpaceMb: e.TRACKER_WORKER_MAX_OLD_SPACE_MB, maxSemiSpaceMb: e.TRACKER_WORKER_SEMI_SPACE_MB },
    connections: { idleTimeoutMs: e.TRACKER_IDLE_TIMEOUT_S * 1000, maxPerProcess: e.TRACKER_MAX_CONNECTIONS },
    db: { url: e.DATABASE_URL, poolMax: e.DB_POOL_MAX, statementTimeoutMs: e.DB_STATEMENT_TIMEOUT_MS },
    redis: { url: e.REDIS_URL, keyPrefix: e.REDIS_KEY_PREFIX },
    log: { format: e.LOG_FORMAT ?? defaultLogFormat, level: e.LOG_LEVEL },
    ingest: { maxFutureSkewMs: e.INGEST_MAX_FUTURE_SKEW_MS, streamMaxLen: e.INGEST_STREAM_MAXLEN },
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
});

export type TrackersConfig = z.infer<typeof trackersConfigSchema>;
export type ProtocolName = keyof TrackersConfig['listeners']['ports'];

/** Parses the environment once; a bad variable is reported with every other one (ConfigError). */
export function loadTrackersConfig(env: NodeJS.ProcessEnv = process.env): TrackersConfig {
  return parseEnv(trackersConfigSchema, env);
}
