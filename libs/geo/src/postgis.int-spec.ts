/* eslint-disable @nx/enforce-module-boundaries -- geo is shared and does no I/O; this one suite checks it
   against PostGIS, the engine the platform queries with, so it alone may use pg and libs/db's test database. */
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { Client } from 'pg';
import { destination, distanceM } from './geodesic';
import { circleToPolygon, pointInPolygon, type Polygon } from './regions';
import { seededRandom } from './random';
import type { LatLon } from './types';

let db: TestDatabase;
let client: Client;

beforeAll(async () => {
  db = await createTestDatabase('geo-postgis');
  client = new Client({ connectionString: db.url });
  await client.connect();
  await client.query('CREATE EXTENSION IF NOT EXISTS postgis');
});

afterAll(async () => {
  await client?.end();
  await db?.drop();
});

/** Random pairs from a fixed seed: fleet-sized hops and cross-country ones, anywhere below 85°. */
function pairs(count: number): [LatLon, LatLon][] {
  const random = seededRandom(2024);
  const out: [LatLon, LatLon][] = [];
  for (let i = 0; i < count; i++) {
    const a = { lat: (random() * 2 - 1) * 85, lon: random() * 360 - 180 };
    const reach = i % 2 ? random() * 50_000 : random() * 5_000_000;
    out.push([a, destination(a, random() * 360, reach)]);
  }
  return out;
}

describe('against PostGIS', () => {
  it('distanceM agrees with ST_Distance(geography) to a millimetre', async () => {
    const input = pairs(500);
    const { rows } = await client.query<{ d: number }>(
      `SELECT ST_Distance(ST_SetSRID(ST_MakePoint(lon1, lat1), 4326)::geography,
                          ST_SetSRID(ST_MakePoint(lon2, lat2), 4326)::geography) AS d
         FROM unnest($1::float8[], $2::float8[], $3::float8[], $4::float8[]) WITH ORDINALITY
              AS p(lat1, lon1, lat2, lon2, n)
        ORDER BY n`,
      [input.map(([a]) => a.lat), input.map(([a]) => a.lon), input.map(([, b]) => b.lat), input.map(([, b]) => b.lon)],
    );
    expect(rows).toHaveLength(input.length);
    let worst = 0;
    input.forEach(([a, b], i) => (worst = Math.max(worst, Math.abs(distanceM(a, b) - Number(rows[i]!.d)))));
    console.log(
      `distanceM vs ST_Distance(geography), ${input.length} pairs: worst difference ${worst.toExponential(2)} m`,
    );
    expect(worst).toBeLessThan(1e-3);
  });

  it('pointInPolygon agrees with ST_Intersects on a stored circle geofence', async () => {
    const center = { lat: 40.4168, lon: -3.7038 };
    const fence: Polygon = circleToPolygon(center, 800, 32);
    const random = seededRandom(7);
    const points = Array.from({ length: 400 }, () => destination(center, random() * 360, 600 + random() * 400));
    const { rows } = await client.query<{ inside: boolean }>(
      `SELECT ST_Intersects(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326), ST_SetSRID(ST_MakePoint(lon, lat), 4326)) AS inside
         FROM unnest($2::float8[], $3::float8[]) WITH ORDINALITY AS p(lat, lon, n)
        ORDER BY n`,
      [JSON.stringify(fence), points.map((p) => p.lat), points.map((p) => p.lon)],
    );
    const ours = points.map((p) => pointInPolygon(p, fence));
    expect(ours.filter(Boolean).length).toBeGreaterThan(50); // both sides of the edge are exercised
    expect(ours.filter((x) => !x).length).toBeGreaterThan(50);
    expect(ours).toEqual(rows.map((r) => r.inside));
  });
});
