import { createDb, createPool, type Database, type Pool } from '@fleet/db';
import { createLogger, type Logger } from '@fleet/logging-json';
import { createMetrics, type Metrics } from '@fleet/metrics';
import client from 'prom-client';
import {
  createRedis,
  startCluster,
  startHttpServer,
  type ClusterMetrics,
  requestClusterMetrics,
  type ClusterWorker,
  type Redis,
} from '@fleet/runtime';
import { DEFAULT_STREAMS } from '@fleet/queue-replay';
import { createLiveApp, createMainListener, type AppDeps } from './app';
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
import { Places } from '@fleet/places';

export interface ApiHandle {
  port: number;
  /** What the app was built from (tests rebuild the app to inspect its routes). */
  deps: AppDeps;
  /** The OsmAnd listener's port, when enabled. */
  osmandPort?: number;
  /** LIVE_PORT's listener (live streams only), when set. */
  livePort?: number;
  pool: Pool;
  db: Database;
  redis: Redis;
  /** Drains: /ready turns 503 at once, new work is refused, in-flight requests finish, pools close. */
  stop(): Promise<void>;
}

const loggerFor = (config: ApiConfig) =>
  createLogger({
    service: 'api',
    format: config.log.format,
    level: config.log.level,
    secrets: [config.jwt.secret, config.jwt.previousSecret ?? ''].filter(Boolean),
  });

function createStores(
  config: ApiConfig,
  logger: Logger,
  options: { autoPipelining: boolean } = { autoPipelining: true },
): { pool: Pool; redis: Redis } {
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
    autoPipelining: options.autoPipelining,
    onError: (err) => logger.warn('redis connection problem', { err }),
  });
  return { pool, redis };
}

function createPipeline(
  config: ApiConfig,
  deps: { pool: Pool; redis: Redis; logger: Logger; registry: client.Registry },
) {
  return new IngestPipeline({
    ...deps,
    names: DEFAULT_STREAMS,
    streamMaxLen: config.ingest.streamMaxLen,
    maxFutureMs: config.ingest.maxFutureSkewMs,
    maxConcurrentCommits: 2,
  });
}

/** This process's metrics; in a cluster worker, /metrics answers the whole cluster's sum instead. */
function metricsOf(logger: Logger, clusterMetrics?: () => Promise<ClusterMetrics>): Metrics {
  const ownMetrics = createMetrics({ service: 'api' });
  if (!clusterMetrics) return ownMetrics;
  return {
    ...ownMetrics,
    handler: async (_req, res) => {
      try {
        const { contentType, text } = await clusterMetrics();
        res.setHeader('Content-Type', contentType);
        res.end(text);
      } catch (err) {
        // A worker starting or dying answers late: the next scrape has it.
        logger.warn("could not collect the cluster's metrics", { err });
        res.status(503).type('text/plain').send('metrics unavailable: a worker did not answer\n');
      }
    },
  };
}

/** Session versions, access tokens and the live hub: what serving live streams takes. */
function liveParts(config: ApiConfig, deps: { pool: Pool; redis: Redis; logger: Logger; metrics: Metrics }) {
  const { pool, redis, logger, metrics } = deps;
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
  return { versions, tokens, liveHub };
}

export interface StartOptions {
  logger?: Logger;
  /**
   * In a cluster worker: /metrics answers the whole cluster's sum (asked of the primary) instead of
   * this process's own series.
   */
  clusterMetrics?: () => Promise<ClusterMetrics>;
}

