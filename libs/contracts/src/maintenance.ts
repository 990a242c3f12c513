import { z } from 'zod';

/** Bounds of maintenance fields, for the API's schema and the web's forms. */
export const MAINTENANCE_LIMITS = {
  nameMax: 100,
  noteMax: 2000,
  /** Largest interval accepted, per unit (a typo guard, not a rule of mechanics). */
  kmMax: 10_000_000,
  engineHoursMax: 1_000_000,
  monthsMax: 240,
  daysMax: 3650,
} as const;

const positive = (max: number) => z.number().positive().max(max);
const notice = (max: number) => z.number().min(0).max(max);

const ruleFields = {
  name: z.string().trim().min(1).max(MAINTENANCE_LIMITS.nameMax),
  /** The rule's vehicle; with neither vehicleId nor groupId it applies to the whole organization. */
  vehicleId: z.uuid().nullable().optional(),
  /** The rule's group (and every group below it). */
  groupId: z.uuid().nullable().optional(),
  everyKm: positive(MAINTENANCE_LIMITS.kmMax).nullable().optional(),
  everyEngineHours: positive(MAINTENANCE_LIMITS.engineHoursMax).nullable().optional(),
  everyMonths: z.number().int().positive().max(MAINTENANCE_LIMITS.monthsMax).nullable().optional(),
  /** How far ahead of the limit `maintenance_due` is emitted (0: at the limit). */
  notifyBeforeKm: notice(MAINTENANCE_LIMITS.kmMax).optional(),
  notifyBeforeEngineHours: notice(MAINTENANCE_LIMITS.engineHoursMax).optional(),
  notifyBeforeDays: z.number().int().min(0).max(MAINTENANCE_LIMITS.daysMax).optional(),
  enabled: z.boolean().optional(),
};

/** Problems of a rule as a whole (the fields' own bounds aside), for create and for update merged. */
export function maintenanceRuleProblems(r: {
  vehicleId?: string | null;
  groupId?: string | null;
  everyKm?: number | null;
  everyEngineHours?: number | null;
  everyMonths?: number | null;
}): Array<{ path: string; message: string }> {
  const out: Array<{ path: string; message: string }> = [];
  if (r.vehicleId && r.groupId)
    out.push({ path: 'groupId', message: 'a rule is for a vehicle or for a group, not both' });
  if (!r.everyKm && !r.everyEngineHours && !r.everyMonths)
    out.push({ path: 'everyKm', message: 'give at least one of everyKm, everyEngineHours, everyMonths' });
  return out;
}

export const MaintenanceRuleInput = z
  .object(ruleFields)
  .strict()
  .superRefine((r, ctx) => {
    for (const p of maintenanceRuleProblems(r)) ctx.addIssue({ code: 'custom', path: [p.path], message: p.message });
  });
export type MaintenanceRuleInput = z.infer<typeof MaintenanceRuleInput>;

export const MaintenanceRuleUpdate = z.object(ruleFields).partial().strict();
export type MaintenanceRuleUpdate = z.infer<typeof MaintenanceRuleUpdate>;

export const MaintenanceRule = z.object({
  id: z.uuid(),
  name: z.string(),
  vehicleId: z.uuid().nullable(),
  groupId: z.uuid().nullable(),
  everyKm: z.number().nullable(),
  everyEngineHours: z.number().nullable(),
  everyMonths: z.number().int().nullable(),
  notifyBeforeKm: z.number(),
  notifyBeforeEngineHours: z.number(),
  notifyBeforeDays: z.number().int(),
  enabled: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type MaintenanceRule = z.infer<typeof MaintenanceRule>;

export const MaintenanceRuleList = z.object({ items: z.array(MaintenanceRule) });
export type MaintenanceRuleList = z.infer<typeof MaintenanceRuleList>;

/** Where one rule stands on one vehicle. */
export const MaintenanceRuleStatus = z.object({
  ruleId: z.uuid(),
  ruleName: z.string(),
  /** The last service of this rule on the vehicle (null: none recorded; counted from 0 km / 0 h and the rule's creation). */
  lastService: z
    .object({ id: z.uuid(), doneAt: z.string(), odometerKm: z.number().nullable(), engineHours: z.number().nullable() })
    .nullable(),
  /** The limits of the next service (null: the rule has no such interval). */
  nextKm: z.number().nullable(),
  nextEngineHours: z.number().nullable(),
  nextAt: z.string().nullable(),
  /** Within the notice of a limit (maintenance_due is emitted then). */
  due: z.boolean(),
  /** A limit itself reached. */
  overdue: z.boolean(),
});
export type MaintenanceRuleStatus = z.infer<typeof MaintenanceRuleStatus>;

/** A vehicle's counters (null before its first counted fix) and each rule that applies to it. */
export const VehicleMaintenance = z.object({
  vehicleId: z.uuid(),
  vehicleName: z.string(),
  odometerKm: z.number().nullable(),
  engineHours: z.number().nullable(),
  /** The newest fix counted. */
  countedAt: z.string().nullable(),
  rules: z.array(MaintenanceRuleStatus),
});
export type VehicleMaintenance = z.infer<typeof VehicleMaintenance>;

export const MaintenanceStatusQuery = z
  .object({
    /** Only the vehicles of this group (and the groups below). */
    groupId: z.uuid().optional(),
  })
  .strict();
export type MaintenanceStatusQuery = z.infer<typeof MaintenanceStatusQuery>;

/** The caller's vehicles with at least one rule: overdue first, then due, then by name. */
export const MaintenanceStatusList = z.object({ items: z.array(VehicleMaintenance) });
export type MaintenanceStatusList = z.infer<typeof MaintenanceStatusList>;

export const MaintenanceDoneInput = z
  .object({
    ruleId: z.uuid(),
    note: z.string().trim().max(MAINTENANCE_LIMITS.noteMax).default(''),
    /** ISO-8601, not in the future; default now. */
    doneAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();
export type MaintenanceDoneInput = z.infer<typeof MaintenanceDoneInput>;

export const MaintenanceRecord = z.object({
  id: z.uuid(),
  vehicleId: z.uuid(),
  ruleId: z.uuid().nullable(),
  /** Null once the rule is deleted. */
  ruleName: z.string().nullable(),
  doneAt: z.string(),
  odometerKm: z.number().nullable(),
  engineHours: z.number().nullable(),
  note: z.string(),
  userId: z.uuid().nullable(),
  userName: z.string().nullable(),
  createdAt: z.string(),
});
export type MaintenanceRecord = z.infer<typeof MaintenanceRecord>;

export const MaintenanceRecordListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type MaintenanceRecordListQuery = z.infer<typeof MaintenanceRecordListQuery>;

/** Newest first. */
export const MaintenanceRecordList = z.object({
  items: z.array(MaintenanceRecord),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type MaintenanceRecordList = z.infer<typeof MaintenanceRecordList>;
