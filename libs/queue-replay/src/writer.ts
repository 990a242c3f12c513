import type { Pool, PoolClient } from 'pg';

export interface WriteResult<T = undefined> {
  /** Positions in the batch. */
  received: number;
  /** Rows actually inserted. */
  stored: number;
  /** Positions already present (a redelivery, a replay, a client retry). */
  duplicates: number;
  /** The positions inserted, as given to `onInserted` (empty without the hook). */
  inserted: InsertedPosition[];
  /** What `onInserted` returned. */
  hook?: T;
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
  RETURNING vehicle_id, ts, point, speed_kmh, heading, altitude, accuracy, battery, attributes
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

// The same statement, also returning what it inserted (for event detection and the live feed), in
// time order per vehicle. Every fix is returned for vehicles that event rules can apply to along the
// way (a speed limit, or geofences in their organization); for the others only their oldest and
// newest fix, which is all the online rule (back online at the first fix) and the live feed (the
// newest) need — a 5,000-fix upload of a vehicle without rules returns two rows, not 5,000. Rows of vehicles deleted meanwhile are left out.
const WRITE_RETURNING_SQL = `${WRITE_SQL},
  (WITH fenced AS (
     SELECT DISTINCT g.organization_id FROM geofences g
      WHERE g.organization_id IN (SELECT DISTINCT organization_id FROM input)
   ), ranked AS (
     SELECT i.*, v.organization_id, v.speed_limit_kmh,
            v.speed_limit_kmh IS NOT NULL OR v.organization_id IN (SELECT organization_id FROM fenced) AS ruled,
            row_number() OVER (PARTITION BY i.vehicle_id ORDER BY i.ts DESC) AS newest,
            row_number() OVER (PARTITION BY i.vehicle_id ORDER BY i.ts) AS oldest
       FROM inserted i JOIN vehicles v ON v.id = i.vehicle_id
   )
   SELECT json_agg(json_build_array(r.vehicle_id, r.organization_id, (extract(epoch FROM r.ts) * 1000)::bigint,
                                    ST_Y(r.point), ST_X(r.point), r.speed_kmh, r.heading, r.altitude, r.accuracy,
                                    r.battery, r.attributes, r.speed_limit_kmh)
                   ORDER BY r.vehicle_id, r.ts)
     FROM ranked r WHERE r.ruled OR r.newest = 1 OR r.oldest = 1) AS rows`;

/**
 * A position this batch actually inserted (not a duplicate): every one for vehicles with event rules,
 * the oldest and newest for the others (see WRITE_RETURNING_SQL). Speeds in km/h; `ts` in epoch ms.
 */
export interface InsertedPosition {
  vehicleId: string;
  organizationId: string;
  ts: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  heading: number | null;
  altitude: number | null;
  accuracy: number | null;
  battery: number | null;
  attributes: Record<string, unknown> | null;
  /** The vehicle's configured limit, for overspeed detection. */
  speedLimitKmh: number | null;
}

type InsertedTuple = [
  string,
  string,
  number | string,
  number,
  number,
  number | null,
  number | null,
  number | null,
  number | null,
  number | null,
  Record<string, unknown> | null,
  number | null,
];

function toInserted(t: InsertedTuple): InsertedPosition {
  return {
    vehicleId: t[0],
    organizationId: t[1],
    ts: Number(t[2]),
    lat: t[3],
    lon: t[4],
    speedKmh: t[5],
    heading: t[6],
    altitude: t[7],
    accuracy: t[8],
    battery: t[9],
    attributes: t[10],
    speedLimitKmh: t[11],
  };
}

export interface WriteOptions<T> {
  /**
   * Runs inside the write transaction with the positions actually inserted, before COMMIT: what it
   * writes (events, their webhook deliveries) commits or rolls back with the positions, so a
   * redelivered batch — whose positions are already stored — never produces it twice.
   */
  onInserted?: (client: PoolClient, inserted: InsertedPosition[]) => Promise<T>;
}

/**
 * Step (3) and (5) of the ingestion contract for a batch of staged requests, in one transaction:
 * positions inserted (duplicates dropped), vehicle_state moved forward, staging rows marked processed.
 * `payload` is the staged JSON exactly as stored and published.
 */
export async function writeBatch<T = undefined>(
  pool: Pool,
  items: Array<{ stagingId: string; payload: string; count: number }>,
  options: WriteOptions<T> = {},
): Promise<WriteResult<T>> {
  const expected = items.reduce((sum, i) => sum + i.count, 0);
  const client = await pool.connect();
  // A checked-out client whose server goes away emits 'error'; unheard, it would crash the process.
  // The failing query rejects as well, which is where we handle it.
  const onError = () => undefined;
  client.on('error', onError);
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const res = await client.query<{ received: number; stored: number; rows?: InsertedTuple[] | null }>(
      options.onInserted ? WRITE_RETURNING_SQL : WRITE_SQL,
      [`[${items.map((i) => i.payload).join(',')}]`],
    );
    const { received, stored } = res.rows[0];
    // A payload that decodes to fewer (or more) rows than were staged is malformed: nothing of the
    // batch is kept, and the consumer isolates the culprit.
    if (received !== expected)
      throw new Error(`staged batch decoded to ${received} positions, ${expected} were staged`);
    await client.query(
      'UPDATE ingest_staging SET processed_at = now() WHERE id = ANY($1::bigint[]) AND processed_at IS NULL',
      [items.map((i) => i.stagingId)],
    );
    const inserted = (res.rows[0].rows ?? []).map(toInserted);
    const hook = options.onInserted ? await options.onInserted(client, inserted) : undefined;
    await client.query('COMMIT');
    return { received, stored, duplicates: received - stored, inserted, hook };
  } catch (err) {
    // A connection that cannot even roll back is discarded, not returned to the pool.
    await client.query('ROLLBACK').catch((rollbackError: Error) => (broken = rollbackError));
    throw err;
  } finally {
    client.off('error', onError);
    client.release(broken);
  }
}
