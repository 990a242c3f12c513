import { DRIVER_UNIQUE_ID_ATTRIBUTE } from '@fleet/contracts';
import type { InsertedPosition } from '@fleet/queue-replay';
import type { PoolClient } from 'pg';
import { insertSubjectEvents, type DetectedEvent } from '../events/detector';

// Hand-written SQL like the detector's: one set-based statement per step over the batch, inside the
// positions' write transaction, after detectEvents has locked the vehicles' detector state rows (the
// API's manual assignments take the same row lock, so the two never interleave for a vehicle).

/** The driver identifier a fix carries (`driverUniqueId`, as every protocol normalises it), if any. */
export function driverUniqueIdOf(p: Pick<InsertedPosition, 'attributes'>): string | undefined {
  const v = p.attributes?.[DRIVER_UNIQUE_ID_ATTRIBUTE];
  if (typeof v === 'string') return v.trim() || undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

export interface DriverAssignmentOptions {
  /** Told how many fixes carried an identifier no driver of their organization has. */
  onUnknownIdentifiers?: (count: number) => void;
}

interface CandidateRow {
  org: string;
  veh: string;
  ts: string;
  uid: string;
  lat: number;
  lon: number;
  driver_id: string;
  driver_name: string;
  open_driver_id: string | null;
  open_driver_name: string | null;
  open_started_ms: string | null;
}

/**
 * Automatic assignment from the identifier a fix carries. Only the vehicle's newest fix decides (the
 * batch's newest fix of the vehicle, and no stored fix newer: vehicle_state), so a late buffered fix
 * never flips the driver back; and only a fix after the open assignment's start. A known identifier of
 * another driver than the current one: `driver_changed` {from, to} at the fix (subject: the new
 * driver; the events' natural key makes a replay find it taken, and then nothing else changes), the
 * open assignment ends at the fix and an `auto` one starts there. An unknown identifier stays on the
 * fix, is counted and assigns nobody (the current assignment stays).
 */
export async function assignDriversFromFixes(
  client: PoolClient,
  inserted: InsertedPosition[],
  options: DriverAssignmentOptions = {},
): Promise<DetectedEvent[]> {
  const withId = inserted.filter((p) => driverUniqueIdOf(p) !== undefined);
  if (!withId.length) return [];
  // The batch's newest fix of each vehicle; only those that carry an identifier can change anything.
  const newestOf = new Map<string, InsertedPosition>();
  for (const p of inserted) {
    const n = newestOf.get(p.vehicleId);
    if (!n || p.ts > n.ts) newestOf.set(p.vehicleId, p);
  }
  const candidates = [...newestOf.values()].filter((p) => driverUniqueIdOf(p) !== undefined);
  const res = candidates.length
    ? await client.query<CandidateRow>(
        `SELECT c.org, c.veh, c.ts::text AS ts, c.uid, c.lat, c.lon, d.id AS driver_id, d.name AS driver_name,
                a.driver_id AS open_driver_id, od.name AS open_driver_name,
                (extract(epoch FROM a.started_at) * 1000)::bigint::text AS open_started_ms
           FROM unnest($1::uuid[], $2::uuid[], $3::bigint[], $4::text[], $5::float8[], $6::float8[])
                AS c(org, veh, ts, uid, lat, lon)
           JOIN drivers d ON d.organization_id = c.org AND d.unique_id = c.uid
           LEFT JOIN driver_assignments a ON a.vehicle_id = c.veh AND a.ended_at IS NULL
           LEFT JOIN drivers od ON od.id = a.driver_id
           LEFT JOIN vehicle_state s ON s.vehicle_id = c.veh
          -- A stored fix newer than this one (another write's, committed): not the newest after all.
          WHERE s.ts IS NULL OR s.ts <= timestamptz 'epoch' + c.ts * interval '1 millisecond'`,
        [
          candidates.map((p) => p.organizationId),
          candidates.map((p) => p.vehicleId),
          candidates.map((p) => p.ts),
          candidates.map((p) => driverUniqueIdOf(p)),
          candidates.map((p) => p.lat),
          candidates.map((p) => p.lon),
        ],
      )
    : { rows: [] as CandidateRow[] };
  const unknown = await countUnknown(client, withId);
  if (unknown) options.onUnknownIdentifiers?.(unknown);
  const changes = res.rows.filter(
    (r) => r.driver_id !== r.open_driver_id && (r.open_started_ms === null || Number(r.ts) > Number(r.open_started_ms)),
  );
  if (!changes.length) return [];
  const events = await insertSubjectEvents(
    client,
    'driver_changed',
    changes.map((c) => ({
      organizationId: c.org,
      vehicleId: c.veh,
      ts: Number(c.ts),
      subjectId: c.driver_id,
      lat: c.lat,
      lon: c.lon,
      attributes: {
        from: c.open_driver_id,
        to: c.driver_id,
        fromName: c.open_driver_name,
        toName: c.driver_name,
        driverUniqueId: c.uid,
      },
    })),
  );
  // Only where the event is new: a replay whose event is already stored changes nothing.
  const applied = changes.filter((c) => events.some((e) => e.vehicleId === c.veh));
  if (applied.length) {
    await client.query(
      `UPDATE driver_assignments a SET ended_at = timestamptz 'epoch' + c.ts * interval '1 millisecond'
         FROM unnest($1::uuid[], $2::bigint[]) AS c(veh, ts)
        WHERE a.vehicle_id = c.veh AND a.ended_at IS NULL`,
      [applied.map((c) => c.veh), applied.map((c) => c.ts)],
    );
    await client.query(
      `INSERT INTO driver_assignments (organization_id, vehicle_id, driver_id, started_at, source)
       SELECT c.org, c.veh, c.driver, timestamptz 'epoch' + c.ts * interval '1 millisecond', 'auto'
         FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::bigint[]) AS c(org, veh, driver, ts)`,
      [applied.map((c) => c.org), applied.map((c) => c.veh), applied.map((c) => c.driver_id), applied.map((c) => c.ts)],
    );
  }
  return events;
}

/** Fixes whose identifier no driver of their organization has (one statement for the batch). */
async function countUnknown(client: PoolClient, fixes: InsertedPosition[]): Promise<number> {
  const res = await client.query<{ n: string }>(
    `SELECT count(*) AS n FROM unnest($1::uuid[], $2::text[]) AS f(org, uid)
      WHERE NOT EXISTS (SELECT 1 FROM drivers d WHERE d.organization_id = f.org AND d.unique_id = f.uid)`,
    [fixes.map((p) => p.organizationId), fixes.map((p) => driverUniqueIdOf(p))],
  );
  return Number(res.rows[0].n);
}
