import { z } from 'zod';

/** Bounds of what a geofence may be; the API refuses anything outside with a 400 naming the field. */
export const GEOFENCE_LIMITS = {
  /** Positions of all rings of one polygon together. */
  maxVertices: 10_000,
  /** Exterior ring plus holes. */
  maxRings: 100,
  minRadiusM: 10,
  maxRadiusM: 100_000,
} as const;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const lon = finite
  .min(-180, 'longitude must be between -180 and 180')
  .max(180, 'longitude must be between -180 and 180');
const lat = finite.min(-90, 'latitude must be between -90 and 90').max(90, 'latitude must be between -90 and 90');

/** A GeoJSON position, `[longitude, latitude]`; an altitude (third number) is accepted and dropped. */
const GeoJsonPosition = z
  .tuple([lon, lat], finite)
  .refine((p) => p.length <= 3, 'a position is [longitude, latitude] or [longitude, latitude, altitude]');

const samePosition = (a: number[], b: number[]) => a[0] === b[0] && a[1] === b[1];

/**
 * A linear ring. RFC 7946 wants it closed (last position = first); an open ring is accepted and closed
 * by the server, so what counts is the closed ring: at least 4 positions, i.e. 3 distinct corners.
 */
const LinearRing = z
  .array(GeoJsonPosition)
  .max(GEOFENCE_LIMITS.maxVertices)
  .superRefine((ring, ctx) => {
    const closed = ring.length > 0 && samePosition(ring[0], ring[ring.length - 1]);
    if ((closed ? ring.length : ring.length + 1) < 4)
      ctx.addIssue({ code: 'custom', message: 'a ring needs at least 4 positions once closed (3 distinct corners)' });
  });

/** A GeoJSON Polygon: the exterior ring, then any holes. Other members (`bbox`) are ignored. */
export const GeofencePolygon = z
  .object({
    type: z.literal('Polygon'),
    coordinates: z.array(LinearRing).min(1, 'a polygon needs an exterior ring').max(GEOFENCE_LIMITS.maxRings),
  })
  .superRefine((polygon, ctx) => {
    const vertices = polygon.coordinates.reduce((n, ring) => n + ring.length, 0);
    if (vertices > GEOFENCE_LIMITS.maxVertices)
      ctx.addIssue({
        code: 'custom',
        path: ['coordinates'],
        message: `at most ${GEOFENCE_LIMITS.maxVertices} positions in all rings together (got ${vertices})`,
      });
  });
export type GeofencePolygon = z.infer<typeof GeofencePolygon>;

export const GeofenceCenter = z.object({ lat, lon }).strict();
export type GeofenceCenter = z.infer<typeof GeofenceCenter>;

const radiusM = finite
  .min(GEOFENCE_LIMITS.minRadiusM, `radius must be at least ${GEOFENCE_LIMITS.minRadiusM} m`)
  .max(GEOFENCE_LIMITS.maxRadiusM, `radius must be at most ${GEOFENCE_LIMITS.maxRadiusM} m`);
/** A geofence's name (also what the apps' forms check before sending). */
export const GeofenceName = z.string().trim().min(1).max(100);
const name = GeofenceName;
const attributes = z.record(z.string().max(64), z.unknown());

export const GeofenceInput = z.discriminatedUnion('kind', [
  z.object({ name, kind: z.literal('polygon'), polygon: GeofencePolygon, attributes: attributes.default({}) }).strict(),
  z
    .object({ name, kind: z.literal('circle'), center: GeofenceCenter, radiusM, attributes: attributes.default({}) })
    .strict(),
]);
export type GeofenceInput = z.infer<typeof GeofenceInput>;

/**
 * A partial change. A new shape is either `polygon` (the geofence becomes a polygon) or `center` and/or
 * `radiusM` (a circle; a polygon turned into a circle needs both). `kind`, when given, must agree.
 */
export const GeofenceUpdate = z
  .object({
    name: name.optional(),
    attributes: attributes.optional(),
    kind: z.enum(['polygon', 'circle']).optional(),
    polygon: GeofencePolygon.optional(),
    center: GeofenceCenter.optional(),
    radiusM: radiusM.optional(),
  })
  .strict()
  .superRefine((patch, ctx) => {
    const circle = patch.center !== undefined || patch.radiusM !== undefined;
    if (patch.polygon && circle)
      ctx.addIssue({ code: 'custom', path: ['polygon'], message: 'give either polygon or center/radiusM, not both' });
    if (patch.kind === 'circle' && patch.polygon)
      ctx.addIssue({ code: 'custom', path: ['kind'], message: 'a circle has center and radiusM, not polygon' });
    if (patch.kind === 'polygon' && circle)
      ctx.addIssue({ code: 'custom', path: ['kind'], message: 'a polygon has polygon, not center/radiusM' });
  });
export type GeofenceUpdate = z.infer<typeof GeofenceUpdate>;

export const Geofence = z.object({
  id: z.uuid(),
  name: z.string(),
  kind: z.enum(['polygon', 'circle']),
  /** The area as stored: the polygon (rings closed), or a circle's 64-sided approximation. */
  geometry: z.object({
    type: z.literal('Polygon'),
    coordinates: z.array(z.array(z.array(z.number()))),
  }),
  center: z.object({ lat: z.number(), lon: z.number() }).nullable(),
  radiusM: z.number().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Geofence = z.infer<typeof Geofence>;

/** `minLon,minLat,maxLon,maxLat`, as GeoJSON orders a bbox. */
const bboxParam = z
  .string()
  .regex(/^-?[\d.]+,-?[\d.]+,-?[\d.]+,-?[\d.]+$/, 'a bbox is minLon,minLat,maxLon,maxLat')
  .transform((s) => s.split(',').map(Number) as [number, number, number, number])
  .refine(
    ([minLon, minLat, maxLon, maxLat]) =>
      [minLon, maxLon].every((x) => x >= -180 && x <= 180) &&
      [minLat, maxLat].every((y) => y >= -90 && y <= 90) &&
      minLon <= maxLon &&
      minLat <= maxLat,
    'a bbox is minLon,minLat,maxLon,maxLat within ±180/±90 with min ≤ max',
  );

export const GeofenceListQuery = z
  .object({
    q: z.string().max(100).optional(),
    kind: z.enum(['polygon', 'circle']).optional(),
    /** Only geofences whose area intersects this box. */
    bbox: bboxParam.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type GeofenceListQuery = z.infer<typeof GeofenceListQuery>;

export const GeofenceList = z.object({
  items: z.array(Geofence),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type GeofenceList = z.infer<typeof GeofenceList>;
