// Accepting positions, whatever carries them: the device directory, each protocol's decoder, the
// checks that make a fix storable, and the pipeline that stages it before anyone is answered.
export { DeviceDirectory, type Device, type OsmAndLookup } from './devices';
export { BASIC_CHALLENGE, DeviceAuth, type SignedInUser, type UserVerifier } from './device-auth';
export { FieldDrops } from './field-drops';
export { headingOf, nonNegative, num, parseTimestamp, percent, speedKmh, validateFix, type RawFix } from './fix';
export {
  IngestPipeline,
  InvalidPositionsError,
  type IngestItem,
  type IngestPipelineOptions,
  type RejectReason,
} from './pipeline';
// The HTTP protocols, one module each (protocols/http.ts: what they share).
export { flattenParams, Refusal, type FieldPolicy, type HttpIngest, type RefusalKind } from './protocols/http';
export { acceptFleetJson } from './protocols/fleet-json';
export { importGpx, readGpx, type GpxItem, type GpxUpload } from './protocols/gpx';
export { acceptOsmAnd, decodeOsmAnd, osmandToken, type OsmAndRequest } from './protocols/osmand';
export { acceptOverland, decodeOverland } from './protocols/overland';
export { acceptOwnTracks, decodeOwnTracks, type OwnTracksMessage, type OwnTracksRequest } from './protocols/owntracks';
export { acceptTraccarJson, decodeTraccarJson } from './protocols/traccar-json';
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
