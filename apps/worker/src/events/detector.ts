import type { EventType } from '@fleet/contracts';
import type { InsertedPosition } from '@fleet/queue-replay';
import type { PoolClient } from 'pg';

export interface DetectorOptions {
  /** Above the vehicle's speed limit for at least this long → one `overspeed` event per episode. */
  overspeedMinSeconds: number;
  /** Told how many fixes arrived older than their vehicle's newest evaluated one (stored, not evaluated). */
  onLateFixes?: (count: number) => void;
}

/** An event the rules produced, before it is stored (`ts` in epoch ms). */
export interface CandidateEvent {
  organizationId: string;
  vehicleId: string;
  type: EventType;
  ts: number;
  geofenceId: string | null;
  lat: number | null;
  lon: number | null;
  attributes: Record<string, unknown>;
}

/** An event as inserted (only the ones that were new: a replay finds its natural key taken). */
export interface DetectedEvent extends CandidateEvent {
  id: string;
}

interface StateRow {
  vehicle_id: string;
  ts: Date | number;
  geofence_ids: string[];
  overspeed_since: Date | null;
  overspeed_reported: boolean;
  offline_since: Date | null;
}

// node-postgres returns ±infinity timestamps as numbers (the fresh state row starts at -infinity).
const millis = (d: Date | number): number => (typeof d === 'number' ? d : d.getTime());

export interface VehicleState {
  ts: number;
  geofences: Set<string>;
  overspeedSince: number | null;
  overspeedReported: boolean;
  offlineSince: number | null;
}

/**
 * Which geofences of its organization each position lies in (GiST on geofences.area), as one
 * set-based statement for the batch.
 */
async function membership(client: PoolClient, rows: InsertedPosition[]): Promise<Array<Set<string>>> {
  const sets = rows.map(() => new Set<string>());
  if (!rows.length) return sets;
  const res = await client.query<{ idx: string; id: string }>(
    `SELECT r.idx, g.id
       FROM unnest($1::float8[], $2::float8[], $3::uuid[]) WITH ORDINALITY AS r(lon, lat, org, idx)
       JOIN geofences g ON g.organization_id = r.org AND ST_Intersects(g.area, ST_SetSRID(ST_MakePoint(r.lon, r.lat), 4326))`,
    [rows.map((r) => r.lon), rows.map((r) => r.lat), rows.map((r) => r.organizationId)],
  );
  for (const { idx, id } of res.rows) sets[Number(idx) - 1].add(id);
  return sets;
}

/** Locks (creating when missing) the detector state of these vehicles, in a fixed order: no deadlocks. */
async function lockStates(client: PoolClient, vehicleIds: string[]): Promise<Map<string, VehicleState>> {
  const sorted = [...vehicleIds].sort();
  await client.query(
    `INSERT INTO vehicle_event_state (vehicle_id, ts)
     SELECT id, '-infinity' FROM unnest($1::uuid[]) AS id
     ON CONFLICT (vehicle_id) DO NOTHING`,
    [sorted],
  );
  const res = await client.query<StateRow>(
    // A geofence deleted since is forgotten silently (no exit event: it no longer exists to be left).
    `SELECT vehicle_id, ts, overspeed_since, overspeed_reported, offline_since,
            ARRAY(SELECT g.id FROM geofences g WHERE g.id = ANY(s.geofence_ids)) AS geofence_ids
       FROM vehicle_event_state s WHERE vehicle_id = ANY($1::uuid[]) ORDER BY vehicle_id FOR UPDATE OF s`,
    [sorted],
  );
  return new Map(
    res.rows.map((r) => [
      r.vehicle_id,
      {
        ts: millis(r.ts),
        geofences: new Set(r.geofence_ids),
        overspeedSince: r.overspeed_since?.getTime() ?? null,
        overspeedReported: r.overspeed_reported,
        offlineSince: r.offline_since?.getTime() ?? null,
      },
    ]),
  );
}

/**
 * The event rules, applied to one vehicle's new fixes in time order. Pure: takes the remembered
 * state, returns the events and moves the state forward. Fixes not newer than the state (late
 * arrivals) are stored by the writer but not evaluated: events follow the vehicle's timeline once.
 */
