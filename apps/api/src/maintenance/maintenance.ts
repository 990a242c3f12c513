import {
  maintenanceRuleProblems,
  type MaintenanceDoneInput,
  type MaintenanceRecord,
  type MaintenanceRecordList,
  type MaintenanceRecordListQuery,
  type MaintenanceRule,
  type MaintenanceRuleInput,
  type MaintenanceRuleList,
  type MaintenanceRuleUpdate,
  type MaintenanceStatusList,
  type MaintenanceStatusQuery,
  type VehicleMaintenance,
} from '@fleet/contracts';
import { createDb, GROUP_SUBTREE_SQL, schema, type Database, type Pool } from '@fleet/db';
import {
  MAINTENANCE_STATUS_SQL,
  maintenanceUrgency,
  maintenanceVehicles,
  roundCounter,
  type MaintenanceStatusRow,
} from '@fleet/reports';
import { and, eq } from 'drizzle-orm';
import { badRequest, invalid, notFound } from '../errors';
import type { VehicleScope } from '../groups/scope';
import { isUuid } from '../sql';

const { maintenanceRules, maintenanceRecords, vehicles, vehicleGroups } = schema;

type RuleRow = typeof maintenanceRules.$inferSelect;

const toRule = ({ organizationId: _org, createdAt, updatedAt, ...r }: RuleRow): MaintenanceRule => ({
  ...r,
  createdAt: createdAt.toISOString(),
  updatedAt: updatedAt.toISOString(),
});

/**
 * Maintenance rules, each vehicle's status against them, and the service records. Every query is
 * scoped by organization; the routes about a vehicle find it first through the vehicles' own lookup,
 * so this class is only given vehicles the caller may see.
 */
export class Maintenance {
  private readonly db: Database;

  constructor(private readonly pool: Pool) {
    this.db = createDb(pool);
  }

  async listRules(org: string): Promise<MaintenanceRuleList> {
    const rows = await this.db
      .select()
      .from(maintenanceRules)
      .where(eq(maintenanceRules.organizationId, org))
      .orderBy(maintenanceRules.name, maintenanceRules.id);
    return { items: rows.map(toRule) };
  }

  async getRule(org: string, id: string): Promise<MaintenanceRule> {
    return toRule(await this.ruleRow(org, id));
  }

  async createRule(org: string, input: MaintenanceRuleInput): Promise<MaintenanceRule> {
    await this.checkTarget(org, input.vehicleId ?? null, input.groupId ?? null);
    const [row] = await this.db
      .insert(maintenanceRules)
      .values({
        organizationId: org,
        name: input.name,
        vehicleId: input.vehicleId ?? null,
        groupId: input.groupId ?? null,
        everyKm: input.everyKm ?? null,
        everyEngineHours: input.everyEngineHours ?? null,
        everyMonths: input.everyMonths ?? null,
        notifyBeforeKm: input.notifyBeforeKm ?? 0,
        notifyBeforeEngineHours: input.notifyBeforeEngineHours ?? 0,
        notifyBeforeDays: input.notifyBeforeDays ?? 0,
        enabled: input.enabled ?? true,
      })
      .returning();
    return toRule(row);
  }

  async updateRule(org: string, id: string, patch: MaintenanceRuleUpdate): Promise<MaintenanceRule> {
    const current = await this.ruleRow(org, id);
    const merged = { ...current, ...patch };
    const problems = maintenanceRuleProblems(merged);
    if (problems.length) throw invalid('invalid maintenance rule', problems);
    if (patch.vehicleId !== undefined || patch.groupId !== undefined)
      await this.checkTarget(org, merged.vehicleId ?? null, merged.groupId ?? null);
    const [row] = await this.db
      .update(maintenanceRules)
      .set({ ...patch, updatedAt: new Date() })
      .where(and(eq(maintenanceRules.organizationId, org), eq(maintenanceRules.id, id)))
      .returning();
    if (!row) throw notFound('rule');
    return toRule(row);
  }

  async removeRule(org: string, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('rule');
    const deleted = await this.db
      .delete(maintenanceRules)
      .where(and(eq(maintenanceRules.organizationId, org), eq(maintenanceRules.id, id)))
      .returning({ id: maintenanceRules.id });
    if (!deleted.length) throw notFound('rule');
  }

  /** The scope's vehicles that rules apply to (of a group and the groups below, if given). */
  async status(scope: VehicleScope, q: MaintenanceStatusQuery): Promise<MaintenanceStatusList> {
    const inScope = '($2::uuid[] IS NULL OR v.group_id = ANY($2::uuid[]))';
    const { rows } = q.groupId
      ? await this.pool.query<MaintenanceStatusRow>(
          MAINTENANCE_STATUS_SQL(`${inScope} AND v.group_id IN (${GROUP_SUBTREE_SQL('$1', '$3')})`),
          [scope.org, scope.groupIds, [q.groupId]],
        )
      : await this.pool.query<MaintenanceStatusRow>(MAINTENANCE_STATUS_SQL(inScope), [scope.org, scope.groupIds]);
    const items = maintenanceVehicles(rows)
      .map((v, i) => ({ v, i }))
      .sort((a, b) => maintenanceUrgency(a.v) - maintenanceUrgency(b.v) || a.i - b.i)
      .map((x) => x.v);
    return { items };
  }

