import cluster, { type Worker } from 'node:cluster';
import client from 'prom-client';

/**
 * A service on every core: a node:cluster primary forks workers by role (each role a number of
 * processes running the same entry with the role in their environment), replaces one that dies (not
 * in a tight loop), sums their Prometheus metrics, and drains them all on stop(). The workers share
 * the ports they listen on (the primary hands out connections).
 */

/** The role a forked worker plays (set by the primary in the worker's environment). */
export const CLUSTER_ROLE_ENV = 'FLEET_CLUSTER_ROLE';

/** One worker's own series, as prom-client's getMetricsAsJSON gives them (the primary sums them). */
type OwnMetrics = Awaited<ReturnType<client.Registry['getMetricsAsJSON']>>;
type ToPrimary =
  | { type: 'fleet-cluster:ready'; info: unknown }
  | { type: 'fleet-cluster:metrics-request'; id: number }
  | { type: 'fleet-cluster:own-metrics'; id: number; metrics?: OwnMetrics; error?: string };
type ToWorker =
  | { type: 'fleet-cluster:drain' }
  | { type: 'fleet-cluster:metrics'; id: number; text?: string; contentType?: string; error?: string }
  | { type: 'fleet-cluster:own-metrics-request'; id: number };

export interface ClusterRole {
  name: string;
  /** Processes of this role; 0 forks none. */
  count: number;
}

interface ClusterLogger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export interface ClusterOptions {
  /** The service label of the primary's own series, and their prefix unless `metricsPrefix` is given. */
  service: string;
  /**
   * The prefix of the primary's own series (`<prefix>_workers{role}`, `<prefix>_worker_restarts_total{role}`);
   * default `service`. For names that dashboards and alerts already read (the gateway's `tracker_workers`).
   */
  metricsPrefix?: string;
  roles: readonly ClusterRole[];
  /** Extra environment of every worker (the configuration, typically). */
  env?: Record<string, string>;
  /**
   * Node arguments of every worker, after the primary's own (which the workers always inherit: tsx's
   * loader, an inspector…): V8 heap bounds, typically.
   */
  execArgv?: readonly string[];
  logger: ClusterLogger;
  /** A draining worker still alive after this long is killed. */
  drainTimeoutMs: number;
}

export interface ClusterMetrics {
  contentType: string;
  text: string;
}

export interface ClusterHandle {
  /** What each role's workers reported once ready (`runClusterWorker`'s `info`), the last one per role. */
  ready: Record<string, unknown>;
  /** Workers alive, per role. */
  alive(): Record<string, number>;
  /** Every worker's metrics summed, followed by the primary's own (workers alive, restarts). */
  metrics(): Promise<ClusterMetrics>;
  /** Drains every worker (each as a single process does on SIGTERM) and waits for them to exit. */
  stop(): Promise<void>;
}

/** Restart delay after a worker that lived less than QUICK_DEATH_MS: doubles per quick death, capped. */
const QUICK_DEATH_MS = 5_000;
const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
/** A ready worker that does not send its metrics within this long fails the scrape (it is dying or stuck). */
const OWN_METRICS_TIMEOUT_MS = 5_000;

/**
 * Forks the workers and resolves once every one of them is ready. A worker that exits before it is
 * ready (a port taken, a bad setting) fails the start instead of being restarted forever.
 */