export function evaluate(
  state: VehicleState,
  fixes: Array<{ p: InsertedPosition; inside: Set<string> }>,
  options: DetectorOptions,
): CandidateEvent[] {
  const out: CandidateEvent[] = [];
  for (const { p, inside } of fixes) {
    if (p.ts <= state.ts) continue;
    const base = { organizationId: p.organizationId, vehicleId: p.vehicleId, lat: p.lat, lon: p.lon };
    if (state.offlineSince !== null) {
      out.push({
        ...base,
        type: 'device_online',
        ts: p.ts,
        geofenceId: null,
        attributes: { offlineSince: new Date(state.offlineSince).toISOString() },
      });
      state.offlineSince = null;
    }
    for (const id of state.geofences)
      if (!inside.has(id)) out.push({ ...base, type: 'geofence_exit', ts: p.ts, geofenceId: id, attributes: {} });
    for (const id of inside)
      if (!state.geofences.has(id))
        out.push({ ...base, type: 'geofence_enter', ts: p.ts, geofenceId: id, attributes: {} });
    state.geofences = inside;

    const limit = p.speedLimitKmh;
    if (limit !== null && p.speedKmh !== null && p.speedKmh > limit) {
      if (state.overspeedSince === null) {
        state.overspeedSince = p.ts;
        state.overspeedReported = false;
      }
      if (!state.overspeedReported && p.ts - state.overspeedSince >= options.overspeedMinSeconds * 1000) {
        // Keyed by the episode's start: however the fixes are batched, one event per episode.
        out.push({
          ...base,
          type: 'overspeed',
          ts: state.overspeedSince,
          geofenceId: null,
          attributes: { speedKmh: p.speedKmh, limitKmh: limit, reportedAt: new Date(p.ts).toISOString() },
        });
        state.overspeedReported = true;
      }
    } else if (p.speedKmh !== null || limit === null) {
      // A fix without speed says nothing about the episode; one at or under the limit ends it.
      state.overspeedSince = null;
      state.overspeedReported = false;
    }
    state.ts = p.ts;
  }
  return out;
}

export async function insertEvents(client: PoolClient, events: CandidateEvent[]): Promise<DetectedEvent[]> {
  if (!events.length) return [];
  const res = await client.query<{
    id: string;
    organization_id: string;
    vehicle_id: string;
    type: EventType;
    ts: Date;
    geofence_id: string | null;
    attributes: Record<string, unknown>;
    lat: number | null;
    lon: number | null;
  }>(
    `INSERT INTO events (organization_id, vehicle_id, type, ts, geofence_id, point, attributes)
     SELECT e.org, e.veh, e.type, timestamptz 'epoch' + e.ts * interval '1 millisecond', e.geofence,
            CASE WHEN e.lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(e.lon, e.lat), 4326) END, e.attrs
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::uuid[], $6::float8[], $7::float8[], $8::jsonb[])
            AS e(org, veh, type, ts, geofence, lon, lat, attrs)
     ON CONFLICT ON CONSTRAINT events_natural_key DO NOTHING
     RETURNING id, organization_id, vehicle_id, type, ts, geofence_id, attributes, ST_Y(point) AS lat, ST_X(point) AS lon`,
    [
      events.map((e) => e.organizationId),
      events.map((e) => e.vehicleId),
      events.map((e) => e.type),
      events.map((e) => e.ts),
      events.map((e) => e.geofenceId),
      events.map((e) => e.lon),
      events.map((e) => e.lat),
      events.map((e) => JSON.stringify(e.attributes)),
    ],
  );
  return res.rows.map((r) => ({
    id: r.id,
    organizationId: r.organization_id,
    vehicleId: r.vehicle_id,
    type: r.type,
    ts: r.ts.getTime(),
    geofenceId: r.geofence_id,
    lat: r.lat,
    lon: r.lon,
    attributes: r.attributes,
  }));
}

/**
 * Runs inside the positions' write transaction (writeBatch's onInserted): evaluates the fixes just
 * inserted, stores the events and the detector state. Positions already stored by an earlier
 * delivery are not in `inserted`, so a redelivery evaluates nothing twice; the events' natural key
 * is the second guard.
 */
