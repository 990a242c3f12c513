import net from 'node:net';
import v8 from 'node:v8';
import { createPool, type Pool } from '@fleet/db';
import { DeviceDirectory, FieldDrops, IngestPipeline, type TcpProtocol } from '@fleet/ingest';
import type { Logger } from '@fleet/logging-json';
import { DEFAULT_STREAMS } from '@fleet/queue-replay';
import { createRedis, type Redis } from '@fleet/runtime';
import type client from 'prom-client';
import { createCommandChannel } from './commands';
import type { ProtocolName, TrackersConfig } from './config';
import { DeviceConnection } from './connection';
import { createTrackerMetrics } from './metrics';
import { Presence } from './presence';

export interface Gateway {
  /** The port each enabled protocol listens on. */
  ports: Partial<Record<ProtocolName, number>>;
  pool: Pool;
  redis: Redis;
  /** Device connections open in this process. */
  connections(): number;
  /**
   * Drains: stops accepting, lets each connection finish the message in hand (its acknowledgement
   * written if committed), closes the sockets, flushes the pipeline, closes the pools.
   */
  stop(): Promise<void>;
}

export interface GatewayOptions {
  logger: Logger;
  registry: client.Registry;
  protocols: readonly TcpProtocol[];
}

/** The device side of one process: a TCP listener per enabled protocol, all staging through one pipeline. */
export async function startGateway(config: TrackersConfig, options: GatewayOptions): Promise<Gateway> {
  const { logger, registry } = options;
  const pool = createPool({
    url: config.db.url,
    max: config.db.poolMax,
    statementTimeoutMs: config.db.statementTimeoutMs,
    applicationName: 'fleet-trackers',
    onError: (err) => logger.warn('postgres connection lost', { err }),
  });
  const redis = createRedis({
    url: config.redis.url,
    keyPrefix: config.redis.keyPrefix,
    connectionName: 'fleet-trackers',
    autoPipelining: true,
    onError: (err) => logger.warn('redis connection problem', { err }),
  });
  const metrics = createTrackerMetrics(registry);
  const pipeline = new IngestPipeline({
    pool,
    redis,
    logger,
    registry,
    names: DEFAULT_STREAMS,
    streamMaxLen: config.ingest.streamMaxLen,
    maxFutureMs: config.ingest.maxFutureSkewMs,
    // Frames arriving while these commit share the next commit (the API uses the same figure).
    maxConcurrentCommits: 2,
  });
  const presence = new Presence(redis, logger);
  const commands = createCommandChannel({ pool, redis, logger });
  const deps = {
    directory: new DeviceDirectory(pool, { redis }),
    pipeline,
    fieldDrops: new FieldDrops(registry),
    metrics,
    presence,
    commands,
    logger,
    idleTimeoutMs: config.connections.idleTimeoutMs,
    invalidReasons: new Set<string>(),
  };
  const open = new Set<DeviceConnection>();
  const servers: net.Server[] = [];
  const ports: Partial<Record<ProtocolName, number>> = {};
  let stopping = false;

  const accept = (protocol: TcpProtocol, socket: net.Socket) => {
    const labels = { protocol: protocol.name };
    metrics.opened.inc(labels);
    if (stopping || open.size >= config.connections.maxPerProcess) {
      // Refused at once (the device retries, possibly reaching another process or replica).
      metrics.closed.inc({ ...labels, reason: stopping ? 'shutdown' : 'too_many' });
      socket.on('error', () => undefined);
      socket.destroy();
      return;
    }
    metrics.connections.inc(labels);
    const connection = new DeviceConnection(socket, { ...deps, protocol });
    open.add(connection);
    void connection.closed.then(() => open.delete(connection));
  };

  try {
    for (const protocol of options.protocols) {
      const port = config.listeners.ports[protocol.name];
      if (port === undefined) continue;
      // allowHalfOpen: a device that sends its records and half-closes still receives their ACK.
      const server = net.createServer({ allowHalfOpen: true }, (socket) => accept(protocol, socket));
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port, host: config.listeners.host }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      server.on('error', (err) => logger.error('listener error', { protocol: protocol.name, err }));
      servers.push(server);
      ports[protocol.name] = (server.address() as net.AddressInfo).port;
    }
  } catch (err) {
    for (const server of servers) server.close();
    await Promise.allSettled([pool.end(), redis.quit()]);
    throw err;
  }
  // The heap limit shows the worker heap settings (heap.ts) in effect.
  const heapLimitMb = Math.round(v8.getHeapStatistics().heap_size_limit / 2 ** 20);
  logger.info('tracker listeners open', { ports, pid: process.pid, heapLimitMb });

  let stopped: Promise<void> | undefined;
  const stop = () =>
    (stopped ??= (async () => {
      stopping = true;
      for (const server of servers) server.close();
      logger.info('trackers draining', { connections: open.size, graceMs: config.shutdownGraceMs });
      let timer: NodeJS.Timeout | undefined;
      const drained = await Promise.race([
        Promise.all([...open].map((connection) => connection.drain())).then(() => true),
        new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), config.shutdownGraceMs))),
      ]);
      clearTimeout(timer);
      if (!drained) {
        logger.warn('grace period over: cutting the connections still busy', { connections: open.size });
        for (const connection of open) connection.destroy('shutdown');
        await Promise.all([...open].map((connection) => connection.closed));
      }
      // Every acknowledged frame is on the stream before Redis closes (bounded: the replayer has the rest).
      const unpublished = await pipeline.flush(Math.min(config.shutdownGraceMs, 5_000));
      if (unpublished) logger.warn('batches left unpublished for the replayer', { unpublished });
      await presence.stop();
      await commands.close();
      await Promise.allSettled([pool.end(), redis.quit()]);
      redis.disconnect();
      logger.info('trackers stopped', { pid: process.pid });
    })());

  return { ports, pool, redis, connections: () => open.size, stop };
}
