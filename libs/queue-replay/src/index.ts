export { DEFAULT_STREAMS, type NormalizedPosition, type StagedBatch, type StreamNames } from './types';
export { publishStaged, stageBatch, StagingWriter, type PublishOptions, type Staged } from './outbox';
export { columnsToPositions, decodeBatch, encodeBatch, type PositionColumns } from './codec';
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
export { writeBatch, type InsertedPosition, type WriteOptions, type WriteResult } from './writer';
