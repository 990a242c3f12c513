export {
  DEFAULT_LOG_LENGTH,
  WARM_FIELD,
  forgetLatest,
  latestKey,
  liveChannel,
  liveLogKey,
  parsePublished,
  publishLive,
  publishUpdate,
  readLatest,
  readLiveLog,
  replaceLatest,
  updateLatest,
} from './live';
export { loadLatestFromDb, stateRowToLive, warmAll, warmLatest } from './warm';
export * from './subscriber';
