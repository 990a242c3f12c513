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
export {
  LIVE_POSITION_SQL,
  livePositionColumns,
  toLivePosition,
  VehicleStates,
  type VehicleStateRow,
} from './vehicle-state';
export { warmAll, warmLatest } from './warm';
export * from './subscriber';
