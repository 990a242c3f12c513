import { DEFAULT_OFFLINE_AFTER_MINUTES, vehicleStatus, type NearestList, type NearestQuery } from '@fleet/contracts';
import { schema, type Database } from '@fleet/db';
import { livePositionColumns, toLivePosition } from '@fleet/live';
import { and, eq, sql } from 'drizzle-orm';
import { asAttributes } from './attributes';

const { vehicleState, vehicles } = schema;

/** A lon/lat box surely holding every point within `radiusM` of (lat, lon); the whole globe's width when unsure. */
export function searchBox(lat: number, lon: number, radiusM: number): [number, number, number, number] {
  // 110,574 m is the shortest degree of latitude (at the equator); 1 % margin for rounding.
  const dLat = (radiusM / 110_574) * 1.01;
  const south = lat - dLat;
  const north = lat + dLat;
  if (south <= -90 || north >= 90) return [-180, Math.max(-90, south), 180, Math.min(90, north)];
  const cosMin = Math.cos((Math.max(Math.abs(south), Math.abs(north)) * Math.PI) / 180);
  const dLon = (radiusM / (111_320 * cosMin)) * 1.01;
  // Across the antimeridian the box would wrap: search every longitude instead (rare, still correct).
  if (lon - dLon < -180 || lon + dLon > 180) return [-180, south, 180, north];
  return [lon - dLon, south, lon + dLon, north];
}

/**
 * The nearest-vehicle queries, PostGIS operators inside drizzle's builder (`sql` fragments for the
 * KNN order, the box, DWithin and the geodesic distance; the plans are the hand-written ones').
 */
export function nearestQueries(db: Database) {
  return {
    // Stage 1: the index's own nearest-neighbour order (`<->`, GiST on vehicle_state.point). It is
    // planar in degrees, which is not the geodesic order (a degree of longitude shrinks with latitude),
    // so it only tells how far the limit-th vehicle is at most.
    async knnRadius(org: string, q: { lat: number; lon: number; limit: number }): Promise<number | null> {
      const here = sql`ST_SetSRID(ST_MakePoint(${q.lon}, ${q.lat}), 4326)`;
      const k = db
        .select({ point: vehicleState.point })
        .from(vehicleState)
        .where(eq(vehicleState.organizationId, org))
        .orderBy(sql`${vehicleState.point} <-> ${here}`)
        .limit(q.limit)
        .as('k');
      const [row] = await db
        .select({ radius: sql<number | null>`max(ST_Distance(${k.point}::geography, ${here}::geography))` })
        .from(k);
      return row?.radius ?? null;
    },

    // Stage 2: every vehicle within that geodesic radius (an index-backed box first), ordered by the
    // geodesic distance on the ellipsoid: the exact nearest N.
    within(
      org: string,
      q: { lat: number; lon: number; limit: number },
      radiusM: number,
      [west, south, east, north]: [number, number, number, number],
    ) {
      const here = sql`ST_SetSRID(ST_MakePoint(${q.lon}, ${q.lat}), 4326)::geography`;
      return db
        .select({
          ...livePositionColumns,
          name: vehicles.name,
          distanceM: sql<number>`ST_Distance(${vehicleState.point}::geography, ${here})`.as('distance_m'),
        })
        .from(vehicleState)
        .innerJoin(vehicles, and(eq(vehicles.id, vehicleState.vehicleId), eq(vehicles.organizationId, org)))
        .where(
          and(
            eq(vehicleState.organizationId, org),
            sql`${vehicleState.point} && ST_MakeEnvelope(${west}, ${south}, ${east}, ${north}, 4326)`,
            sql`ST_DWithin(${vehicleState.point}::geography, ${here}, ${radiusM})`,
          ),
        )
        .orderBy(sql`distance_m`, vehicleState.vehicleId)
        .limit(q.limit);
    },
  };
}

/** The organization's vehicles nearest to a point, by geodesic distance, nearest first. */
export async function nearestVehicles(db: Database, org: string, q: NearestQuery): Promise<NearestList> {
  const queries = nearestQueries(db);
  let radius = await queries.knnRadius(org, q);
  if (radius === null) return { items: [] };
  if (q.maxDistanceM !== undefined) radius = Math.min(radius, q.maxDistanceM);
  // The box is a prefilter only; a hair of slack keeps the limit-th vehicle inside it. A millimetre
  // of slack on the radius: DWithin and Distance may round differently for the farthest vehicle.
  const rows = await queries.within(org, q, radius + 0.001, searchBox(q.lat, q.lon, radius + 1));
  const now = Date.now();
  const offlineAfterMs = DEFAULT_OFFLINE_AFTER_MINUTES * 60_000;
  return {
    items: rows
      .filter((r) => q.maxDistanceM === undefined || r.distanceM <= q.maxDistanceM)
      .map((r) => {
        const p = toLivePosition(r);
        return {
          vehicleId: p.vehicleId,
          name: r.name,
          distanceM: r.distanceM,
          lat: p.lat,
          lon: p.lon,
          ts: p.ts,
          speedKmh: p.speedKmh,
          heading: p.heading,
          battery: p.battery,
          attributes: asAttributes(p.attributes),
          status: vehicleStatus({ tsMs: r.ts.getTime(), speedKmh: p.speedKmh }, now, offlineAfterMs),
        };
      }),
  };
}
