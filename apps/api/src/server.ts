import { createDb, createPool, type Database, type Pool } from '@fleet/db';
import { createLogger, type Logger } from '@fleet/logging-json';
import { createMetrics } from '@fleet/metrics';
import { createRedis, startHttpServer, type Redis } from '@fleet/runtime';
import { DEFAULT_STREAMS } from '@fleet/queue-replay';
import { createApp, type AppDeps } from './app';
import { osmandListener } from './ingest/osmand-listener';
import { TokenService } from '@fleet/auth';
import { LoginLimiter } from './auth/rate-limit';
import { SessionVersions } from './auth/revocation';
import { Sessions } from './auth/sessions';
import { DeviceDirectory } from '@fleet/ingest';
import { IngestPipeline } from '@fleet/ingest';
import type { ApiConfig } from './config';
import { VERSION } from './version';
import { LiveHub } from './live/hub';

export interface ApiHandle {
  port: number;
  /** What the app was built from (tests rebuild the app to inspect its routes). */
  deps: AppDeps;
  /** The OsmAnd listener's port, when enabled. */
  osmandPort?: number;
  pool: Pool;
  db: Database;
  redis: Redis;
  /** Drains: /ready turns 503 at once, new work is refused, in-flight requests finish, pools close. */
  stop(): Promise<void>;
}

export async function start(config: ApiConfig, options: { logger?: Logger } = {}): Promise<ApiHandle> {
  const logger =
    options.logger ??
    createLogger({
      service: 'api',
      format: config.log.format,
      level: config.log.level,
      secrets: [config.jwt.secret, config.jwt.previousSecret ?? ''].filter(Boolean),
    });
  const pool = createPool({
    url: config.db.url,
    max: config.db.poolMax,
    statementTimeoutMs: config.db.statementTimeoutMs,
    applicationName: 'fleet-api',
    onError: (err) => logger.warn('postgres connection lost', { err }),
  });
  const redis = createRedis({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    connectionName: 'fleet-api',
    autoPipelining: true,
    onError: (err) => logger.warn('redis connection problem', { err }),
  });
  let draining = false;
  const metrics = createMetrics({ service: 'api' });
  const versions = new SessionVersions({ pool, redis, logger });
  const tokens = new TokenService({
    secret: config.jwt.secret,
    previousSecret: config.jwt.previousSecret,
    accessTtlSeconds: config.jwt.accessTtlSeconds,
    isCurrent: (claims) => versions.isCurrent(claims.sub, claims.sv),
  });
  const liveHub = new LiveHub({
    redis,
    registry: metrics.registry,
    logger,
    maxClients: config.live.maxClients,
    sharedStreamsPerIp: config.live.sharedStreamsPerIp,
    maxPerUser: config.live.maxPerUser,
    maxPerOrg: config.live.maxPerOrg,
    isCurrent: (user, sv) => versions.isCurrent(user, sv),
    sessionCheckMs: config.live.sessionCheckMs,
  });
  // Revocations announced by any API process end that user's live streams here.
  versions
    .listen((user) => void liveHub.recheck(user))
    .catch((err: unknown) => logger.warn('session versions: cannot listen for revocations', { err }));
  const deps: AppDeps = {
    config,
    logger,
    metrics,
    pool,
    redis,
    isDraining: () => draining,
    version: VERSION,
    devices: new DeviceDirectory(pool, { redis }),
    tokens,
    versions,
    sessions: new Sessions(pool, tokens, {
      refreshTtlDays: config.jwt.refreshTtlDays,
      versions,
      registry: metrics.registry,
    }),
    limiter: new LoginLimiter(redis, config.login),
    liveHub,
    pipeline: new IngestPipeline({
      pool,
      redis,
      logger,
      registry: metrics.registry,
      names: DEFAULT_STREAMS,
      streamMaxLen: config.ingest.streamMaxLen,
      maxFutureMs: config.ingest.maxFutureSkewMs,
      maxConcurrentCommits: 2,
    }),
  };
  const http = await startHttpServer(createApp(deps), { port: config.http.port, host: config.http.host });
  const osmand =
    config.ingest.osmandPort === undefined
      ? undefined
      : await startHttpServer(osmandListener(deps), { port: config.ingest.osmandPort, host: config.http.host });
  logger.info('api listening', { port: http.port, osmandPort: osmand?.port, env: config.env, version: VERSION });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      draining = true;
      logger.info('api draining', { inFlight: http.inFlight(), graceMs: config.shutdownGraceMs });
      // Live streams never finish by themselves: end them now (clients reconnect to another replica
      // with their Last-Event-ID) so the drain waits only for ordinary requests.
      liveHub.closeAll();
      const [{ timedOut }] = await Promise.all([
        http.close(config.shutdownGraceMs),
        osmand?.close(config.shutdownGraceMs),
      ]);
      if (timedOut) logger.warn('grace period over: cut the requests still in flight');
      // Every request answered 2xx is on the stream before Redis closes (not left to the replayer);
      // bounded, so an unreachable Redis cannot hold the drain (the replayer has those rows).
      const unpublished = await deps.pipeline.flush(Math.min(config.shutdownGraceMs, 5_000));
      if (unpublished) logger.warn('batches left unpublished for the replayer', { unpublished });
      await liveHub.close();
      versions.close();
      await Promise.allSettled([pool.end(), redis.quit()]);
      redis.disconnect();
      logger.info('api stopped');
    })());

  return { port: http.port, deps, osmandPort: osmand?.port, pool, db: createDb(pool), redis, stop };
}
