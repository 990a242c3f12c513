import { DEFAULT_OFFLINE_AFTER_MINUTES, type NearestList, type NearestQuery } from '@fleet/contracts';
import type { Pool } from '@fleet/db';
import { asAttributes } from './attributes';
import { vehicleStatus } from './latest';

// Stage 1: the index's own nearest-neighbour order (`<->`, GiST on vehicle_state.point). It is
// planar in degrees, which is not the geodesic order (a degree of longitude shrinks with latitude),
// so it only tells how far the limit-th vehicle is at most.
const KNN_RADIUS_SQL = `
SELECT max(ST_Distance(k.point::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography)) AS radius
  FROM (SELECT point FROM vehicle_state
         WHERE organization_id = $1
         ORDER BY point <-> ST_SetSRID(ST_MakePoint($2, $3), 4326)
         LIMIT $4) k`;

// Stage 2: every vehicle within that geodesic radius (an index-backed box first), ordered by the
// geodesic distance on the ellipsoid: the exact nearest N.
const NEAREST_SQL = `
SELECT s.vehicle_id, v.name, s.ts, ST_Y(s.point) AS lat, ST_X(s.point) AS lon, s.speed_kmh, s.heading, s.battery,
       s.attributes, ST_Distance(s.point::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography) AS distance_m
  FROM vehicle_state s
  JOIN vehicles v ON v.id = s.vehicle_id AND v.organization_id = $1
 WHERE s.organization_id = $1
   AND s.point && ST_MakeEnvelope($5, $6, $7, $8, 4326)
   AND ST_DWithin(s.point::geography, ST_SetSRID(ST_MakePoint($2, $3), 4326)::geography, $9)
 ORDER BY distance_m, s.vehicle_id
 LIMIT $4`;

interface Row {
  vehicle_id: string;
  name: string;
  ts: Date;
  lat: number;
  lon: number;
  speed_kmh: number | null;
  heading: number | null;
  battery: number | null;
  attributes: unknown;
  distance_m: number;
}

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

/** The organization's vehicles nearest to a point, by geodesic distance, nearest first. */
export async function nearestVehicles(pool: Pool, org: string, q: NearestQuery): Promise<NearestList> {
  const knn = await pool.query<{ radius: number | null }>(KNN_RADIUS_SQL, [org, q.lon, q.lat, q.limit]);
  let radius = knn.rows[0]?.radius;
  if (radius === null || radius === undefined) return { items: [] };
  if (q.maxDistanceM !== undefined) radius = Math.min(radius, q.maxDistanceM);
  // The box is a prefilter only; a hair of slack keeps the limit-th vehicle inside it.
  const [west, south, east, north] = searchBox(q.lat, q.lon, radius + 1);
  const { rows } = await pool.query<Row>(NEAREST_SQL, [
    org,
    q.lon,
    q.lat,
    q.limit,
    west,
    south,
    east,
    north,
    // A millimetre of slack: DWithin and Distance may round differently for the farthest vehicle.
    radius + 0.001,
  ]);
  const now = Date.now();
  const offlineAfterMs = DEFAULT_OFFLINE_AFTER_MINUTES * 60_000;
  return {
    items: rows
      .filter((r) => q.maxDistanceM === undefined || r.distance_m <= q.maxDistanceM)
      .map((r) => ({
        vehicleId: r.vehicle_id,
        name: r.name,
        distanceM: r.distance_m,
        lat: r.lat,
        lon: r.lon,
        ts: r.ts.toISOString(),
        speedKmh: r.speed_kmh,
        heading: r.heading,
        battery: r.battery,
        attributes: asAttributes(r.attributes),
        status: vehicleStatus({ ts: r.ts.toISOString(), speedKmh: r.speed_kmh }, now, offlineAfterMs),
      })),
  };
}
