import { z } from 'zod';

/** Bounds of a driver's fields, for the API's schema and the apps' forms. */
export const DRIVER_LIMITS = {
  nameMax: 100,
  licenceMax: 40,
  uniqueIdMax: 64,
  phoneMax: 40,
  notesMax: 2000,
} as const;

/**
 * The fix attribute trackers report a driver's identifier in (an RFID card or iButton key), the
 * name Traccar uses; every protocol decoder normalises to it.
 */
export const DRIVER_UNIQUE_ID_ATTRIBUTE = 'driverUniqueId';

/** What a tracker reports for a driver: matched exactly (iButton keys as 16 upper-case hex digits). */
export const DriverUniqueId = z
  .string()
  .trim()
  .min(1)
  .max(DRIVER_LIMITS.uniqueIdMax)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');

const optionalText = (max: number) => z.string().trim().max(max).nullable().optional();

export const DriverInput = z
  .object({
    name: z.string().trim().min(1).max(DRIVER_LIMITS.nameMax),
    licenceNumber: optionalText(DRIVER_LIMITS.licenceMax),
    /** YYYY-MM-DD. */
    licenceExpiresOn: z.iso.date().nullable().optional(),
    /** Null: assigned by hand only. Unique within the organization. */
    uniqueId: DriverUniqueId.nullable().optional(),
    phone: optionalText(DRIVER_LIMITS.phoneMax),
    notes: optionalText(DRIVER_LIMITS.notesMax),
  })
  .strict();
export type DriverInput = z.infer<typeof DriverInput>;

export const DriverUpdate = DriverInput.partial().strict();
export type DriverUpdate = z.infer<typeof DriverUpdate>;

export const Driver = z.object({
  id: z.uuid(),
  name: z.string(),
  licenceNumber: z.string().nullable(),
  licenceExpiresOn: z.string().nullable(),
  uniqueId: z.string().nullable(),
  phone: z.string().nullable(),
  notes: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Driver = z.infer<typeof Driver>;

export const DriverListQuery = z
  .object({
    /** Part of the name, licence number or identifier. */
    q: z.string().max(100).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type DriverListQuery = z.infer<typeof DriverListQuery>;

export const DriverList = z.object({
  items: z.array(Driver),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type DriverList = z.infer<typeof DriverList>;

/** `manual`: assigned by a person; `auto`: from the identifier a fix carried. */
export const DriverAssignmentSource = z.enum(['manual', 'auto']);
export type DriverAssignmentSource = z.infer<typeof DriverAssignmentSource>;

/** Who drove a vehicle from `startedAt` until `endedAt` (null: still driving). */
export const DriverAssignment = z.object({
  id: z.uuid(),
  vehicleId: z.uuid(),
  vehicleName: z.string(),
  driverId: z.uuid(),
  driverName: z.string(),
  startedAt: z.string(),
  endedAt: z.string().nullable(),
  source: DriverAssignmentSource,
});
export type DriverAssignment = z.infer<typeof DriverAssignment>;

/** A vehicle's current driver: the open assignment with its driver, or nulls. */
export const VehicleDriver = z.object({
  assignment: DriverAssignment.nullable(),
  driver: Driver.nullable(),
});
export type VehicleDriver = z.infer<typeof VehicleDriver>;

export const AssignDriverInput = z.object({ driverId: z.uuid() }).strict();
export type AssignDriverInput = z.infer<typeof AssignDriverInput>;

export const MAX_ASSIGNMENT_PAGE = 500;

export const DriverAssignmentListQuery = z
  .object({
    /** ISO-8601: assignments still running at or after. */
    from: z.iso.datetime({ offset: true }).optional(),
    /** ISO-8601: assignments started before. */
    to: z.iso.datetime({ offset: true }).optional(),
    limit: z.coerce.number().int().min(1).max(MAX_ASSIGNMENT_PAGE).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict()
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    path: ['to'],
    message: 'to must be after from',
  });
export type DriverAssignmentListQuery = z.infer<typeof DriverAssignmentListQuery>;

/** Newest first. */
export const DriverAssignmentList = z.object({
  items: z.array(DriverAssignment),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type DriverAssignmentList = z.infer<typeof DriverAssignmentList>;
