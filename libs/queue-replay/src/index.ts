export { DEFAULT_STREAMS, type NormalizedPosition, type StagedBatch, type StreamNames } from './types';
export { stageBatch, StagingWriter, type Staged, type StageResult, type StagingWriterOptions } from './staging';
export { columnsToPositions, decodeBatch, encodeBatch } from './codec';
export {
  ack,
  claimStale,
  deadLetter,
  ensureGroup,
  publishStaged,
  readNew,
  removeDeadConsumers,
  streamStats,
  type PublishOptions,
  type StreamMessage,
  type StreamStats,
} from './stream';
export {
  listDeadLetters,
  purgeProcessed,
  replayDeadLetters,
  replayUnprocessed,
  type DeadLetterReplay,
  type DeadLetterRow,
  type ReplayOptions,
} from './replay';
export {
  deadLetterItems,
  lockVehicleForDelete,
  writeBatch,
  type DeadLetterFix,
  type InBetweenFix,
  type InsertedPosition,
  type UndecodableItem,
  type WriteItem,
  type WriteOptions,
  type WriteResult,
} from './writer';
