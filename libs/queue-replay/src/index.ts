export { DEFAULT_STREAMS, type NormalizedPosition, type StagedBatch, type StreamNames } from './types';
export { publishStaged, stageBatch, StagingWriter, type PublishOptions, type Staged } from './outbox';
export { columnsToPositions, decodeBatch, encodeBatch, type PositionColumns } from './codec';
export {
  ack,
  claimStale,
  deadLetter,
  ensureGroup,
  readNew,
  removeDeadConsumers,
  streamStats,
  type StreamMessage,
  type StreamStats,
} from './consumer';
export {
  inFlightAgeMs,
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
  errorLabel,
  lockVehicleForDelete,
  writeBatch,
  type DeadLetterFix,
  type InsertedPosition,
  type UndecodableItem,
  type WriteItem,
  type WriteOptions,
  type WriteResult,
} from './writer';