export async function startCluster(options: ClusterOptions): Promise<ClusterHandle> {
  const { logger } = options;
  const own = new client.Registry();
  own.setDefaultLabels({ service: options.service });
  const prefix = options.metricsPrefix ?? options.service;
  const aliveGauge = new client.Gauge({
    name: `${prefix}_workers`,
    help: 'Worker processes running, by role',
    labelNames: ['role'] as const,
    registers: [own],
  });
  const restarts = new client.Counter({
    name: `${prefix}_worker_restarts_total`,
    help: 'Worker processes that died and were replaced, by role',
    labelNames: ['role'] as const,
    registers: [own],
  });

  const roles = options.roles.filter((r) => r.count > 0);
  // Each role's restart series from 0, so the first restart is an increase (alerts use increase()).
  for (const role of roles) restarts.inc({ role: role.name }, 0);
  const workers = new Map<Worker, string>();
  const readyWorkers = new WeakSet<Worker>();
  const ready: Record<string, unknown> = {};
  const expected = roles.reduce((n, r) => n + r.count, 0);
  let readyCount = 0;
  let started = false;
  let draining = false;
  let settle!: { resolve(): void; reject(err: Error): void };
  const allReady = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  const count = (role: string) => [...workers.values()].filter((r) => r === role).length;

  let ownMetricsRequests = 0;
  const pendingOwnMetrics = new Map<number, { resolve(m: OwnMetrics): void; reject(err: Error): void }>();
  const ownMetricsOf = (worker: Worker) =>
    new Promise<OwnMetrics>((resolve, reject) => {
      const id = ++ownMetricsRequests;
      const role = workers.get(worker);
      const finish = () => {
        pendingOwnMetrics.delete(id);
        clearTimeout(timer);
        worker.off('exit', exited);
      };
      const exited = () => (finish(), reject(new Error(`a ${role} worker exited`)));
      const timer = setTimeout(
        () => (finish(), reject(new Error(`a ${role} worker did not send its metrics in time`))),
        OWN_METRICS_TIMEOUT_MS,
      );
      worker.once('exit', exited);
      pendingOwnMetrics.set(id, { resolve: (m) => (finish(), resolve(m)), reject: (err) => (finish(), reject(err)) });
      send(worker, { type: 'fleet-cluster:own-metrics-request', id });
    });
  // The sum over the ready workers only. One still starting has nothing to sum yet (its registry is
  // handed over once it is started) and may not even listen for the request: asking it too (as
  // prom-client's AggregatorRegistry.clusterMetrics asks every worker) held each scrape for 5 s and
  // then failed it, so /metrics answered 503 and Prometheus saw the target down whenever a worker
  // started or was replaced.
  const metrics = async (): Promise<ClusterMetrics> => {
    const asked = [...workers.keys()].filter((worker) => readyWorkers.has(worker) && worker.isConnected());
    const [perWorker, ownText] = await Promise.all([Promise.all(asked.map(ownMetricsOf)), own.metrics()]);
    const workersText = perWorker.length ? await client.AggregatorRegistry.aggregate(perWorker).metrics() : '';
    return { contentType: own.contentType, text: `${workersText}\n${ownText}` };
  };

  const fork = (role: string, quickDeaths: number) => {
    const worker = cluster.fork({ ...options.env, [CLUSTER_ROLE_ENV]: role });
    const forkedAt = Date.now();
    let isReady = false;
    workers.set(worker, role);
    aliveGauge.set({ role }, count(role));
    worker.on('message', (message: ToPrimary) => {
      if (message?.type === 'fleet-cluster:ready') {
        isReady = true;
        readyWorkers.add(worker);
        ready[role] = message.info;
        if (!started && ++readyCount === expected) settle.resolve();
      } else if (message?.type === 'fleet-cluster:own-metrics') {
        const pending = pendingOwnMetrics.get(message.id);
        if (message.metrics) pending?.resolve(message.metrics);
        else pending?.reject(new Error(`a ${role} worker could not collect its metrics: ${message.error}`));
      } else if (message?.type === 'fleet-cluster:metrics-request') {
        // A worker answering /metrics on a shared port: the sum over every worker.
        metrics().then(
          ({ text, contentType }) => send(worker, { type: 'fleet-cluster:metrics', id: message.id, text, contentType }),
          (err: unknown) =>
            send(worker, {
              type: 'fleet-cluster:metrics',
              id: message.id,
              error: err instanceof Error ? err.message : String(err),
            }),
        );
      }
    });
    worker.on('exit', (code, signal) => {
      workers.delete(worker);
      aliveGauge.set({ role }, count(role));
      if (draining) return;
      if (!started && !isReady) {
        settle.reject(new Error(`a ${role} worker exited before it was ready (code ${code}, signal ${signal})`));
        return;
      }
      restarts.inc({ role });
      // One that keeps dying at once (a dependency down at start, a crash on its first request) is
      // restarted ever more slowly instead of in a tight loop.
      const quick = Date.now() - forkedAt < QUICK_DEATH_MS;
      const deaths = quick ? quickDeaths + 1 : 0;
      const delay = quick ? Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (deaths - 1)) : 0;
      logger.error(`${role} worker died: starting another`, { pid: worker.process.pid, code, signal, delay });
      setTimeout(() => !draining && fork(role, deaths), delay).unref();
    });
  };

  const stop = async () => {
    draining = true;
    logger.info('draining workers', { workers: workers.size });
    await Promise.all(
      [...workers.keys()].map(
        (worker) =>
          new Promise<void>((resolve) => {
            if (worker.isDead()) return resolve();
            worker.once('exit', () => resolve());
            const timer = setTimeout(() => worker.process.kill('SIGKILL'), options.drainTimeoutMs);
            timer.unref();
            worker.once('exit', () => clearTimeout(timer));
            // One still starting may not listen for the message yet: it has accepted nothing, a
            // signal ends it (or drains it, once runClusterWorker handles signals).
            if (readyWorkers.has(worker)) send(worker, { type: 'fleet-cluster:drain' });
            else worker.process.kill('SIGTERM');
          }),
      ),
    );
  };

  // Settings of every later fork too (a replaced worker runs with the same arguments).
  if (options.execArgv?.length) cluster.setupPrimary({ execArgv: [...process.execArgv, ...options.execArgv] });
  for (const role of roles) for (let i = 0; i < role.count; i++) fork(role.name, 0);
  try {
    await allReady;
  } catch (err) {
    draining = true;
    for (const worker of workers.keys()) worker.process.kill('SIGKILL');
    throw err;
  }
  started = true;

  let stopped: Promise<void> | undefined;
  return {
    ready,
    alive: () => Object.fromEntries(roles.map((r) => [r.name, count(r.name)])),
    metrics,
    stop: () => (stopped ??= stop()),
  };
}

