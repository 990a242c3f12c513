export {
  CLOSED_CONNECTION,
  ReopeningDatabase,
  type ReopeningOptions,
  type RunResult,
  type SqlDatabase,
  type SqlValue,
} from './sql';
export {
  DEFAULT_QUEUE_CAP,
  FixQueue,
  QUARANTINE_CAP,
  THIN_AFTER_MS,
  type FixQueueOptions,
  type QuarantinedFix,
  type QueuedFix,
  type QueueStats,
} from './queue';
export { fromLocation, type FromLocationOptions, type LocationLike } from './location';
export { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter, ResponseHints, type BackoffOptions } from './backoff';
export {
  Uploader,
  type DrainEnd,
  type DrainOptions,
  type DrainResult,
  type UploaderOptions,
  type UploaderStatus,
} from './uploader';
export { MIN_SPACING_MS, Sampler, STATIONARY_KMH, type Decision, type SamplerOptions } from './sampler';
