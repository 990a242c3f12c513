import { hashPassword } from '@fleet/auth';
import { TokenResponse } from '@fleet/contracts';
import type pg from 'pg';

export const TEST_PASSWORD = 'tracking-test-password';

/** An organization with one user of `role`; returns ids and the user's email. */
export async function createOrganization(
  client: pg.Client,
  slug: string,
  role: 'admin' | 'operator' | 'viewer' = 'viewer',
): Promise<{ id: string; email: string }> {
  const org = await client.query<{ id: string }>(
    'INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id',
    [slug],
  );
  const email = `${role}@${slug}.example`;
  await client.query('INSERT INTO users (organization_id, email, role, password_hash) VALUES ($1, $2, $3, $4)', [
    org.rows[0]!.id,
    email,
    role,
    await hashPassword(TEST_PASSWORD),
  ]);
  return { id: org.rows[0]!.id, email };
}

export async function addVehicle(client: pg.Client, org: string, name: string): Promise<string> {
  const res = await client.query<{ id: string }>(
    'INSERT INTO vehicles (organization_id, name, device_identifier) VALUES ($1, $2, $3) RETURNING id',
    [org, name, `${name.toLowerCase().replace(/\W+/g, '-')}-${Math.random().toString(36).slice(2, 10)}`],
  );
  return res.rows[0]!.id;
}

export interface StateFix {
  ts: Date;
  lat: number;
  lon: number;
  speedKmh: number | null;
  heading?: number | null;
  battery?: number | null;
}

/** The vehicle's latest fix, as the worker keeps it in vehicle_state. */
export async function setState(client: pg.Client, org: string, vehicleId: string, fix: StateFix): Promise<void> {
  await client.query(
    `INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh, heading, battery)
     VALUES ($1, $2, $3, ST_SetSRID(ST_MakePoint($4, $5), 4326), $6, $7, $8)
     ON CONFLICT (vehicle_id) DO UPDATE SET ts = EXCLUDED.ts, point = EXCLUDED.point,
       speed_kmh = EXCLUDED.speed_kmh, heading = EXCLUDED.heading, battery = EXCLUDED.battery`,
    [vehicleId, org, fix.ts, fix.lon, fix.lat, fix.speedKmh, fix.heading ?? null, fix.battery ?? null],
  );
}

export interface PositionRow {
  ts: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  heading?: number | null;
  accuracy?: number | null;
}

/** Stores positions in one set-based statement per 10,000 rows. */
export async function insertPositions(client: pg.Client, vehicleId: string, rows: PositionRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 10_000) {
    const part = rows.slice(i, i + 10_000);
    await client.query(
      `INSERT INTO positions (vehicle_id, ts, point, speed_kmh, heading, accuracy)
       SELECT $1, to_timestamp(t / 1000.0), ST_SetSRID(ST_MakePoint(lon, lat), 4326), s, h, a
         FROM unnest($2::float8[], $3::float8[], $4::float8[], $5::real[], $6::real[], $7::real[]) AS r(t, lat, lon, s, h, a)`,
      [
        vehicleId,
        part.map((r) => r.ts),
        part.map((r) => r.lat),
        part.map((r) => r.lon),
        part.map((r) => r.speedKmh),
        part.map((r) => r.heading ?? null),
        part.map((r) => r.accuracy ?? null),
      ],
    );
  }
}

export async function login(base: string, email: string): Promise<string> {
  const res = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password: TEST_PASSWORD }),
  });
  if (res.status !== 200) throw new Error(`login ${email}: ${res.status} ${await res.text()}`);
  return TokenResponse.parse(await res.json()).accessToken;
}