/** The API in this process: the main port (REST, ingest, live streams) and the OsmAnd port when enabled. */
export async function start(config: ApiConfig, options: StartOptions = {}): Promise<ApiHandle> {
  const logger = options.logger ?? loggerFor(config);
  const { pool, redis } = createStores(config, logger);
  let draining = false;
  const metrics = metricsOf(logger, options.clusterMetrics);
  const { versions, tokens, liveHub } = liveParts(config, { pool, redis, logger, metrics });
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
    pipeline: createPipeline(config, { pool, redis, logger, registry: metrics.registry }),
    places: new Places({ pool, redis, geocoder: config.geocoder, logger }),
  };
  // The main port: the ingest fast path in front of the Express app (app.ts createMainListener).
  const http = await startHttpServer(createMainListener(deps), { port: config.http.port, host: config.http.host });
  const osmand =
    config.ingest.osmandPort === undefined
      ? undefined
      : await startHttpServer(osmandListener(deps), { port: config.ingest.osmandPort, host: config.http.host });
  // LIVE_PORT in this same process (no cluster): its own listener, the same hub.
  const live =
    config.live.port === undefined
      ? undefined
      : await startHttpServer(createLiveApp(deps), { port: config.live.port, host: config.http.host });
  logger.info('api listening', {
    port: http.port,
    osmandPort: osmand?.port,
    livePort: live?.port,
    env: config.env,
    version: VERSION,
  });

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
        live?.close(config.shutdownGraceMs),
      ]);
      if (timedOut) logger.warn('grace period over: cut the requests still in flight');
      // Every request answered 2xx is on the stream before Redis closes (not left to the replayer);
      // bounded, so an unreachable Redis cannot hold the drain (the replayer has those rows).
      const unpublished = await deps.pipeline.flush(Math.min(config.shutdownGraceMs, 5_000));
      if (unpublished) logger.warn('batches left unpublished for the replayer', { unpublished });
      await liveHub.close();
      await deps.places.stop();
      versions.close();
      await Promise.allSettled([pool.end(), redis.quit()]);
      redis.disconnect();
      logger.info('api stopped');
    })());

  return {
    port: http.port,
    deps,
    osmandPort: osmand?.port,
    livePort: live?.port,
    pool,
    db: createDb(pool),
    redis,
    stop,
  };
}

/** A process serving only the OsmAnd port: its own pools and ingest pipeline, no Express app, no live streams. */
export async function startOsmand(
  config: ApiConfig,
  options: { logger?: Logger } = {},
): Promise<ClusterWorker & { port: number }> {
  if (config.ingest.osmandPort === undefined) throw new Error('startOsmand: OSMAND_PORT is off');
  const logger = options.logger ?? loggerFor(config);
  // Its Redis commands are one XADD per staging commit (many requests merged) and a GET a second:
  // nothing to pipeline, and ioredis's auto-pipelining builds a Pipeline object for each of them.
  const { pool, redis } = createStores(config, logger, { autoPipelining: false });
  const metrics = createMetrics({ service: 'api' });
  const pipeline = createPipeline(config, { pool, redis, logger, registry: metrics.registry });
  let draining = false;
  const osmand = await startHttpServer(
    osmandListener({
      pipeline,
      devices: new DeviceDirectory(pool, { redis }),
      logger,
      metrics,
      isDraining: () => draining,
    }),
    { port: config.ingest.osmandPort, host: config.http.host },
  );
  logger.info('osmand listening', { osmandPort: osmand.port, env: config.env, version: VERSION });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      draining = true;
      const { timedOut } = await osmand.close(config.shutdownGraceMs);
      if (timedOut) logger.warn('grace period over: cut the requests still in flight');
      const unpublished = await pipeline.flush(Math.min(config.shutdownGraceMs, 5_000));
      if (unpublished) logger.warn('batches left unpublished for the replayer', { unpublished });
      await Promise.allSettled([pool.end(), redis.quit()]);
      redis.disconnect();
      logger.info('osmand stopped');
    })());
  return { port: osmand.port, registry: metrics.registry, info: { osmandPort: osmand.port }, stop };
}

/**
 * A process serving only LIVE_PORT: the live streams (organization and share links), the probes and
 * /metrics; its own pools, session versions and live hub, no ingest pipeline.
 */
