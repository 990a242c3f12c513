import { z } from 'zod';

export const MAX_BATCH = 1000;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/**
 * The domain of each stored measurement, in stored units (speed km/h, heading degrees, altitude and
 * accuracy metres, battery percent): the same bounds for every protocol. Within them a value must also
 * fit PostgreSQL's `real` (see `storableAsReal`): 1e-50 is inside 0..2000 but not storable.
 */
export const MEASUREMENT_LIMITS = {
  speed: { min: 0, max: 2000 },
  heading: { min: 0, max: 360 },
  altitude: { min: -1000, max: 100_000 },
  accuracy: { min: 0, max: 1_000_000 },
  battery: { min: 0, max: 100 },
} as const;
export type Measurement = keyof typeof MEASUREMENT_LIMITS;

/** Attribute names: what trackers use fits easily. */
export const MAX_ATTRIBUTE_KEY_LENGTH = 64;

const measurement = (name: Measurement) =>
  finite.min(MEASUREMENT_LIMITS[name].min).max(MEASUREMENT_LIMITS[name].max).optional();

/**
 * One fix sent to `POST /api/v1/positions`. Speed in km/h, heading in degrees, altitude and
 * accuracy in metres, battery in percent. `ts` is ISO-8601 or epoch (seconds or milliseconds).
 * Unknown fields are rejected, so a typo (`latitude`) is reported instead of silently dropped.
 */
export const PositionInput = z
  .object({
    vehicle: z.uuid().optional(),
    deviceId: z.string().min(1).max(128).optional(),
    ts: z.union([z.string().min(1).max(64), finite]),
    lat: finite.min(-90, 'latitude must be between -90 and 90').max(90, 'latitude must be between -90 and 90'),
    lon: finite.min(-180, 'longitude must be between -180 and 180').max(180, 'longitude must be between -180 and 180'),
    speed: measurement('speed'),
    heading: measurement('heading'),
    altitude: measurement('altitude'),
    accuracy: measurement('accuracy'),
    battery: measurement('battery'),
    /** Set true when a fix at exactly 0,0 is real. */
    valid: z.boolean().optional(),
    attributes: z.record(z.string().max(MAX_ATTRIBUTE_KEY_LENGTH), z.unknown()).optional(),
  })
  .strict();
export type PositionInput = z.infer<typeof PositionInput>;

export const IngestRequest = z.union([
  PositionInput,
  z.array(PositionInput).min(1).max(MAX_BATCH),
  z.object({ positions: z.array(PositionInput).min(1).max(MAX_BATCH) }).strict(),
]);
export type IngestRequest = z.infer<typeof IngestRequest>;

export const IngestAccepted = z.object({
  accepted: z.number().int(),
  /** The staging id (small requests committed together share one): quote it when asking what happened to a batch. */
  batchId: z.string(),
});
export type IngestAccepted = z.infer<typeof IngestAccepted>;

/** The answer of `POST /api/v1/positions`. */
export const PositionsAccepted = IngestAccepted.extend({
  /** Rows this request adds at most: one per distinct timestamp (fixes of one device share a vehicle). */
  accepted: z.number().int(),
  /**
   * Fixes sharing their timestamp with another fix of the request: one row is stored per timestamp
   * (the writer keeps the best fix), so these are not counted in `accepted`.
   */
  duplicates: z.number().int(),
});
export type PositionsAccepted = z.infer<typeof PositionsAccepted>;

export const GpxImportResult = z.object({
  /** Rows this upload adds at most: points with a distinct timestamp (a re-upload adds none). */
  imported: z.number().int(),
  /** Points sharing their timestamp with another point of the file: one row per timestamp is stored. */
  duplicates: z.number().int(),
  skipped: z.number().int(),
  batches: z.number().int(),
  /** Why points were skipped, with a count each (no time, out of range…). */
  skippedReasons: z.record(z.string(), z.number().int()),
  /** Fields left out of imported points because storage cannot hold them (`altitude`: 1e39), by field. */
  droppedFields: z.record(z.string(), z.number().int()),
});
export type GpxImportResult = z.infer<typeof GpxImportResult>;
