import type { EventType } from '@fleet/contracts';
import type { InsertedPosition } from '@fleet/queue-replay';
import type { PoolClient } from 'pg';

// SQL here is written by hand (not drizzle's builder): each statement is one set-based unnest over the
// batch, inside the writer's transaction on its connection, with PostGIS predicates and row locks taken
// in a fixed order; one round trip per step keeps the write path's rate (docs/performance.md).

export interface DetectorOptions {
  /** Above the vehicle's speed limit for at least this long → one `overspeed` event per episode. */
  overspeedMinSeconds: number;
  /**
   * Told how many fixes arrived older than their vehicle's newest evaluated one (or replaced a stored
   * fix): each makes its vehicle's rules re-evaluated from its timestamp on.
   */
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

/** A stored event that a late fix's re-evaluation no longer implies: marked, not deleted. */
export interface RetractedEvent extends DetectedEvent {
  retractedAt: number;
}

/** What one write transaction's fixes changed: events new (or implied again), events retracted. */
export interface Detection {
  events: DetectedEvent[];
  retracted: RetractedEvent[];
}

/** The rules a late fix re-evaluates: those that follow the fixes' timeline (offline/online follow arrival). */
const TIMELINE_TYPES: EventType[] = ['geofence_enter', 'geofence_exit', 'overspeed'];

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

const onlineEvent = (p: InsertedPosition, offlineSince: number): CandidateEvent => ({
  organizationId: p.organizationId,
  vehicleId: p.vehicleId,
  lat: p.lat,
  lon: p.lon,
  type: 'device_online',
  ts: p.ts,
  geofenceId: null,
  attributes: { offlineSince: new Date(offlineSince).toISOString() },
});

/**
 * The event rules, applied to one vehicle's fixes in time order. Pure: takes the remembered state,
 * returns the events and moves the state forward. Fixes not newer than the state are skipped here:
 * detectEvents re-evaluates a window of the vehicle's stored fixes for them instead (see reevaluate).
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
      out.push(onlineEvent(p, state.offlineSince));
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

/** An events row as the detector's statements return it (EVENT_COLUMNS). */
interface EventRow {
  id: string;
  organization_id: string;
  vehicle_id: string;
  type: EventType;
  ts: Date;
  geofence_id: string | null;
  attributes: Record<string, unknown>;
  lat: number | null;
  lon: number | null;
}

const EVENT_COLUMNS =
  'id, organization_id, vehicle_id, type, ts, geofence_id, attributes, ST_Y(point) AS lat, ST_X(point) AS lon';

const toDetectedEvent = (r: EventRow): DetectedEvent => ({
  id: r.id,
  organizationId: r.organization_id,
  vehicleId: r.vehicle_id,
  type: r.type,
  ts: r.ts.getTime(),
  geofenceId: r.geofence_id,
  lat: r.lat,
  lon: r.lon,
  attributes: r.attributes,
});

export async function insertEvents(client: PoolClient, events: CandidateEvent[]): Promise<DetectedEvent[]> {
  if (!events.length) return [];
  const res = await client.query<EventRow>(
    `INSERT INTO events (organization_id, vehicle_id, type, ts, geofence_id, point, attributes)
     SELECT e.org, e.veh, e.type, timestamptz 'epoch' + e.ts * interval '1 millisecond', e.geofence,
            CASE WHEN e.lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(e.lon, e.lat), 4326) END, e.attrs
       FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::bigint[], $5::uuid[], $6::float8[], $7::float8[], $8::jsonb[])
            AS e(org, veh, type, ts, geofence, lon, lat, attrs)
     -- Taken by a live event: nothing (a redelivery). Taken by a retracted one that the corrected
     -- sequence implies again: it is un-retracted, with this evaluation's point and attributes.
     ON CONFLICT ON CONSTRAINT events_natural_key DO UPDATE
        SET retracted_at = NULL, point = EXCLUDED.point, attributes = EXCLUDED.attributes
      WHERE events.retracted_at IS NOT NULL
     RETURNING ${EVENT_COLUMNS}`,
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
  return res.rows.map(toDetectedEvent);
}

/**
 * Runs inside the positions' write transaction (writeBatch's onInserted): evaluates the fixes just
 * inserted, stores the events and the detector state. Positions already stored by an earlier
 * delivery are not in `inserted`, so a redelivery evaluates nothing twice; the events' natural key
 * is the second guard.
 *
 * Each vehicle's state row is locked first (FOR UPDATE, in vehicle order), so the workers serialise
 * per vehicle: whichever commits second sees the first one's fixes and state. A vehicle whose fixes
 * are all newer than its state (the common case) is evaluated from the state, as they arrive. A fix
 * at or before the state's time (late, or replacing a stored one) re-evaluates that vehicle from its
 * timestamp on (reevaluate), so the events do not depend on the order the fixes arrived in.
 */
export async function detectEvents(
  client: PoolClient,
  inserted: InsertedPosition[],
  options: DetectorOptions,
): Promise<Detection> {
  if (!inserted.length) return { events: [], retracted: [] };
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
  const retractedIds: string[] = [];
  const revisable: CandidateEvent[] = [];
  const corrected: CandidateEvent[] = [];
  const windows: Array<{ sample: InsertedPosition; from: number; state: VehicleState }> = [];
  let late = 0;
  // Organizations with geofences, asked once per batch and only if a fix is late: a late fix of a
  // vehicle no timeline rule applies to (no speed limit, no geofence) has nothing to re-evaluate.
  let fenced: Set<string> | undefined;
  const ruled = async (p: InsertedPosition) => {
    if (p.speedLimitKmh !== null) return true;
    fenced ??= new Set(
      (
        await client.query<{ organization_id: string }>(
          'SELECT DISTINCT organization_id FROM geofences WHERE organization_id = ANY($1::uuid[])',
          [[...new Set(inserted.map((i) => i.organizationId))]],
        )
      ).rows.map((r) => r.organization_id),
    );
    return fenced.has(p.organizationId);
  };
  for (const [vehicleId, fixes] of byVehicle) {
    fixes.sort((a, b) => a.p.ts - b.p.ts);
    const state = states.get(vehicleId);
    if (!state) continue; // vehicle deleted meanwhile
    const before = state.ts;
    // A replaced fix (the writer's same-timestamp rule) changed the timeline where it was: late too.
    const stale = fixes.filter((f) => f.p.ts <= before || f.p.replaced);
    if (!stale.length) {
      candidates.push(...evaluate(state, fixes, options));
      if (state.ts !== before) changed.push([vehicleId, state]);
      continue;
    }
    late += stale.length;
    // Arrival-ordered rule first: back online with the first fix newer than the last one seen.
    const newer = fixes.find((f) => f.p.ts > before);
    if (newer && state.offlineSince !== null) {
      candidates.push(onlineEvent(newer.p, state.offlineSince));
      state.offlineSince = null;
    }
    if (!(await ruled(fixes[0].p))) {
      state.ts = Math.max(before, fixes[fixes.length - 1].p.ts);
      changed.push([vehicleId, state]);
      continue;
    }
    windows.push({ sample: fixes[0].p, from: stale[0].p.ts, state });
  }
  // The late vehicles' windows, read and reconciled together (two statements for the batch).
  for (const { state, window } of await reevaluate(client, windows, options)) {
    state.ts = Math.max(state.ts, window.state.ts);
    state.geofences = window.state.geofences;
    state.overspeedSince = window.state.overspeedSince;
    state.overspeedReported = window.state.overspeedReported;
    changed.push([window.vehicleId, state]);
    revisable.push(...window.missing);
    corrected.push(...window.corrected);
    retractedIds.push(...window.retract);
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
  const retracted = await retractEvents(client, retractedIds);
  await correctEvents(client, corrected);
  const events = await insertEvents(client, [...candidates, ...revisable]);
  return { events, retracted };
}

interface WindowRow {
  vehicle_id: string;
  ts: string;
  lat: number;
  lon: number;
  speed_kmh: number | null;
  speed_limit_kmh: number | null;
  inside: string[];
  /** The window's first row, when it is the anchor (null without one). */
  anchor: boolean | null;
}

/**
 * How far back a re-evaluation looks for the state before a late fix: an overspeed episode (or a
 * stretch of fixes without speed after one) longer than this is taken as ended at its horizon.
 * Bounds the work a late fix costs for a vehicle that never reports its speed.
 */
const EPISODE_HORIZON_MS = 24 * 3600_000;

/**
 * Re-evaluates the timeline rules of late vehicles, each from its late fix at `from` on, over its
 * stored fixes (its own insert included: same transaction). A vehicle's window starts at its anchor:
 * the last stored fix before `from` with no overspeed episode running (the last fix with a speed was
 * at or under the limit, or there is no limit), else the fix that ended the episode before. The state
 * right after the anchor is known without looking further back — inside the geofences that contain it,
 * no episode. Events a window implies are compared with the ones stored for it: the missing are
 * returned to insert (the natural key keeps them single), the ones told by another fix to correct,
 * the ones no longer implied to retract. One statement reads every window, one the stored events.
 */
async function reevaluate<T extends { sample: InsertedPosition; from: number }>(
  client: PoolClient,
  late: T[],
  options: DetectorOptions,
): Promise<Array<T & { window: WindowResult }>> {
  if (!late.length) return [];
  // Comparisons are the rule's own (real against real), so the anchor agrees with evaluate() to the bit.
  const res = await client.query<WindowRow>(
    `WITH req AS (
       SELECT r.vehicle_id, v.speed_limit_kmh AS lim, v.organization_id AS org,
              timestamptz 'epoch' + r.from_ms * interval '1 millisecond' AS t0,
              timestamptz 'epoch' + (r.from_ms - $3::bigint) * interval '1 millisecond' AS horizon
         FROM unnest($1::uuid[], $2::bigint[]) AS r(vehicle_id, from_ms) JOIN vehicles v ON v.id = r.vehicle_id
     ), speed AS (
       SELECT req.*, ls.ts AS last_speed_ts, ls.over
         FROM req LEFT JOIN LATERAL (
           SELECT p.ts, p.speed_kmh > req.lim AS over FROM positions p
            WHERE p.vehicle_id = req.vehicle_id AND p.ts < req.t0 AND p.ts >= req.horizon
              AND p.speed_kmh IS NOT NULL AND req.lim IS NOT NULL
            ORDER BY p.ts DESC LIMIT 1
         ) ls ON true
     ), anchored AS (
       SELECT s.vehicle_id, s.lim, s.org,
              CASE WHEN COALESCE(s.over, false) THEN COALESCE(
                -- In an episode: back to the fix that ended the one before; past the horizon, the last
                -- fix before it (taken as idle); none there, no anchor (from the first fix: exact).
                (SELECT p.ts FROM positions p WHERE p.vehicle_id = s.vehicle_id AND p.ts < s.last_speed_ts
                    AND p.ts >= s.horizon AND p.speed_kmh <= s.lim ORDER BY p.ts DESC LIMIT 1),
                (SELECT p.ts FROM positions p WHERE p.vehicle_id = s.vehicle_id AND p.ts < s.horizon
                  ORDER BY p.ts DESC LIMIT 1))
              ELSE (SELECT p.ts FROM positions p WHERE p.vehicle_id = s.vehicle_id AND p.ts < s.t0
                     ORDER BY p.ts DESC LIMIT 1)
              END AS anchor
         FROM speed s
     )
     SELECT a.vehicle_id, (extract(epoch FROM p.ts) * 1000)::bigint::text AS ts, ST_Y(p.point) AS lat,
            ST_X(p.point) AS lon, p.speed_kmh, a.lim AS speed_limit_kmh,
            ARRAY(SELECT g.id FROM geofences g WHERE g.organization_id = a.org AND ST_Intersects(g.area, p.point)) AS inside,
            p.ts = a.anchor AS anchor
       FROM anchored a JOIN positions p ON p.vehicle_id = a.vehicle_id AND p.ts >= COALESCE(a.anchor, '-infinity')
      ORDER BY a.vehicle_id, p.ts`,
    [late.map((l) => l.sample.vehicleId), late.map((l) => l.from), EPISODE_HORIZON_MS],
  );
  const byVehicle = new Map<string, WindowRow[]>();
  for (const r of res.rows) {
    const list = byVehicle.get(r.vehicle_id);
    if (list) list.push(r);
    else byVehicle.set(r.vehicle_id, [r]);
  }
  const evaluated = late.flatMap((l) => {
    const found = byVehicle.get(l.sample.vehicleId);
    if (!found) return []; // vehicle deleted meanwhile
    const rows = found.map((r) => ({
      p: {
        ...l.sample,
        ts: Number(r.ts),
        lat: r.lat,
        lon: r.lon,
        speedKmh: r.speed_kmh,
        speedLimitKmh: r.speed_limit_kmh,
        heading: null,
        altitude: null,
        accuracy: null,
        battery: null,
        attributes: null,
        replaced: false,
      },
      inside: new Set(r.inside),
    }));
    // No anchor: from the vehicle's first fix, which starts outside every geofence.
    const anchored = found[0].anchor === true;
    const state: VehicleState = {
      ts: anchored ? rows[0].p.ts : -Infinity,
      geofences: anchored ? rows[0].inside : new Set(),
      overspeedSince: null,
      overspeedReported: false,
      offlineSince: null,
    };
    const implied = evaluate(state, anchored ? rows.slice(1) : rows, options);
    return [{ l, state, implied, after: anchored ? rows[0].p.ts : null }];
  });
  const stored = await client.query<{
    id: string;
    vehicle_id: string;
    type: EventType;
    ts: string;
    geofence_id: string | null;
    lat: number | null;
    lon: number | null;
    attributes: Record<string, unknown>;
  }>(
    // Events of a deleted geofence (geofence_id set null) are history the rules can no longer imply.
    `SELECT e.id, e.vehicle_id, e.type, (extract(epoch FROM e.ts) * 1000)::bigint::text AS ts, e.geofence_id,
            ST_Y(e.point) AS lat, ST_X(e.point) AS lon, e.attributes
       FROM unnest($1::uuid[], $2::bigint[]) AS w(vehicle_id, after_ms)
       JOIN events e ON e.vehicle_id = w.vehicle_id
      WHERE (w.after_ms IS NULL OR e.ts > timestamptz 'epoch' + w.after_ms * interval '1 millisecond')
        AND e.retracted_at IS NULL AND e.type = ANY($3::text[]) AND (e.type = 'overspeed' OR e.geofence_id IS NOT NULL)`,
    [evaluated.map((e) => e.l.sample.vehicleId), evaluated.map((e) => e.after), TIMELINE_TYPES],
  );
  const storedOf = new Map<string, typeof stored.rows>();
  for (const r of stored.rows) {
    const list = storedOf.get(r.vehicle_id);
    if (list) list.push(r);
    else storedOf.set(r.vehicle_id, [r]);
  }
  const key = (e: { type: string; ts: number; geofenceId: string | null }) => `${e.type}|${e.ts}|${e.geofenceId}`;
  return evaluated.map(({ l, state, implied }) => {
    const rows = storedOf.get(l.sample.vehicleId) ?? [];
    const have = new Map(rows.map((r) => [key({ type: r.type, ts: Number(r.ts), geofenceId: r.geofence_id }), r]));
    const want = new Set(implied.map(key));
    const missing: CandidateEvent[] = [];
    const corrected: CandidateEvent[] = [];
    for (const e of implied) {
      const old = have.get(key(e));
      if (!old) missing.push(e);
      // Same event, told by another fix (an overspeed first reported one fix late): the corrected one.
      else if (old.lat !== e.lat || old.lon !== e.lon || !sameAttributes(old.attributes, e.attributes))
        corrected.push(e);
    }
    const retract = rows
      .filter((r) => !want.has(key({ type: r.type, ts: Number(r.ts), geofenceId: r.geofence_id })))
      .map((r) => r.id);
    return { ...l, window: { vehicleId: l.sample.vehicleId, state, missing, corrected, retract } };
  });
}

interface WindowResult {
  vehicleId: string;
  state: VehicleState;
  missing: CandidateEvent[];
  corrected: CandidateEvent[];
  retract: string[];
}

const sameAttributes = (a: Record<string, unknown>, b: Record<string, unknown>): boolean =>
  Object.keys(a).length === Object.keys(b).length && Object.keys(a).every((k) => a[k] === b[k]);

/** Rewrites the point and attributes of stored events (same natural key) in place. */
async function correctEvents(client: PoolClient, events: CandidateEvent[]): Promise<void> {
  if (!events.length) return;
  await client.query(
    `UPDATE events e SET point = ST_SetSRID(ST_MakePoint(c.lon, c.lat), 4326), attributes = c.attrs
       FROM unnest($1::uuid[], $2::text[], $3::bigint[], $4::uuid[], $5::float8[], $6::float8[], $7::jsonb[])
            AS c(veh, type, ts, geofence, lon, lat, attrs)
      WHERE e.vehicle_id = c.veh AND e.type = c.type AND e.ts = timestamptz 'epoch' + c.ts * interval '1 millisecond'
        AND e.geofence_id IS NOT DISTINCT FROM c.geofence`,
    [
      events.map((e) => e.vehicleId),
      events.map((e) => e.type),
      events.map((e) => e.ts),
      events.map((e) => e.geofenceId),
      events.map((e) => e.lon),
      events.map((e) => e.lat),
      events.map((e) => JSON.stringify(e.attributes)),
    ],
  );
}

/** Marks events retracted (still stored: webhooks may have delivered them) and returns them. */
async function retractEvents(client: PoolClient, ids: string[]): Promise<RetractedEvent[]> {
  if (!ids.length) return [];
  const res = await client.query<EventRow & { retracted_at: Date }>(
    `UPDATE events SET retracted_at = now() WHERE id = ANY($1::uuid[]) AND retracted_at IS NULL
     RETURNING ${EVENT_COLUMNS}, retracted_at`,
    [ids],
  );
  return res.rows.map((r) => ({ ...toDetectedEvent(r), retractedAt: r.retracted_at.getTime() }));
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

/**
 * Events about a subject besides their vehicle (`subject_id`: a driver, a maintenance rule), one
 * statement for the batch: only the new ones come back, a replay finding the natural key taken.
 */
export async function insertSubjectEvents(
  client: PoolClient,
  type: EventType,
  events: Array<{
    organizationId: string;
    vehicleId: string;
    ts: number;
    subjectId: string | null;
    lat: number | null;
    lon: number | null;
    attributes: Record<string, unknown>;
  }>,
): Promise<DetectedEvent[]> {
  if (!events.length) return [];
  const res = await client.query<{
    id: string;
    organization_id: string;
    vehicle_id: string;
    ts: string;
    lat: number | null;
    lon: number | null;
    attributes: Record<string, unknown>;
  }>(
    `INSERT INTO events (organization_id, vehicle_id, type, ts, subject_id, point, attributes)
     SELECT e.org, e.veh, $1, timestamptz 'epoch' + e.ts * interval '1 millisecond', e.subject,
            CASE WHEN e.lon IS NULL THEN NULL ELSE ST_SetSRID(ST_MakePoint(e.lon, e.lat), 4326) END, e.attrs
       FROM unnest($2::uuid[], $3::uuid[], $4::bigint[], $5::uuid[], $6::float8[], $7::float8[], $8::jsonb[])
            AS e(org, veh, ts, subject, lon, lat, attrs)
     ON CONFLICT ON CONSTRAINT events_natural_key DO NOTHING
     RETURNING id, organization_id, vehicle_id, (extract(epoch FROM ts) * 1000)::bigint::text AS ts,
               ST_Y(point) AS lat, ST_X(point) AS lon, attributes`,
    [
      type,
      events.map((e) => e.organizationId),
      events.map((e) => e.vehicleId),
      events.map((e) => e.ts),
      events.map((e) => e.subjectId),
      events.map((e) => e.lon),
      events.map((e) => e.lat),
      events.map((e) => JSON.stringify(e.attributes)),
    ],
  );
  return res.rows.map((r) => ({
    id: r.id,
    organizationId: r.organization_id,
    vehicleId: r.vehicle_id,
    type,
    ts: Number(r.ts),
    geofenceId: null,
    lat: r.lat,
    lon: r.lon,
    attributes: r.attributes,
  }));
}
