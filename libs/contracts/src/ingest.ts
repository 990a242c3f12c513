import { z } from 'zod';

export const MAX_BATCH = 1000;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

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
    speed: finite.min(0).max(2000).optional(),
    heading: finite.min(0).max(360).optional(),
    altitude: finite.min(-1000).max(100_000).optional(),
    accuracy: finite.min(0).max(1_000_000).optional(),
    battery: finite.min(0).max(100).optional(),
    /** Set true when a fix at exactly 0,0 is real. */
    valid: z.boolean().optional(),
    attributes: z.record(z.string().max(64), z.unknown()).optional(),
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
  /** The staging id: quote it when asking what happened to a batch. */
  batchId: z.string(),
});
export type IngestAccepted = z.infer<typeof IngestAccepted>;

export const GpxImportResult = z.object({
  imported: z.number().int(),
  skipped: z.number().int(),
  batches: z.number().int(),
  /** Why points were skipped, with a count each (no time, out of range…). */
  skippedReasons: z.record(z.string(), z.number().int()),
});
export type GpxImportResult = z.infer<typeof GpxImportResult>;
