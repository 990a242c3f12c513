import type { InBetweenFix, InsertedPosition } from '@fleet/queue-replay';
import { withTransaction, type Pool, enqueueEventDeliveries } from '@fleet/db';
import type { PoolClient } from 'pg';
import { insertSubjectEvents, type DetectedEvent } from '../events/detector';
import { advance, dueAt, usageDue, type CountedFix, type Counters } from './counters';

// Hand SQL, like the detector: set-based statements inside the positions' write transaction.

/**
 * A rule applying to a vehicle: one for the vehicle itself, for its group or a group above it, or for
 * the whole organization (neither set), for the vehicles matching `where`; yields (vehicle_id, rule).
 */
const applicableRules = (where: string) => `
  WITH RECURSIVE v AS (
    SELECT id, organization_id, group_id FROM vehicles WHERE ${where}
  ), up(vehicle_id, group_id) AS (
    SELECT id, group_id FROM v WHERE group_id IS NOT NULL
    UNION
    SELECT up.vehicle_id, g.parent_id FROM up JOIN vehicle_groups g ON g.id = up.group_id WHERE g.parent_id IS NOT NULL
  )
  SELECT v.id AS vehicle_id, v.organization_id, r.id, r.name, r.every_km, r.every_engine_hours, r.every_months,
         r.notify_before_km, r.notify_before_engine_hours, r.notify_before_days, r.created_at
    FROM v JOIN maintenance_rules r ON r.organization_id = v.organization_id AND r.enabled
     AND (r.vehicle_id = v.id OR (r.vehicle_id IS NULL AND r.group_id IS NULL)
          OR r.group_id IN (SELECT up.group_id FROM up WHERE up.vehicle_id = v.id))`;

/**
 * The service cycle a rule is in on a vehicle: its last maintenance record's id, 'initial' before
 * any. A `maintenance_due` event carries it (attributes.cycle): one event per rule per cycle.
 */
const CYCLE_SQL = (vehicle: string, rule: string) => `
  LEFT JOIN LATERAL (
    SELECT m.id, m.odometer_km, m.engine_hours, m.done_at FROM maintenance_records m
     WHERE m.vehicle_id = ${vehicle} AND m.rule_id = ${rule} ORDER BY m.done_at DESC, m.created_at DESC LIMIT 1
  ) rec ON true`;

const NOTIFIED_SQL = (vehicle: string, rule: string) => `
  EXISTS (SELECT 1 FROM events e WHERE e.vehicle_id = ${vehicle} AND e.type = 'maintenance_due'
             AND e.subject_id = ${rule} AND e.attributes->>'cycle' = COALESCE(rec.id::text, 'initial'))`;

/** When a calendar limit is due: (last service, else the rule's creation) + every_months − notice. */
const CALENDAR_DUE_SQL = `(COALESCE(rec.done_at, a.created_at) + a.every_months * interval '1 month' - a.notify_before_days * interval '1 day')`;

interface RuleRow {
  vehicle_id: string;
  organization_id: string;
  id: string;
  name: string;
  every_km: number | null;
  every_engine_hours: number | null;
  notify_before_km: number;
  notify_before_engine_hours: number;
  cycle: string;
  base_km: number | null;
  base_hours: number | null;
}

interface CountersRow {
  vehicle_id: string;
  ts: Date;
  lat: number;
  lon: number;
  ignition: boolean | null;
  odometer_km: number;
  engine_seconds: number;
  odometer_reading_ts: Date | null;
}

/** A fix written by the batch, as counted. */
interface WrittenFix extends CountedFix {
  replaced: boolean;
}

/** A maintenance_due event before it is stored. */
interface DueEvent {
  organizationId: string;
  vehicleId: string;
  ruleId: string;
  ts: number;
  lat: number | null;
  lon: number | null;
  attributes: Record<string, unknown>;
}

/**
 * Moves the maintenance counters of the vehicles written and emits `maintenance_due` for each
 * rule whose distance or engine-time limit (minus its notice) the counters reach, stamped at the fix
 * that reached it. Runs in the positions' write transaction after detectEvents, whose lock on each
 * vehicle's vehicle_event_state row serialises the writers per vehicle; the counters rows are locked
 * too (vehicle order). The fixes are every one the batch inserted or replaced: `inserted`, and
 * `between`, the ones the writer leaves out of it (vehicles without event rules, between their oldest
 * and newest of the batch), returned by the same statement with what the counters read — nothing is
 * read back. Of fixes sharing a vehicle and timestamp, only the one stored (the same-timestamp rule's
 * winner) is written, so it is the one counted.
 *
 * Redelivery and replay: fixes already stored are not written again, so nothing is counted twice; a
 * due event is keyed by (vehicle, type, fix ts, rule) and checked against the rule's service cycle.
 *
 * Late fixes (at or before the newest counted one, or replacing a stored one) are stored but not
 * counted: the span across them was counted when their neighbours arrived (the straight distance
 * between the neighbours, the engine time with the earlier neighbour's ignition), so the odometer
 * only misses the detour through a late fix and never goes back or counts anything twice.
 */
