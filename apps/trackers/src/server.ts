import { createPool } from '@fleet/db';
import type { TcpProtocol } from '@fleet/ingest';
import { createLogger, type Logger } from '@fleet/logging-json';
import { createMetrics } from '@fleet/metrics';
import {
  createRedis,
  probeRoutes,
  startCluster,
  startHttpServer,
  storeChecks,
  type ClusterHandle,
  type ClusterWorker,
  type Redis,
} from '@fleet/runtime';
import express from 'express';
import type { ProtocolName, TrackersConfig } from './config';
import { startGateway } from './gateway';
import { workerHeapArgs } from './heap';
import { TRACKER_PROTOCOLS } from './protocols';

export const VERSION = process.env['APP_VERSION'] ?? 'dev';
/** The configuration a forked worker runs with (the primary's, whatever built it). */
export const WORKER_CONFIG_ENV = 'TRACKERS_WORKER_CONFIG';

/** The one role of the gateway's forked workers (@fleet/runtime's cluster). */
export const LISTENER_ROLE = 'listener';

export interface TrackersHandle {
  /** The HTTP port (/health, /ready, /metrics). */
  port: number;
  /** The port each enabled protocol listens on. */
  ports: Partial<Record<ProtocolName, number>>;
  /** Drains: /ready turns 503, no new connection, in-flight frames finish, sockets close, pools close. */
  stop(): Promise<void>;
}

export interface StartOptions {
  logger?: Logger;
  /**
   * The protocols served (their ports from the configuration); by default every tracker protocol.
   * In-process only: forked workers serve every tracker protocol (startWorker).
   */
  protocols?: readonly TcpProtocol[];
}

const loggerFor = (config: TrackersConfig) =>
  createLogger({ service: 'trackers', format: config.log.format, level: config.log.level });

/**
 * The tracker gateway. With one worker the gateway runs in this process; with more, this process is
 * a node:cluster primary: it forks the workers (sharing the listening ports), restarts one that dies,
 * serves /health, /ready and the workers' summed /metrics, and drains them on stop().
 */
export function start(config: TrackersConfig, options: StartOptions = {}): Promise<TrackersHandle> {
  return config.workers === 1 ? startInProcess(config, options) : startPrimary(config, options);
}

async function startInProcess(config: TrackersConfig, options: StartOptions): Promise<TrackersHandle> {
  const logger = options.logger ?? loggerFor(config);
  const metrics = createMetrics({ service: 'trackers' });
  const gateway = await startGateway(config, {
    logger,
    registry: metrics.registry,
    protocols: options.protocols ?? TRACKER_PROTOCOLS,
  });
  let draining = false;
  const app = express();
  app.disable('x-powered-by');
  app.use(metrics.httpMiddleware);
  app.use(
    probeRoutes({
      service: 'trackers',
      version: VERSION,
      isDraining: () => draining,
      checks: storeChecks({ pool: gateway.pool, redis: gateway.redis }),
    }),
  );
  app.get('/metrics', metrics.handler);
  const http = await startHttpServer(app, { port: config.http.port, host: config.http.host });
  logger.info('trackers started', { port: http.port, ports: gateway.ports, env: config.env, version: VERSION });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      draining = true;
      await gateway.stop();
      await http.close(config.shutdownGraceMs);
    })());
  return { port: http.port, ports: gateway.ports, stop };
}

async function startPrimary(config: TrackersConfig, options: StartOptions): Promise<TrackersHandle> {
  const logger = options.logger ?? loggerFor(config);
  // The primary's own connections, for /ready only.
  const pool = createPool({
    url: config.db.url,
    max: 1,
    statementTimeoutMs: config.db.statementTimeoutMs,
    applicationName: 'fleet-trackers-primary',
    onError: (err) => logger.warn('postgres connection lost', { err }),
  });
  const redis: Redis = createRedis({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    connectionName: 'fleet-trackers-primary',
    onError: (err) => logger.warn('redis connection problem', { err }),
  });
  // The workers' V8 heap (heap.ts): node arguments of the forks, after the primary's own (tsx, inspector…).
  const heapArgs = workerHeapArgs(config.workerHeap, {
    execArgv: process.execArgv,
    nodeOptions: process.env['NODE_OPTIONS'],
  });

  let draining = false;
  let workers: ClusterHandle | undefined;
  const app = express();
  app.disable('x-powered-by');
  app.use(
    probeRoutes({
      service: 'trackers',
      version: VERSION,
      isDraining: () => draining,
      checks: {
        ...storeChecks({ pool, redis }),
        // Between a worker's death and its replacement the others serve; with none, nothing does.
        workers: async () => {
          // Ready once every worker listens (the HTTP port opens before they do), then while one runs.
          if (!workers) throw new Error('tracker workers are not listening yet');
          if (!workers.alive()[LISTENER_ROLE]) throw new Error('no tracker worker is running');
        },
      },
    }),
  );
  app.get('/metrics', async (_req, res) => {
    try {
      if (!workers) throw new Error('the workers are starting');
      const { contentType, text } = await workers.metrics();
      res.setHeader('Content-Type', contentType);
      res.end(text);
    } catch (err) {
      // A worker starting or dying does not answer in time: the next scrape has it.
      logger.warn("could not collect the workers' metrics", { err });
      res.status(503).type('text/plain').send('metrics unavailable: a worker did not answer\n');
    }
  });
  const http = await startHttpServer(app, { port: config.http.port, host: config.http.host });
  try {
    // Workers that share the listening ports; one that dies is replaced, and /metrics sums them.
    workers = await startCluster({
      service: 'trackers',
      // The names the dashboards and alerts read (deployments/): tracker_workers, tracker_worker_restarts_total.
      metricsPrefix: 'tracker',
      roles: [{ name: LISTENER_ROLE, count: config.workers }],
      env: { [WORKER_CONFIG_ENV]: JSON.stringify(config) },
      execArgv: heapArgs,
      logger,
      // Past the workers' own grace period (plus the flush), a stuck worker is killed.
      drainTimeoutMs: config.shutdownGraceMs + 10_000,
    });
  } catch (err) {
    draining = true;
    await http.close(0);
    await Promise.allSettled([pool.end(), redis.quit()]);
    redis.disconnect();
    throw err;
  }
  const cluster = workers;
  const ports = (cluster.ready[LISTENER_ROLE] as { ports: Partial<Record<ProtocolName, number>> }).ports;
  logger.info('trackers started', {
    port: http.port,
    ports,
    workers: config.workers,
    workerNodeArgs: heapArgs,
    env: config.env,
    version: VERSION,
  });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      draining = true;
      logger.info('trackers draining workers', { workers: cluster.alive()[LISTENER_ROLE] });
      await cluster.stop();
      await http.close(config.shutdownGraceMs);
      await Promise.allSettled([pool.end(), redis.quit()]);
      redis.disconnect();
      logger.info('trackers stopped');
    })());
  return { port: http.port, ports, stop };
}

/**
 * A forked worker (runClusterWorker runs it: the primary's drain message, SIGTERM/SIGINT or the
 * primary gone drain it): the gateway with its own pools, its metrics summed by the primary.
 */
export async function startWorker(): Promise<ClusterWorker> {
  const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? '') as TrackersConfig;
  const metrics = createMetrics({ service: 'trackers' });
  const gateway = await startGateway(config, {
    logger: loggerFor(config),
    registry: metrics.registry,
    protocols: TRACKER_PROTOCOLS,
  });
  return { registry: metrics.registry, info: { ports: gateway.ports }, stop: gateway.stop };
}
