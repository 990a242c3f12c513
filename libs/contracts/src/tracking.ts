import { z } from 'zod';

/**
 * Queries over positions: latest fix of every vehicle, nearest vehicles, a vehicle's history and its
 * trips, stops and summary. Every range is bounded (`MAX_RANGE_DAYS`) and every list is limited.
 */

/** `moving`: speed at least `MOVING_MIN_SPEED_KMH`; `offline`: no fix for `offlineAfterMinutes`. */
export const VehicleStatus = z.enum(['moving', 'stopped', 'offline']);
export type VehicleStatus = z.infer<typeof VehicleStatus>;

/** Below this reported speed a vehicle counts as stopped (GPS speed jitters around 0–2 km/h when parked). */
export const MOVING_MIN_SPEED_KMH = 3;
export const DEFAULT_OFFLINE_AFTER_MINUTES = 10;

/**
 * The status of a vehicle from its last fix at `nowMs`: offline when the fix is older than
 * `offlineAfterMs` (or has no valid time), moving at `MOVING_MIN_SPEED_KMH` or more, else stopped (an
 * unknown speed counts as stopped). The one rule for the API's filter and the apps' markers.
 */
export function vehicleStatus(
  fix: { tsMs: number; speedKmh: number | null | undefined },
  nowMs: number,
  offlineAfterMs = DEFAULT_OFFLINE_AFTER_MINUTES * 60_000,
): VehicleStatus {
  if (!Number.isFinite(fix.tsMs) || nowMs - fix.tsMs > offlineAfterMs) return 'offline';
  return (fix.speedKmh ?? 0) >= MOVING_MIN_SPEED_KMH ? 'moving' : 'stopped';
}

/** Longest period a history, trips, stops or summary query may cover. */
export const MAX_RANGE_DAYS = 31;

const decimal = '-?\\d+(\\.\\d+)?';

/**
 * What the tracker sent beside the position, as stored (ignition, charge, hdop, rpm, OwnTracks
 * `bs`/`conn`…): any JSON values, key names kept. `{}` when the fix had none.
 */
export const FixAttributes = z.record(z.string(), z.unknown());
export type FixAttributes = z.infer<typeof FixAttributes>;
/** In answers: always present; a client reading an older server's answer gets `{}`. */
const answeredAttributes = FixAttributes.default({});

const time = z.iso.datetime({ offset: true });

export const LatestQuery = z
  .object({
    /** `minLon,minLat,maxLon,maxLat`; minLon > maxLon means the box crosses the antimeridian. */
    bbox: z
      .string()
      .regex(new RegExp(`^${decimal}(,${decimal}){3}$`), 'four numbers: minLon,minLat,maxLon,maxLat')
      .refine((s) => {
        const [w, south, e, n] = s.split(',').map(Number) as [number, number, number, number];
        return Math.abs(w) <= 180 && Math.abs(e) <= 180 && Math.abs(south) <= 90 && Math.abs(n) <= 90 && south <= n;
      }, 'longitudes within ±180, latitudes within ±90, minLat ≤ maxLat')
      .optional(),
    /** One status or several, comma-separated (`moving,stopped`). */
    status: z
      .string()
      .regex(/^(moving|stopped|offline)(,(moving|stopped|offline))*$/, 'moving, stopped or offline, comma-separated')
      .optional(),
    /** A vehicle without a fix for this long is offline. */
    offlineAfterMinutes: z.coerce
      .number()
      .int()
      .min(1)
      .max(7 * 24 * 60)
      .default(DEFAULT_OFFLINE_AFTER_MINUTES),
    /** Only vehicles of this group and of the groups below it. */
    groupId: z.uuid().optional(),
  })
  .strict();
export type LatestQuery = z.infer<typeof LatestQuery>;

export const LatestProperties = z.object({
  vehicleId: z.uuid(),
  name: z.string(),
  /** ISO-8601, UTC. */
  ts: z.string(),
  speedKmh: z.number().nullable(),
  heading: z.number().nullable(),
  altitude: z.number().nullable(),
  accuracy: z.number().nullable(),
  battery: z.number().nullable(),
  /** The latest fix's attributes. */
  attributes: answeredAttributes,
  status: VehicleStatus,
  /** Seconds since the fix, when the answer was made. */
  ageSeconds: z.number(),
});
export type LatestProperties = z.infer<typeof LatestProperties>;