export async function detectEvents(
  client: PoolClient,
  inserted: InsertedPosition[],
  options: DetectorOptions,
): Promise<DetectedEvent[]> {
  if (!inserted.length) return [];
  const inside = await membership(client, inserted);
  const byVehicle = new Map<string, Array<{ p: InsertedPosition; inside: Set<string> }>>();
  inserted.forEach((p, i) => {
    const list = byVehicle.get(p.vehicleId) ?? [];
    list.push({ p, inside: inside[i] });
    byVehicle.set(p.vehicleId, list);
  });
  const states = await lockStates(client, [...byVehicle.keys()]);
  const candidates: CandidateEvent[] = [];
  const changed: Array<[string, VehicleState]> = [];
  let late = 0;
  for (const [vehicleId, fixes] of byVehicle) {
    fixes.sort((a, b) => a.p.ts - b.p.ts);
    const state = states.get(vehicleId);
    if (!state) continue; // vehicle deleted meanwhile
    const before = state.ts;
    late += fixes.filter((f) => f.p.ts <= before).length;
    candidates.push(...evaluate(state, fixes, options));
    if (state.ts !== before) changed.push([vehicleId, state]);
  }
  if (late) options.onLateFixes?.(late);
  if (changed.length)
    await client.query(
      `UPDATE vehicle_event_state s SET ts = timestamptz 'epoch' + u.ts * interval '1 millisecond',
              geofence_ids = ARRAY(SELECT jsonb_array_elements_text(u.geofences))::uuid[],
              overspeed_since = timestamptz 'epoch' + u.since * interval '1 millisecond',
              overspeed_reported = u.reported, offline_since = timestamptz 'epoch' + u.offline * interval '1 millisecond'
         FROM unnest($1::uuid[], $2::bigint[], $3::jsonb[], $4::bigint[], $5::bool[], $6::bigint[])
              AS u(vehicle_id, ts, geofences, since, reported, offline)
        WHERE s.vehicle_id = u.vehicle_id`,
      [
        changed.map(([id]) => id),
        changed.map(([, s]) => s.ts),
        changed.map(([, s]) => JSON.stringify([...s.geofences])),
        changed.map(([, s]) => s.overspeedSince),
        changed.map(([, s]) => s.overspeedReported),
        changed.map(([, s]) => s.offlineSince),
      ],
    );
  return insertEvents(client, candidates);
}

/**
 * `device_offline` for every vehicle whose latest fix is older than `offlineMinutes` and that was not
 * reported offline yet; the event's time is when it went silent plus the threshold, so a rerun (or a
 * second worker) finds the natural key taken. Returns the events inserted.
 */
export async function detectOffline(client: PoolClient, offlineMinutes: number): Promise<CandidateEvent[]> {
  const res = await client.query<{
    organization_id: string;
    vehicle_id: string;
    ts: Date;
    last_fix: Date;
    lat: number;
    lon: number;
  }>(
    `WITH stale AS (
       SELECT s.vehicle_id, s.organization_id, s.ts AS last_fix, s.ts + $1 * interval '1 minute' AS ts, s.point
         FROM vehicle_state s LEFT JOIN vehicle_event_state e ON e.vehicle_id = s.vehicle_id
        WHERE s.ts < now() - $1 * interval '1 minute' AND e.offline_since IS NULL
        ORDER BY s.vehicle_id
        LIMIT 5000
     ), marked AS (
       INSERT INTO vehicle_event_state (vehicle_id, ts, offline_since)
       SELECT vehicle_id, last_fix, ts FROM stale
       ON CONFLICT (vehicle_id) DO UPDATE SET offline_since = EXCLUDED.offline_since
        WHERE vehicle_event_state.offline_since IS NULL
       RETURNING vehicle_id
     )
     SELECT st.organization_id, st.vehicle_id, st.ts, st.last_fix, ST_Y(st.point) AS lat, ST_X(st.point) AS lon
       FROM stale st JOIN marked m USING (vehicle_id)`,
    [offlineMinutes],
  );
  return res.rows.map((r) => ({
    organizationId: r.organization_id,
    vehicleId: r.vehicle_id,
    type: 'device_offline' as const,
    ts: r.ts.getTime(),
    geofenceId: null,
    lat: r.lat,
    lon: r.lon,
    attributes: { lastFixAt: r.last_fix.toISOString() },
  }));
}
