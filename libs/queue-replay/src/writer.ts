import type { Pool } from 'pg';
import type { PositionColumns } from './codec';

export interface WriteResult {
  /** Positions in the batch. */
  received: number;
  /** Rows actually inserted. */
  stored: number;
  /** Positions already present (a redelivery, a replay, a client retry). */
  duplicates: number;
}

const NUMERIC = ['ts', 'lat', 'lon', 'speedKmh', 'heading', 'altitude', 'accuracy', 'battery'] as const;

/** The batches of several stream messages as one set of unnest arrays (with a protocol per row). */
function concat(parts: PositionColumns[]) {
  const out = {
    vehicleId: [] as string[],
    organizationId: [] as string[],
    protocol: [] as string[],
    attributes: [] as Array<string | null>,
    ...(Object.fromEntries(NUMERIC.map((k) => [k, [] as Array<number | null>])) as Record<(typeof NUMERIC)[number], Array<number | null>>),
  };
  for (const c of parts) {
    out.vehicleId.push(...c.vehicleId);
    out.organizationId.push(...c.organizationId);
    out.attributes.push(...c.attributes);
    for (const key of NUMERIC) out[key].push(...c[key]);
    for (let i = 0; i < c.ts.length; i++) out.protocol.push(c.protocol);
  }
  return out;
}

// One set-based statement for the whole batch: unnest the column arrays, insert what is new,
// and move each vehicle's latest state forward only when the new fix is newer.
const WRITE_SQL = `
WITH input AS (
  SELECT vehicle_id, organization_id, timestamptz 'epoch' + ts_ms * interval '1 millisecond' AS ts, lat, lon, speed_kmh,
         heading, altitude, accuracy, battery, protocol, attributes
    FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::float8[], $5::float8[], $6::real[], $7::real[],
                $8::real[], $9::real[], $10::real[], $11::text[], $12::jsonb[])
      AS t(vehicle_id, organization_id, ts_ms, lat, lon, speed_kmh, heading, altitude, accuracy, battery, protocol, attributes)
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
  items: Array<{ stagingId: string; columns: PositionColumns }>,
): Promise<WriteResult> {
  const cols = concat(items.map((i) => i.columns));
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
        cols.speedKmh,
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
