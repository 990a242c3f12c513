export { baseEnvSchema, ConfigError, DEV_JWT_SECRET, parseEnv, isWeakSecret, type BaseEnv } from './env';
export { createRedis, type Redis, type RedisOptions } from './redis';
export { startHttpServer, type HttpServerHandle } from './http-server';
export { probeRoutes, storeChecks, withTimeout, type DependencyCheck } from './probes';
export { lifecycleLog, onShutdownSignal, runService } from './signals';
export { isPrivateAddress, SPECIAL_PURPOSE_RANGES, specialPurposeRange } from './addresses';
export { answersQueries } from './postgres';
export {
  CLUSTER_ROLE_ENV,
  clusterRole,
  requestClusterMetrics,
  runClusterWorker,
  startCluster,
  type ClusterHandle,
  type ClusterMetrics,
  type ClusterOptions,
  type ClusterRole,
  type ClusterWorker,
} from './cluster';
