// Accepting positions, whatever carries them: the device directory, each protocol's decoder, the
// checks that make a fix storable, and the pipeline that stages it before anyone is answered.
export { DeviceDirectory, osmandToken, type Device, type OsmAndLookup } from './devices';
export { FieldDrops } from './field-drops';
export { headingOf, nonNegative, num, parseTimestamp, percent, speedKmh, validateFix, type RawFix } from './fix';
export { readGpx, type GpxItem } from './gpx';
export {
  IngestPipeline,
  InvalidPositionsError,
  type IngestItem,
  type IngestPipelineOptions,
  type RejectReason,
} from './pipeline';
export { decodeOsmAnd, decodeOverland, decodeOwnTracks, decodeTraccarJson, flattenParams } from './protocols';
export {
  identifierProblem,
  storableFix,
  storableProblems,
  type CheckedField,
  type DropReason,
  type FieldNames,
  type FieldProblem,
} from './storable-fix';
export { FrameError, type DeviceMessage, type ProtocolSession, type TcpProtocol } from './protocols/tcp';
export type { TrackerAttributeName, TrackerAttributes } from './protocols/attributes';
export { createH02Protocol, decodeH02Sentence, encodeH02Command, h02, type H02Options } from './protocols/h02';
export { decodeTeltonikaDatagram, teltonika } from './protocols/teltonika';
export { crcX25, encodeGt06Command, gt06, gt06Answer, gt06Frame } from './protocols/gt06';