export async function countMaintenance(
  client: PoolClient,
  inserted: InsertedPosition[],
  between: InBetweenFix[] = [],
): Promise<DetectedEvent[]> {
  if (!inserted.length && !between.length) return [];
  const byVehicle = new Map<string, WrittenFix[]>();
  const add = (vehicleId: string, fix: WrittenFix) => {
    const list = byVehicle.get(vehicleId);
    if (list) list.push(fix);
    else byVehicle.set(vehicleId, [fix]);
  };
  for (const p of inserted) add(p.vehicleId, p);
  for (const f of between)
    add(f.vehicleId, {
      ts: f.ts,
      lat: f.lat,
      lon: f.lon,
      attributes: { ignition: f.ignition, odometer: f.odometer },
      replaced: f.replaced,
    });
  const ids = [...byVehicle.keys()].sort();
  const stored = await client.query<CountersRow>(
    'SELECT * FROM vehicle_counters WHERE vehicle_id = ANY($1::uuid[]) ORDER BY vehicle_id FOR UPDATE',
    [ids],
  );
  const counters = new Map<string, Counters>(
    stored.rows.map((r) => [
      r.vehicle_id,
      {
        ts: r.ts.getTime(),
        lat: r.lat,
        lon: r.lon,
        ignition: r.ignition,
        odometerKm: r.odometer_km,
        engineSeconds: r.engine_seconds,
        odometerReadingTs: r.odometer_reading_ts?.getTime() ?? null,
      },
    ]),
  );
  const rules = await client.query<RuleRow>(
    `SELECT a.vehicle_id, a.organization_id, a.id, a.name, a.every_km, a.every_engine_hours, a.notify_before_km,
            a.notify_before_engine_hours, COALESCE(rec.id::text, 'initial') AS cycle,
            rec.odometer_km AS base_km, rec.engine_hours AS base_hours
       FROM (${applicableRules('id = ANY($1::uuid[])')}) a ${CYCLE_SQL('a.vehicle_id', 'a.id')}
      WHERE (a.every_km > 0 OR a.every_engine_hours > 0) AND NOT ${NOTIFIED_SQL('a.vehicle_id', 'a.id')}`,
    [ids],
  );
  const open = new Map<string, RuleRow[]>();
  for (const r of rules.rows) {
    const list = open.get(r.vehicle_id);
    if (list) list.push(r);
    else open.set(r.vehicle_id, [r]);
  }

  const changed: Array<[string, Counters]> = [];
  const due: DueEvent[] = [];
  for (const vehicleId of ids) {
    const fixes = byVehicle.get(vehicleId) ?? [];
    fixes.sort((a, b) => a.ts - b.ts);
    let c = counters.get(vehicleId) ?? null;
    const pending = open.get(vehicleId) ?? [];
    const before = c;
    for (const p of fixes) {
      if (c && (p.ts <= c.ts || p.replaced)) continue;
      c = advance(c, p);
      for (let i = pending.length - 1; i >= 0; i--) {
        const r = pending[i];
        const rule = {
          everyKm: r.every_km,
          everyEngineHours: r.every_engine_hours,
          notifyBeforeKm: r.notify_before_km,
          notifyBeforeEngineHours: r.notify_before_engine_hours,
          baseOdometerKm: r.base_km ?? 0,
          baseEngineHours: r.base_hours ?? 0,
        };
        const reason = usageDue(rule, c);
        if (!reason) continue;
        const at = dueAt(rule);
        due.push({
          organizationId: r.organization_id,
          vehicleId,
          ruleId: r.id,
          ts: p.ts,
          lat: p.lat,
          lon: p.lon,
          attributes: {
            ruleId: r.id,
            ruleName: r.name,
            cycle: r.cycle,
            reason,
            odometerKm: round(c.odometerKm, 3),
            engineHours: round(c.engineSeconds / 3600, 3),
            dueAtKm: at.km,
            dueAtEngineHours: at.engineHours,
          },
        });
        pending.splice(i, 1);
      }
    }
    if (c && c !== before) changed.push([vehicleId, c]);
  }
  if (changed.length)
    await client.query(
      `INSERT INTO vehicle_counters (vehicle_id, ts, lat, lon, ignition, odometer_km, engine_seconds, odometer_reading_ts, updated_at)
       SELECT u.id, timestamptz 'epoch' + u.ts * interval '1 millisecond', u.lat, u.lon, u.ignition, u.km, u.secs,
              timestamptz 'epoch' + u.reading * interval '1 millisecond', now()
         FROM unnest($1::uuid[], $2::bigint[], $3::float8[], $4::float8[], $5::bool[], $6::float8[], $7::float8[], $8::bigint[])
              AS u(id, ts, lat, lon, ignition, km, secs, reading)
         JOIN vehicles v ON v.id = u.id -- deleted meanwhile: nothing to count
       ON CONFLICT (vehicle_id) DO UPDATE SET ts = EXCLUDED.ts, lat = EXCLUDED.lat, lon = EXCLUDED.lon,
              ignition = EXCLUDED.ignition, odometer_km = EXCLUDED.odometer_km, engine_seconds = EXCLUDED.engine_seconds,
              odometer_reading_ts = EXCLUDED.odometer_reading_ts, updated_at = now()`,
      [
        changed.map(([id]) => id),
        changed.map(([, c]) => c.ts),
        changed.map(([, c]) => c.lat),
        changed.map(([, c]) => c.lon),
        changed.map(([, c]) => c.ignition),
        changed.map(([, c]) => c.odometerKm),
        changed.map(([, c]) => c.engineSeconds),
        changed.map(([, c]) => c.odometerReadingTs),
      ],
    );
  return insertDueEvents(client, due);
}