  /** One vehicle's status (found by the caller's vehicle lookup first). */
  async vehicleStatus(org: string, vehicle: { id: string; name: string }): Promise<VehicleMaintenance> {
    const { rows } = await this.pool.query<MaintenanceStatusRow>(MAINTENANCE_STATUS_SQL('v.id = $2'), [
      org,
      vehicle.id,
    ]);
    const counters = await this.pool.query<{ odometer_km: number; engine_seconds: number; ts: Date }>(
      'SELECT odometer_km, engine_seconds, ts FROM vehicle_counters WHERE vehicle_id = $1',
      [vehicle.id],
    );
    const c = counters.rows[0];
    return (
      maintenanceVehicles(rows)[0] ?? {
        vehicleId: vehicle.id,
        vehicleName: vehicle.name,
        odometerKm: c ? roundCounter(c.odometer_km) : null,
        engineHours: c ? roundCounter(c.engine_seconds / 3600) : null,
        countedAt: c?.ts.toISOString() ?? null,
        rules: [],
      }
    );
  }

  /**
   * A rule's service done on a vehicle: recorded with the vehicle's counters now (null before its
   * first counted fix), which start the rule's next cycle (the worker's maintenance_due follows it).
   */
  async markDone(
    org: string,
    vehicleId: string,
    input: MaintenanceDoneInput,
    userId: string | null,
  ): Promise<MaintenanceRecord> {
    const doneAt = input.doneAt ? new Date(input.doneAt) : new Date();
    if (doneAt.getTime() > Date.now() + 60_000)
      throw badRequest('doneAt is in the future', [{ path: 'doneAt', message: 'not after now' }]);
    const applies = await this.pool.query(
      `SELECT 1 FROM (${MAINTENANCE_STATUS_SQL('v.id = $2')}) a WHERE a.rule_id = $3`,
      [org, vehicleId, input.ruleId],
    );
    if (!applies.rowCount) throw notFound('maintenance rule for this vehicle');
    const { rows } = await this.pool.query<{ id: string }>(
      `INSERT INTO maintenance_records (organization_id, vehicle_id, rule_id, done_at, odometer_km, engine_hours, note, user_id)
       SELECT $1, $2, $3, $4, c.odometer_km, c.engine_seconds / 3600, $5, $6
         FROM (SELECT 1) one LEFT JOIN vehicle_counters c ON c.vehicle_id = $2
       RETURNING id`,
      [org, vehicleId, input.ruleId, doneAt, input.note, userId],
    );
    const record = (await this.records(org, vehicleId, { limit: 1, offset: 0 }, rows[0].id)).items[0];
    return record;
  }

  async records(
    org: string,
    vehicleId: string,
    q: MaintenanceRecordListQuery,
    only?: string,
  ): Promise<MaintenanceRecordList> {
    const [{ rows }, total] = await Promise.all([
      this.pool.query<{
        id: string;
        vehicle_id: string;
        rule_id: string | null;
        rule_name: string | null;
        done_at: Date;
        odometer_km: number | null;
        engine_hours: number | null;
        note: string;
        user_id: string | null;
        user_name: string | null;
        created_at: Date;
      }>(
        `SELECT m.id, m.vehicle_id, m.rule_id, r.name AS rule_name, m.done_at, m.odometer_km, m.engine_hours, m.note,
                m.user_id, u.name AS user_name, m.created_at
           FROM maintenance_records m
           LEFT JOIN maintenance_rules r ON r.id = m.rule_id
           LEFT JOIN users u ON u.id = m.user_id
          WHERE m.organization_id = $1 AND m.vehicle_id = $2 AND ($5::uuid IS NULL OR m.id = $5)
          ORDER BY m.done_at DESC, m.created_at DESC, m.id LIMIT $3 OFFSET $4`,
        [org, vehicleId, q.limit, q.offset, only ?? null],
      ),
      this.db.$count(
        maintenanceRecords,
        and(eq(maintenanceRecords.organizationId, org), eq(maintenanceRecords.vehicleId, vehicleId)),
      ),
    ]);
    return {
      items: rows.map((r) => ({
        id: r.id,
        vehicleId: r.vehicle_id,
        ruleId: r.rule_id,
        ruleName: r.rule_name,
        doneAt: r.done_at.toISOString(),
        odometerKm: r.odometer_km === null ? null : roundCounter(r.odometer_km),
        engineHours: r.engine_hours === null ? null : roundCounter(r.engine_hours),
        note: r.note,
        userId: r.user_id,
        userName: r.user_name,
        createdAt: r.created_at.toISOString(),
      })),
      total,
      limit: q.limit,
      offset: q.offset,
    };
  }

  private async ruleRow(org: string, id: string): Promise<RuleRow> {
    if (!isUuid(id)) throw notFound('rule');
    const [row] = await this.db
      .select()
      .from(maintenanceRules)
      .where(and(eq(maintenanceRules.organizationId, org), eq(maintenanceRules.id, id)));
    if (!row) throw notFound('rule');
    return row;
  }

  /** A rule's vehicle or group must be the organization's. */
  private async checkTarget(org: string, vehicleId: string | null, groupId: string | null): Promise<void> {
    if (vehicleId) {
      const [v] = await this.db
        .select({ id: vehicles.id })
        .from(vehicles)
        .where(and(eq(vehicles.organizationId, org), eq(vehicles.id, vehicleId)));
      if (!v) throw notFound('vehicle');
    }
    if (groupId) {
      const [g] = await this.db
        .select({ id: vehicleGroups.id })
        .from(vehicleGroups)
        .where(and(eq(vehicleGroups.organizationId, org), eq(vehicleGroups.id, groupId)));
      if (!g) throw notFound('group');
    }
  }
}