function send(worker: Worker, message: ToWorker) {
  if (worker.isConnected()) worker.send(message);
}

/** The role of this process when it is a forked worker, else undefined. */
export function clusterRole(): string | undefined {
  return cluster.isWorker ? process.env[CLUSTER_ROLE_ENV] : undefined;
}

export interface ClusterWorker {
  stop(): Promise<void>;
  /** This worker's metrics, summed by the primary with the others'. */
  registry: client.Registry;
  /** Reported to the primary once ready (ports, typically). */
  info?: unknown;
}

/**
 * A forked worker's whole life: answers the primary's requests for its metrics (empty until it is
 * started), starts the role, tells the primary it is ready, and drains on the primary's message, on
 * SIGTERM/SIGINT (a terminal's Ctrl-C reaches the whole group) or when the primary is gone; exits 0
 * once drained, 1 when the start or the drain fails.
 */
export function runClusterWorker(
  start: (role: string) => Promise<ClusterWorker>,
  log: (level: 'info' | 'error', msg: string) => void,
): void {
  const role = clusterRole();
  if (role === undefined) throw new Error(`runClusterWorker: not a cluster worker (${CLUSTER_ROLE_ENV} unset)`);
  let worker: ClusterWorker | undefined;
  let stopping: Promise<void> | undefined;
  const drain = () => {
    stopping ??= (worker ? worker.stop() : Promise.resolve()).then(
      () => process.exit(0),
      (err: unknown) => {
        log('error', `${role} worker: drain failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('message', (message: ToWorker) => {
    if (message?.type === 'fleet-cluster:drain') drain();
    else if (message?.type === 'fleet-cluster:own-metrics-request') {
      // The primary asks ready workers only; none started yet (cannot happen) would report nothing.
      (worker ? worker.registry.getMetricsAsJSON() : Promise.resolve([])).then(
        (metrics) => process.send?.({ type: 'fleet-cluster:own-metrics', id: message.id, metrics } satisfies ToPrimary),
        (err: unknown) =>
          process.send?.({
            type: 'fleet-cluster:own-metrics',
            id: message.id,
            error: err instanceof Error ? err.message : String(err),
          } satisfies ToPrimary),
      );
    }
  });
  process.on('SIGTERM', drain);
  process.on('SIGINT', drain);
  process.on('disconnect', drain);
  start(role).then(
    (started) => {
      worker = started;
      process.send?.({ type: 'fleet-cluster:ready', info: started.info } satisfies ToPrimary);
    },
    (err: unknown) => {
      log('error', `${role} worker failed to start: ${err instanceof Error ? err.stack : String(err)}`);
      process.exit(1);
    },
  );
}

let metricsRequests = 0;
const pendingMetrics = new Map<number, { resolve(m: ClusterMetrics): void; reject(err: Error): void }>();

/**
 * In a worker: the whole cluster's metrics, asked of the primary (which sums every worker's). Rejects
 * when the primary does not answer within `timeoutMs` (a worker starting or dying answers late).
 */
export function requestClusterMetrics(timeoutMs = 6_000): Promise<ClusterMetrics> {
  const toPrimary = process.send?.bind(process);
  if (!cluster.isWorker || !toPrimary) return Promise.reject(new Error('not a cluster worker'));
  if (metricsRequests === 0) {
    process.on('message', (message: ToWorker) => {
      if (message?.type !== 'fleet-cluster:metrics') return;
      const pending = pendingMetrics.get(message.id);
      if (!pending) return;
      pendingMetrics.delete(message.id);
      if (message.error !== undefined || message.text === undefined) pending.reject(new Error(message.error));
      else pending.resolve({ text: message.text, contentType: message.contentType ?? client.register.contentType });
    });
  }
  const id = ++metricsRequests;
  return new Promise<ClusterMetrics>((resolve, reject) => {
    const timer = setTimeout(() => {
      pendingMetrics.delete(id);
      reject(new Error('the cluster primary did not answer with the metrics in time'));
    }, timeoutMs);
    pendingMetrics.set(id, {
      resolve: (m) => (clearTimeout(timer), resolve(m)),
      reject: (err) => (clearTimeout(timer), reject(err)),
    });
    toPrimary({ type: 'fleet-cluster:metrics-request', id } satisfies ToPrimary);
  });
}
