import IORedis, { type Redis as IORedisClient } from 'ioredis';

export type Redis = IORedisClient;

export interface RedisOptions {
  url: string;
  /** Prefix added to every key (tests use one per suite). */
  keyPrefix?: string;
  connectionName?: string;
  onError?: (err: Error) => void;
  /** Commands issued in the same tick share one write (the API's per-request XADDs). */
  autoPipelining?: boolean;
}

/**
 * A client that keeps reconnecting (backoff capped at 2 s) for as long as the process lives, so a
 * Redis restart heals without restarting us; commands fail fast instead of queueing while it is away.
 */
export function createRedis(options: RedisOptions): Redis {
  const redis = new IORedis(options.url, {
    keyPrefix: options.keyPrefix,
    connectionName: options.connectionName,
    maxRetriesPerRequest: 1,
    enableOfflineQueue: true,
    connectTimeout: 2_000,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
    lazyConnect: false,
    enableAutoPipelining: options.autoPipelining ?? false,
  });
  let lastError = '';
  redis.on('error', (err: Error) => {
    // ioredis repeats the same error on every retry; report each distinct one once.
    if (err.message !== lastError) options.onError?.(err);
    lastError = err.message;
  });
  redis.on('ready', () => {
    lastError = '';
  });
  return redis;
}
