/**
 * One fix after protocol decoding, in the units stored everywhere: speed km/h, heading degrees from
 * north, altitude and accuracy metres, battery percent (0–100), timestamp epoch milliseconds.
 */
export interface NormalizedPosition {
  vehicleId: string;
  organizationId: string;
  /** Epoch milliseconds (UTC). */
  ts: number;
  lat: number;
  lon: number;
  speedKmh?: number;
  heading?: number;
  altitude?: number;
  accuracy?: number;
  battery?: number;
  attributes?: Record<string, unknown>;
}

/** What one accepted request stages (small requests committed together are merged into one staging row). */
export interface StagedBatch {
  protocol: string;
  positions: NormalizedPosition[];
}

export interface StreamNames {
  /** The ingestion stream. */
  stream: string;
  /** Consumer group of the writers. */
  group: string;
  /** Where messages go after too many failed deliveries. */
  deadLetter: string;
}

export const DEFAULT_STREAMS: StreamNames = {
  stream: 'ingest:positions',
  group: 'position-writers',
  deadLetter: 'ingest:dead-letter',
};
