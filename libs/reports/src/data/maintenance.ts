import type { MaintenanceRuleStatus, VehicleMaintenance } from '@fleet/contracts';
import type { Pool } from '@fleet/db';

// The maintenance status of vehicles against their rules: the API's status endpoints and the
// maintenance report compute it here, the same way.

/**
 * The rules that apply to each vehicle of `$1` (org) matching `where` (on `vehicles v`): the vehicle's
 * own, its group's and every group's above it, and the organization-wide ones — the worker's rule
 * (apps/worker/src/maintenance) in the API's words. Hand SQL: a recursive walk up the groups.
 */
export const MAINTENANCE_STATUS_SQL = (where: string) => `
  WITH RECURSIVE v AS (
    SELECT v.id, v.name, v.group_id FROM vehicles v WHERE v.organization_id = $1 AND ${where}
  ), up(vehicle_id, group_id) AS (
    SELECT id, group_id FROM v WHERE group_id IS NOT NULL
    UNION
    SELECT up.vehicle_id, g.parent_id FROM up JOIN vehicle_groups g ON g.id = up.group_id WHERE g.parent_id IS NOT NULL
  )
  SELECT v.id AS vehicle_id, v.name AS vehicle_name, r.id AS rule_id, r.name AS rule_name, r.every_km,
         r.every_engine_hours, r.every_months, r.notify_before_km, r.notify_before_engine_hours, r.notify_before_days,
         rec.id AS record_id, rec.done_at, rec.odometer_km AS rec_km, rec.engine_hours AS rec_hours,
         COALESCE(rec.done_at, r.created_at) + r.every_months * interval '1 month' AS next_at,
         COALESCE(rec.done_at, r.created_at) + r.every_months * interval '1 month' - r.notify_before_days * interval '1 day' AS notify_at,
         c.odometer_km, c.engine_seconds, c.ts AS counted_at, now() AS now
    FROM v JOIN maintenance_rules r ON r.organization_id = $1 AND r.enabled
     AND (r.vehicle_id = v.id OR (r.vehicle_id IS NULL AND r.group_id IS NULL)
          OR r.group_id IN (SELECT up.group_id FROM up WHERE up.vehicle_id = v.id))
    LEFT JOIN LATERAL (
      SELECT m.id, m.done_at, m.odometer_km, m.engine_hours FROM maintenance_records m
       WHERE m.vehicle_id = v.id AND m.rule_id = r.id ORDER BY m.done_at DESC, m.created_at DESC LIMIT 1
    ) rec ON true
    LEFT JOIN vehicle_counters c ON c.vehicle_id = v.id
   ORDER BY v.name, v.id, r.name, r.id`;

export interface MaintenanceStatusRow {
  vehicle_id: string;
  vehicle_name: string;
  rule_id: string;
  rule_name: string;
  every_km: number | null;
  every_engine_hours: number | null;
  every_months: number | null;
  notify_before_km: number;
  notify_before_engine_hours: number;
  notify_before_days: number;
  record_id: string | null;
  done_at: Date | null;
  rec_km: number | null;
  rec_hours: number | null;
  next_at: Date | null;
  notify_at: Date | null;
  odometer_km: number | null;
  engine_seconds: number | null;
  counted_at: Date | null;
  now: Date;
}

export const roundCounter = (n: number) => Math.round(n * 1000) / 1000;

/** One rule on one vehicle: the next limits and whether they (or their notice) are reached. */
export function ruleStatus(r: MaintenanceStatusRow): MaintenanceRuleStatus {
  const km = r.odometer_km ?? 0;
  const hours = (r.engine_seconds ?? 0) / 3600;
  const nextKm = r.every_km ? (r.rec_km ?? 0) + r.every_km : null;
  const nextEngineHours = r.every_engine_hours ? (r.rec_hours ?? 0) + r.every_engine_hours : null;
  const now = r.now.getTime();
  const overdue =
    (nextKm !== null && km >= nextKm) ||
    (nextEngineHours !== null && hours >= nextEngineHours) ||
    (r.next_at !== null && now >= r.next_at.getTime());
  const due =
    overdue ||
    (nextKm !== null && km >= nextKm - r.notify_before_km) ||
    (nextEngineHours !== null && hours >= nextEngineHours - r.notify_before_engine_hours) ||
    (r.notify_at !== null && now >= r.notify_at.getTime());
  return {
    ruleId: r.rule_id,
    ruleName: r.rule_name,
    lastService:
      r.record_id && r.done_at
        ? { id: r.record_id, doneAt: r.done_at.toISOString(), odometerKm: r.rec_km, engineHours: r.rec_hours }
        : null,
    nextKm: nextKm === null ? null : roundCounter(nextKm),
    nextEngineHours: nextEngineHours === null ? null : roundCounter(nextEngineHours),
    nextAt: r.next_at?.toISOString() ?? null,
    due,
    overdue,
  };
}

export function maintenanceVehicles(rows: MaintenanceStatusRow[]): VehicleMaintenance[] {
  const out = new Map<string, VehicleMaintenance>();
  for (const r of rows) {
    let v = out.get(r.vehicle_id);
    if (!v) {
      v = {
        vehicleId: r.vehicle_id,
        vehicleName: r.vehicle_name,
        odometerKm: r.odometer_km === null ? null : roundCounter(r.odometer_km),
        engineHours: r.engine_seconds === null ? null : roundCounter(r.engine_seconds / 3600),
        countedAt: r.counted_at?.toISOString() ?? null,
        rules: [],
      };
      out.set(r.vehicle_id, v);
    }
    v.rules.push(ruleStatus(r));
  }
  return [...out.values()];
}

/** Overdue first, then due, then the rest; by name within each (the query's order is kept). */
export const maintenanceUrgency = (v: VehicleMaintenance) =>
  v.rules.some((r) => r.overdue) ? 0 : v.rules.some((r) => r.due) ? 1 : 2;

/**
 * The maintenance status of the organization's vehicles among `vehicleIds` (empty: every vehicle),
 * overdue first, then due, then the rest; by name within each. A vehicle no rule applies to is left out.
 */
export async function readMaintenanceStatus(
  pool: Pool,
  org: string,
  vehicleIds: string[],
): Promise<VehicleMaintenance[]> {
  const { rows } = await pool.query<MaintenanceStatusRow>(
    MAINTENANCE_STATUS_SQL('(cardinality($2::uuid[]) = 0 OR v.id = ANY($2::uuid[]))'),
    [org, vehicleIds],
  );
  return maintenanceVehicles(rows)
    .map((v, i) => ({ v, i }))
    .sort((a, b) => maintenanceUrgency(a.v) - maintenanceUrgency(b.v) || a.i - b.i)
    .map(({ v }) => v);
}