const PointGeometry = z.object({ type: z.literal('Point'), coordinates: z.tuple([z.number(), z.number()]) });

/** GeoJSON: one Point Feature per vehicle with a fix, sorted by name. */
export const LatestPositions = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(z.object({ type: z.literal('Feature'), geometry: PointGeometry, properties: LatestProperties })),
});
export type LatestPositions = z.infer<typeof LatestPositions>;

export const MAX_NEAREST = 100;

export const NearestQuery = z
  .object({
    lat: z.coerce.number().min(-90).max(90),
    lon: z.coerce.number().min(-180).max(180),
    limit: z.coerce.number().int().min(1).max(MAX_NEAREST).default(10),
    /** Only vehicles at most this far (metres, on the ellipsoid). */
    maxDistanceM: z.coerce.number().positive().max(20_100_000).optional(),
    /** Only vehicles of this group and of the groups below it. */
    groupId: z.uuid().optional(),
  })
  .strict();
export type NearestQuery = z.infer<typeof NearestQuery>;

export const NearestVehicle = z.object({
  vehicleId: z.uuid(),
  name: z.string(),
  /** Geodesic distance on WGS84, metres. */
  distanceM: z.number(),
  lat: z.number(),
  lon: z.number(),
  ts: z.string(),
  speedKmh: z.number().nullable(),
  heading: z.number().nullable(),
  battery: z.number().nullable(),
  /** The latest fix's attributes. */
  attributes: answeredAttributes,
  /** With the default offline threshold. */
  status: VehicleStatus,
});
export type NearestVehicle = z.infer<typeof NearestVehicle>;

/** Nearest first. */
export const NearestList = z.object({ items: z.array(NearestVehicle) });
export type NearestList = z.infer<typeof NearestList>;

export const HistoryFormat = z.enum(['geojson', 'gpx', 'csv']);
export type HistoryFormat = z.infer<typeof HistoryFormat>;

/** A period: `from` inclusive, `to` exclusive, at most MAX_RANGE_DAYS. Defaults: the last 24 hours. */
const period = {
  /** ISO-8601; fixes at or after. Default: 24 hours before `to`. */
  from: time.optional(),
  /** ISO-8601; fixes strictly before. Default: now. */
  to: time.optional(),
};

export const HistoryQuery = z
  .object({
    ...period,
    format: HistoryFormat.default('geojson'),
    /** Douglas–Peucker tolerance in metres: every dropped fix lies within it of the line kept. */
    simplify: z.coerce.number().positive().max(100_000).optional(),
    /** At most this many fixes, the most significant ones (Douglas–Peucker order). */
    maxPoints: z.coerce.number().int().min(100).max(100_000).optional(),
  })
  .strict()
  .refine((q) => q.simplify === undefined || q.maxPoints === undefined, {
    path: ['maxPoints'],
    message: 'give simplify or maxPoints, not both',
  });
export type HistoryQuery = z.infer<typeof HistoryQuery>;

/** One fix of a GeoJSON history export (`format=geojson`). */
export const HistoryFeature = z.object({
  type: z.literal('Feature'),
  /** `[lon, lat]`, or `[lon, lat, altitude]` when the fix has one (raw and simplified tracks alike). */
  geometry: z.object({ type: z.literal('Point'), coordinates: z.array(z.number()).min(2).max(3) }),
  properties: z.object({
    /** ISO-8601, UTC. */
    ts: z.string(),
    speedKmh: z.number().optional(),
    heading: z.number().optional(),
    accuracy: z.number().optional(),
    battery: z.number().optional(),
    /** The fix's stored attributes (docs/history.md). */
    attributes: answeredAttributes,
  }),
});
export type HistoryFeature = z.infer<typeof HistoryFeature>;

