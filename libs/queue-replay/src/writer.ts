import type { Pool } from 'pg';
import type { StagedBatch } from './types';

export interface WriteResult {
  /** Positions in the batch. */
  received: number;
  /** Rows actually inserted. */
  stored: number;
  /** Positions already present (a redelivery, a replay, a client retry). */
  duplicates: number;
}

interface Columns {
  vehicleId: string[];
  organizationId: string[];
  ts: string[];
  lat: number[];
  lon: number[];
  speed: Array<number | null>;
  heading: Array<number | null>;
  altitude: Array<number | null>;
  accuracy: Array<number | null>;
  battery: Array<number | null>;
  protocol: string[];
  attributes: Array<string | null>;
}

function toColumns(batches: StagedBatch[]): Columns {
  const c: Columns = {
    vehicleId: [],
    organizationId: [],
    ts: [],
    lat: [],
    lon: [],
    speed: [],
    heading: [],
    altitude: [],
    accuracy: [],
    battery: [],
    protocol: [],
    attributes: [],
  };
  for (const batch of batches) {
    for (const p of batch.positions) {
      c.vehicleId.push(p.vehicleId);
      c.organizationId.push(p.organizationId);
      c.ts.push(p.ts);
      c.lat.push(p.lat);
      c.lon.push(p.lon);
      c.speed.push(p.speedKmh ?? null);
      c.heading.push(p.heading ?? null);
      c.altitude.push(p.altitude ?? null);
      c.accuracy.push(p.accuracy ?? null);
      c.battery.push(p.battery ?? null);
      c.protocol.push(batch.protocol);
      c.attributes.push(p.attributes && Object.keys(p.attributes).length ? JSON.stringify(p.attributes) : null);
    }
  }
  return c;
}

// One set-based statement for the whole batch: unnest the column arrays, insert what is new,
// and move each vehicle's latest state forward only when the new fix is newer.
const WRITE_SQL = `
WITH input AS (
  SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::timestamptz[], $4::float8[], $5::float8[], $6::real[], $7::real[],
                       $8::real[], $9::real[], $10::real[], $11::text[], $12::jsonb[])
    AS t(vehicle_id, organization_id, ts, lat, lon, speed_kmh, heading, altitude, accuracy, battery, protocol, attributes)
),
inserted AS (
  INSERT INTO positions (vehicle_id, ts, point, speed_kmh, heading, altitude, accuracy, battery, protocol, attributes)
  SELECT vehicle_id, ts, ST_SetSRID(ST_MakePoint(lon, lat), 4326), speed_kmh, heading, altitude, accuracy, battery, protocol, attributes
    FROM input
  ON CONFLICT DO NOTHING
  RETURNING 1
),
latest AS (
  SELECT DISTINCT ON (i.vehicle_id) i.* FROM input i JOIN vehicles v ON v.id = i.vehicle_id
   ORDER BY i.vehicle_id, i.ts DESC
),
state AS (
  INSERT INTO vehicle_state (vehicle_id, organization_id, ts, point, speed_kmh, heading, altitude, accuracy, battery, attributes, updated_at)
  SELECT vehicle_id, organization_id, ts, ST_SetSRID(ST_MakePoint(lon, lat), 4326), speed_kmh, heading, altitude, accuracy, battery, attributes, now()
    FROM latest
  ON CONFLICT (vehicle_id) DO UPDATE SET
    ts = EXCLUDED.ts, point = EXCLUDED.point, speed_kmh = EXCLUDED.speed_kmh, heading = EXCLUDED.heading,
    altitude = EXCLUDED.altitude, accuracy = EXCLUDED.accuracy, battery = EXCLUDED.battery,
    attributes = EXCLUDED.attributes, updated_at = now()
  WHERE vehicle_state.ts < EXCLUDED.ts
  RETURNING 1
)
SELECT (SELECT count(*) FROM inserted)::int AS stored`;

/**
 * Step (3) and (5) of the ingestion contract for a batch of staged requests, in one transaction:
 * positions inserted (duplicates dropped), vehicle_state moved forward, staging rows marked processed.
 */
export async function writeBatch(
  pool: Pool,
  items: Array<{ stagingId: string; batch: StagedBatch }>,
): Promise<WriteResult> {
  const cols = toColumns(items.map((i) => i.batch));
  const client = await pool.connect();
  // A checked-out client whose server goes away emits 'error'; unheard, it would crash the process.
  // The failing query rejects as well, which is where we handle it.
  const onError = () => undefined;
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    let stored = 0;
    if (cols.ts.length) {
      const res = await client.query<{ stored: number }>(WRITE_SQL, [
        cols.vehicleId,
        cols.organizationId,
        cols.ts,
        cols.lat,
        cols.lon,
        cols.speed,
        cols.heading,
        cols.altitude,
        cols.accuracy,
        cols.battery,
        cols.protocol,
        cols.attributes,
      ]);
      stored = res.rows[0].stored;
    }
    await client.query(
      'UPDATE ingest_staging SET processed_at = now() WHERE id = ANY($1::bigint[]) AND processed_at IS NULL',
      [items.map((i) => i.stagingId)],
    );
    await client.query('COMMIT');
    return { received: cols.ts.length, stored, duplicates: cols.ts.length - stored };
  } catch (err) {
    // A connection that cannot even roll back is discarded, not returned to the pool.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
