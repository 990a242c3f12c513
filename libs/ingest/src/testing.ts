// Test and simulator helpers: simulated devices that speak each TCP protocol (the inverse of the
// decoders), for decoder tests, the gateway's tests and tools/tracker-sim.
export {};
export { H02Device, parseH02Answers, type H02Answer, type H02Record } from './protocols/testing/h02-device';
export {
  avlData,
  TeltonikaDevice,
  type TeltonikaAnswer,
  type TeltonikaCodec,
  type TeltonikaIoValue,
  type TeltonikaRecord,
} from './protocols/testing/teltonika-device';
export { GT06_ALARM_CODES, Gt06Device, parseGt06Command, parseGt06Frames } from './protocols/testing/gt06-device';
export type { Gt06Record, Gt06ServerFrame, Gt06Status } from './protocols/testing/gt06-device';
