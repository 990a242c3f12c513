export { DEFAULT_STREAMS, type NormalizedPosition, type StagedBatch, type StreamNames } from './types';
export { publishStaged, stageBatch, type PublishOptions } from './outbox';
export {
  ack,
  claimStale,
  deadLetter,
  ensureGroup,
  readNew,
  streamStats,
  type StreamMessage,
  type StreamStats,
} from './consumer';
export { purgeProcessed, replayUnprocessed, type ReplayOptions } from './replay';
export { writeBatch, type WriteResult } from './writer';