const round = (n: number, digits: number) => Math.round(n * 10 ** digits) / 10 ** digits;

function insertDueEvents(client: PoolClient, due: DueEvent[]): Promise<DetectedEvent[]> {
  return insertSubjectEvents(
    client,
    'maintenance_due',
    due.map(({ ruleId, ...e }) => ({ ...e, subjectId: ruleId })),
  );
}

/**
 * Calendar limits (`every_months`, `notify_before_days` ahead), checked periodically: a rule is due on
 * a vehicle from (last service, else the rule's creation) + every_months − notify_before_days. The
 * event is stamped at that moment (a rerun or a second worker finds the natural key taken) at the
 * vehicle's last counted point, once per service cycle like the distance limits. Each vehicle is
 * handled under the lock the ingest writers take first (its vehicle_event_state row), so a distance
 * limit reached at the same time cannot add a second event for the cycle.
 */
export async function detectCalendarDue(pool: Pool, now: Date = new Date()): Promise<DetectedEvent[]> {
  const { rows } = await pool.query<{ vehicle_id: string }>(
    `SELECT DISTINCT a.vehicle_id
       FROM (${applicableRules(
         `EXISTS (SELECT 1 FROM maintenance_rules r WHERE r.organization_id = vehicles.organization_id
                    AND r.enabled AND r.every_months > 0)`,
       )}) a ${CYCLE_SQL('a.vehicle_id', 'a.id')}
      WHERE a.every_months > 0 AND ${CALENDAR_DUE_SQL} <= $1 AND NOT ${NOTIFIED_SQL('a.vehicle_id', 'a.id')}
      LIMIT 5000`,
    [now],
  );
  const out: DetectedEvent[] = [];
  for (const { vehicle_id } of rows)
    out.push(
      ...(await withTransaction(pool, async (client) => {
        await client.query(
          `INSERT INTO vehicle_event_state (vehicle_id, ts) SELECT id, '-infinity' FROM vehicles WHERE id = $1
           ON CONFLICT (vehicle_id) DO NOTHING`,
          [vehicle_id],
        );
        await client.query('SELECT 1 FROM vehicle_event_state WHERE vehicle_id = $1 FOR UPDATE', [vehicle_id]);
        // Read again under the lock: a writer may have emitted the cycle's event meanwhile.
        const due = await client.query<{
          organization_id: string;
          id: string;
          name: string;
          cycle: string;
          due_ts: Date;
          lat: number | null;
          lon: number | null;
          odometer_km: number | null;
          engine_seconds: number | null;
        }>(
          `SELECT a.organization_id, a.id, a.name, COALESCE(rec.id::text, 'initial') AS cycle, ${CALENDAR_DUE_SQL} AS due_ts,
                  c.lat, c.lon, c.odometer_km, c.engine_seconds
             FROM (${applicableRules('id = $1::uuid')}) a ${CYCLE_SQL('a.vehicle_id', 'a.id')}
             LEFT JOIN vehicle_counters c ON c.vehicle_id = a.vehicle_id
            WHERE a.every_months > 0 AND ${CALENDAR_DUE_SQL} <= $2 AND NOT ${NOTIFIED_SQL('a.vehicle_id', 'a.id')}`,
          [vehicle_id, now],
        );
        const events = await insertDueEvents(
          client,
          due.rows.map((r) => ({
            organizationId: r.organization_id,
            vehicleId: vehicle_id,
            ruleId: r.id,
            ts: r.due_ts.getTime(),
            lat: r.lat,
            lon: r.lon,
            attributes: {
              ruleId: r.id,
              ruleName: r.name,
              cycle: r.cycle,
              reason: 'calendar',
              odometerKm: r.odometer_km === null ? null : round(r.odometer_km, 3),
              engineHours: r.engine_seconds === null ? null : round(r.engine_seconds / 3600, 3),
              dueAt: r.due_ts.toISOString(),
            },
          })),
        );
        await enqueueEventDeliveries(client, events);
        return events;
      })),
    );
  return out;
}