/** A GeoJSON history export: the fixes as Point features, oldest first. */
export const HistoryFeatureCollection = z.object({
  type: z.literal('FeatureCollection'),
  features: z.array(HistoryFeature),
});
export type HistoryFeatureCollection = z.infer<typeof HistoryFeatureCollection>;

export const ReportQuery = z
  .object({
    ...period,
    /** A stay shorter than this (seconds) is a halt inside a trip, not a stop. Default 300. */
    minStopDurationS: z.coerce.number().min(0).max(86_400).optional(),
    /** Fixes within this many metres of a stay's centre belong to it. Default 75. */
    stopRadiusM: z.coerce.number().positive().max(10_000).optional(),
    /** A movement shorter than this (metres) between stops is not a trip. Default 300. */
    minTripDistanceM: z.coerce.number().min(0).max(1_000_000).optional(),
  })
  .strict();
export type ReportQuery = z.infer<typeof ReportQuery>;

/**
 * A human-readable place: the reverse geocoder's address when one is configured and answered in time,
 * else the organization's geofence around the point, else "2.3 km NE of Alcobendas" (the nearest
 * populated place). Absent from older servers' answers.
 */
const place = z.string().optional();

const LatLonSchema = z.object({ lat: z.number(), lon: z.number(), place });

/**
 * The driver whose assignment covers the start of a trip or stop (null: nobody assigned then). Absent
 * from older servers' answers.
 */
const itemDriver = z.object({ id: z.uuid(), name: z.string() }).nullable().optional();

export const TripItem = z.object({
  startTime: z.string(),
  endTime: z.string(),
  durationS: z.number(),
  distanceM: z.number(),
  maxSpeedKmh: z.number(),
  /** Distance over duration, idle time included. */
  avgSpeedKmh: z.number(),
  /** Time slower than walking pace inside the trip (lights, queues). */
  idleS: z.number(),
  start: LatLonSchema,
  end: LatLonSchema,
  /** Attributes of the fix the trip starts at (ignition, odometer…). */
  startAttributes: answeredAttributes,
  /** Attributes of the fix the trip ends at. */
  endAttributes: answeredAttributes,
  driver: itemDriver,
});
export type TripItem = z.infer<typeof TripItem>;

export const StopItem = z.object({
  startTime: z.string(),
  endTime: z.string(),
  durationS: z.number(),
  lat: z.number(),
  lon: z.number(),
  /** The tracker was silent during part of the stop (asleep while parked). */
  spansDataGap: z.boolean(),
  /** Where the stop was (see `place` of a trip's start). */
  place,
  /** Attributes of the first fix of the stop. */
  startAttributes: answeredAttributes,
  /** Attributes of the last fix of the stop. */
  endAttributes: answeredAttributes,
  driver: itemDriver,
});
export type StopItem = z.infer<typeof StopItem>;

/** What a report was computed from. */
const ReportBasis = {
  vehicleId: z.uuid(),
  from: z.string(),
  to: z.string(),
  /** Fixes in the period. */
  fixes: z.number().int(),
  /** Every n-th fix was used when the period holds more fixes than a report reads (1: all of them). */
  sampledEvery: z.number().int(),
};

export const TripList = z.object({ ...ReportBasis, items: z.array(TripItem) });
export type TripList = z.infer<typeof TripList>;

export const StopList = z.object({ ...ReportBasis, items: z.array(StopItem) });
export type StopList = z.infer<typeof StopList>;

export const SummaryReport = z.object({
  ...ReportBasis,
  distanceM: z.number(),
  /** Time in trips while moving. */
  drivingS: z.number(),
  /** Time in trips standing or crawling below walking pace. */
  idleS: z.number(),
  /** Time in stops. */
  stoppedS: z.number(),
  maxSpeedKmh: z.number(),
  avgSpeedKmh: z.number(),
  trips: z.number().int(),
  stops: z.number().int(),
});
export type SummaryReport = z.infer<typeof SummaryReport>;

/** The namespace of the GPX export's attribute extension (a name, never fetched). */
export const FLEET_GPX_NS = 'urn:x-fleet:gpx:attributes:1';
