import cluster, { type Worker } from 'node:cluster';
import { createPool } from '@fleet/db';
import type { TcpProtocol } from '@fleet/ingest';
import { createLogger, type Logger } from '@fleet/logging-json';
import { createMetrics } from '@fleet/metrics';
import { createRedis, probeRoutes, startHttpServer, storeChecks, type Redis } from '@fleet/runtime';
import express from 'express';
import client from 'prom-client';
import type { ProtocolName, TrackersConfig } from './config';
import { startGateway } from './gateway';
import { workerHeapArgs } from './heap';
import { TRACKER_PROTOCOLS } from './protocols';

export const VERSION = process.env['APP_VERSION'] ?? 'dev';
/** The configuration a forked worker runs with (the primary's, whatever built it). */
export const WORKER_CONFIG_ENV = 'TRACKERS_WORKER_CONFIG';

/** Messages between the cluster primary and its workers. */
type ToPrimary = { type: 'trackers:listening'; ports: Partial<Record<ProtocolName, number>> };
type ToWorker = { type: 'trackers:drain' };

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
   * In-process only: forked workers serve what their entry point passes to runWorker.
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
  const aggregator = new client.AggregatorRegistry();
  // The primary's own series (workers alive, restarts) are served beside the workers' sum.
  const own = new client.Registry();
  own.setDefaultLabels({ service: 'trackers' });
  const alive = new client.Gauge({
    name: 'tracker_workers',
    help: 'Gateway worker processes running',
    registers: [own],
  });
  const restarts = new client.Counter({
    name: 'tracker_worker_restarts_total',
    help: 'Gateway worker processes that died and were replaced',
    registers: [own],
  });

  let draining = false;
  const workers = new Set<Worker>();
  const env = { [WORKER_CONFIG_ENV]: JSON.stringify(config) };
  // The workers' V8 heap (heap.ts): node arguments of the forks, after the primary's own (tsx, inspector…).
  const heapArgs = workerHeapArgs(config.workerHeap, {
    execArgv: process.execArgv,
    nodeOptions: process.env['NODE_OPTIONS'],
  });
  cluster.setupPrimary({ execArgv: [...process.execArgv, ...heapArgs] });
  let ports: Partial<Record<ProtocolName, number>> = {};
  let listening = 0;
  let started = false;
  let startFailed: ((err: Error) => void) | undefined;
  let firstListening: (() => void) | undefined;
  const allListening = new Promise<void>((resolve, reject) => {
    firstListening = resolve;
    startFailed = reject;
  });

  const fork = () => {
    const worker = cluster.fork(env);
    const startedAt = Date.now();
    workers.add(worker);
    alive.set(workers.size);
    worker.on('message', (message: ToPrimary) => {
      if (message?.type !== 'trackers:listening') return;
      ports = message.ports;
      if (++listening === config.workers) firstListening?.();
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      alive.set(workers.size);
      if (draining) return;
      if (!started) {
        // Never up (a port taken, a bad setting): fail the start rather than restart it forever.
        startFailed?.(new Error(`a tracker worker exited before listening (code ${code}, signal ${signal})`));
        return;
      }
      restarts.inc();
      // A worker that dies at once (bad configuration, port taken) is not restarted in a tight loop.
      const delay = Date.now() - startedAt < 5_000 ? 1_000 : 0;
      logger.error('tracker worker died: starting another', { pid: worker.process.pid, code, signal, delay });
      setTimeout(() => !draining && fork(), delay).unref();
    });
  };
  for (let i = 0; i < config.workers; i++) fork();

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
          if (!started) throw new Error('tracker workers are not listening yet');
          if (workers.size === 0) throw new Error('no tracker worker is running');
        },
      },
    }),
  );
  app.get('/metrics', async (_req, res) => {
    try {
      const [workersText, ownText] = await Promise.all([aggregator.clusterMetrics(), own.metrics()]);
      res.setHeader('Content-Type', aggregator.contentType);
      res.end(`${workersText}\n${ownText}`);
    } catch (err) {
      // A worker starting or dying does not answer in time: the next scrape has it.
      logger.warn("could not collect the workers' metrics", { err });
      res.status(503).type('text/plain').send('metrics unavailable: a worker did not answer\n');
    }
  });
  const http = await startHttpServer(app, { port: config.http.port, host: config.http.host });
  try {
    await allListening;
  } catch (err) {
    draining = true;
    for (const worker of workers) worker.process.kill('SIGKILL');
    await http.close(0);
    await Promise.allSettled([pool.end(), redis.quit()]);
    redis.disconnect();
    throw err;
  }
  started = true;
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
      logger.info('trackers draining workers', { workers: workers.size });
      const exits = [...workers].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            // Past the workers' own grace period (plus the flush), a stuck worker is killed.
            const timer = setTimeout(() => worker.process.kill('SIGKILL'), config.shutdownGraceMs + 10_000);
            timer.unref();
            worker.send({ type: 'trackers:drain' } satisfies ToWorker);
          }),
      );
      await Promise.all(exits);
      await http.close(config.shutdownGraceMs);
      await Promise.allSettled([pool.end(), redis.quit()]);
      redis.disconnect();
      logger.info('trackers stopped');
    })());
  return { port: http.port, ports, stop };
}

/**
 * A forked worker: the gateway with its own pools, its metrics answered to the primary's aggregator.
 * Drains on the primary's message, on SIGTERM/SIGINT (a terminal's Ctrl-C reaches the whole group),
 * or when the primary is gone.
 */
export async function runWorker(options: { protocols?: readonly TcpProtocol[] } = {}): Promise<void> {
  const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? '') as TrackersConfig;
  const logger = loggerFor(config);
  const metrics = createMetrics({ service: 'trackers' });
  client.AggregatorRegistry.setRegistries([metrics.registry]);
  new client.AggregatorRegistry(); // answers the primary's requests for this worker's metrics
  const gateway = await startGateway(config, {
    logger,
    registry: metrics.registry,
    protocols: options.protocols ?? TRACKER_PROTOCOLS,
  });
  process.send?.({ type: 'trackers:listening', ports: gateway.ports } satisfies ToPrimary);
  const drain = () =>
    gateway.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error('drain failed', { err });
        process.exit(1);
      },
    );
  process.on('message', (message: ToWorker) => {
    if (message?.type === 'trackers:drain') void drain();
  });
  process.on('SIGTERM', () => void drain());
  process.on('SIGINT', () => void drain());
  process.on('disconnect', () => void drain());
}
