import type { Pool } from 'pg';

export interface WriteResult {
  /** Positions in the batch. */
  received: number;
  /** Rows actually inserted. */
  stored: number;
  /** Positions already present (a redelivery, a replay, a client retry). */
  duplicates: number;
}

// One set-based statement for the whole batch. The staged payloads (codec.ts, version 2) travel as
// one jsonb array and PostgreSQL unpacks their columns itself: the worker neither parses nor
// re-serialises positions. A payload that does not decode makes the statement fail, and the
// consumer isolates it. New positions are inserted, and each vehicle's latest state moves forward
// only when the new fix is newer.
const WRITE_SQL = `
WITH batch AS (
  SELECT value AS p FROM jsonb_array_elements($1::jsonb)
),
input AS (
  SELECT (b.p->'veh'->>COALESCE(r.vi::int, 0))::uuid AS vehicle_id,
         (b.p->'org'->>COALESCE(r.vi::int, 0))::uuid AS organization_id,
         b.p->>'p' AS protocol,
         timestamptz 'epoch' + r.ts::bigint * interval '1 millisecond' AS ts,
         r.lat::float8 AS lat, r.lon::float8 AS lon,
         r.spd::real AS speed_kmh, r.hdg::real AS heading, r.alt::real AS altitude, r.acc::real AS accuracy, r.bat::real AS battery,
         NULLIF(r.att, 'null'::jsonb) AS attributes
    FROM batch b,
         ROWS FROM (
           jsonb_array_elements_text(b.p->'ts'), jsonb_array_elements_text(b.p->'lat'), jsonb_array_elements_text(b.p->'lon'),
           jsonb_array_elements_text(b.p->'vi'), jsonb_array_elements_text(b.p->'spd'), jsonb_array_elements_text(b.p->'hdg'),
           jsonb_array_elements_text(b.p->'alt'), jsonb_array_elements_text(b.p->'acc'), jsonb_array_elements_text(b.p->'bat'),
           jsonb_array_elements(b.p->'att')
         ) AS r(ts, lat, lon, vi, spd, hdg, alt, acc, bat, att)
   WHERE (b.p->>'v')::int = 2
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
SELECT (SELECT count(*) FROM input)::int AS received, (SELECT count(*) FROM inserted)::int AS stored`;

/**
 * Step (3) and (5) of the ingestion contract for a batch of staged requests, in one transaction:
 * positions inserted (duplicates dropped), vehicle_state moved forward, staging rows marked processed.
 * `payload` is the staged JSON exactly as stored and published.
 */
export async function writeBatch(
  pool: Pool,
  items: Array<{ stagingId: string; payload: string; count: number }>,
): Promise<WriteResult> {
  const expected = items.reduce((sum, i) => sum + i.count, 0);
  const client = await pool.connect();
  // A checked-out client whose server goes away emits 'error'; unheard, it would crash the process.
  // The failing query rejects as well, which is where we handle it.
  const onError = () => undefined;
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const res = await client.query<{ received: number; stored: number }>(WRITE_SQL, [
      `[${items.map((i) => i.payload).join(',')}]`,
    ]);
    const { received, stored } = res.rows[0];
    // A payload that decodes to fewer (or more) rows than were staged is malformed: nothing of the
    // batch is kept, and the consumer isolates the culprit.
    if (received !== expected)
      throw new Error(`staged batch decoded to ${received} positions, ${expected} were staged`);
    await client.query(
      'UPDATE ingest_staging SET processed_at = now() WHERE id = ANY($1::bigint[]) AND processed_at IS NULL',
      [items.map((i) => i.stagingId)],
    );
    await client.query('COMMIT');
    return { received, stored, duplicates: received - stored };
  } catch (err) {
    // A connection that cannot even roll back is discarded, not returned to the pool.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