export async function startLive(
  config: ApiConfig,
  options: StartOptions = {},
): Promise<ClusterWorker & { port: number }> {
  if (config.live.port === undefined) throw new Error('startLive: LIVE_PORT is off');
  const logger = options.logger ?? loggerFor(config);
  const { pool, redis } = createStores(config, logger);
  const metrics = metricsOf(logger, options.clusterMetrics);
  const { versions, tokens, liveHub } = liveParts(config, { pool, redis, logger, metrics });
  let draining = false;
  const live = await startHttpServer(
    createLiveApp({
      config,
      logger,
      metrics,
      pool,
      redis,
      isDraining: () => draining,
      version: VERSION,
      tokens,
      liveHub,
    }),
    { port: config.live.port, host: config.http.host },
  );
  logger.info('live listening', { livePort: live.port, env: config.env, version: VERSION });
  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      draining = true;
      // Clients reconnect (to another worker or replica) with their Last-Event-ID: nothing is lost.
      liveHub.closeAll();
      const { timedOut } = await live.close(config.shutdownGraceMs);
      if (timedOut) logger.warn('grace period over: cut the requests still in flight');
      await liveHub.close();
      versions.close();
      await Promise.allSettled([pool.end(), redis.quit()]);
      redis.disconnect();
      logger.info('live stopped');
    })());
  return { port: live.port, registry: metrics.registry, info: { livePort: live.port }, stop };
}

/** Worker roles of the cluster: the main port, and the OsmAnd port on its own. */
export const API_ROLE = 'api';
export const OSMAND_ROLE = 'osmand';
/** LIVE_PORT's workers: the live streams on their own. */
export const LIVE_ROLE = 'live';
/** The configuration a forked worker runs with (the primary's). */
export const WORKER_CONFIG_ENV = 'API_WORKER_CONFIG';

/**
 * Whether the configuration asks for more than one process (main.ts then runs a cluster primary):
 * LIVE_PORT always does, the point of it being processes of their own.
 */
export const clustered = (config: ApiConfig) =>
  config.workers.api > 1 || config.workers.osmand > 1 || config.live.port !== undefined;

/**
 * The node:cluster primary: API_WORKERS processes serve the main port (REST, REST ingest, live
 * streams) and OSMAND_WORKERS processes only the OsmAnd port, so Traccar Client's fixes never wait
 * behind the live fan-out; with LIVE_PORT, LIVE_WORKERS processes serve only the live streams there, so
 * the fan-out leaves the api workers (REST ingest) too. It restarts a worker that dies and drains them
 * all on stop(); /metrics, answered by any api or live worker, is the sum over every worker.
 */
export async function startPrimary(
  config: ApiConfig,
  options: { logger?: Logger } = {},
): Promise<{ port: number; osmandPort?: number; livePort?: number; stop(): Promise<void> }> {
  const logger = options.logger ?? loggerFor(config);
  const workers = await startCluster({
    service: 'api',
    roles: [
      { name: API_ROLE, count: config.workers.api },
      { name: OSMAND_ROLE, count: config.ingest.osmandPort === undefined ? 0 : config.workers.osmand },
      { name: LIVE_ROLE, count: config.live.port === undefined ? 0 : config.live.workers },
    ],
    env: { [WORKER_CONFIG_ENV]: JSON.stringify(config) },
    logger,
    // Past the workers' own grace period (plus the flush), a stuck worker is killed.
    drainTimeoutMs: config.shutdownGraceMs + 10_000,
  });
  const port = (workers.ready[API_ROLE] as { port: number }).port;
  const osmandPort = (workers.ready[OSMAND_ROLE] as { osmandPort: number } | undefined)?.osmandPort;
  const livePort = (workers.ready[LIVE_ROLE] as { livePort: number } | undefined)?.livePort;
  logger.info('api cluster started', {
    port,
    osmandPort,
    livePort,
    workers: workers.alive(),
    env: config.env,
    version: VERSION,
  });
  return {
    port,
    osmandPort,
    livePort,
    stop: async () => {
      await workers.stop();
      logger.info('api stopped');
    },
  };
}

/** A forked worker of the primary above: its role, with the primary's configuration. */
export async function startWorker(role: string): Promise<ClusterWorker> {
  const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? '') as ApiConfig;
  if (role === OSMAND_ROLE) return startOsmand(config);
  if (role === LIVE_ROLE) return startLive(config, { clusterMetrics: () => requestClusterMetrics() });
  // The OsmAnd port is the osmand workers', LIVE_PORT the live workers'.
  const api = await start(
    { ...config, ingest: { ...config.ingest, osmandPort: undefined }, live: { ...config.live, port: undefined } },
    { clusterMetrics: () => requestClusterMetrics() },
  );
  return { registry: api.deps.metrics.registry, info: { port: api.port }, stop: api.stop };
}
