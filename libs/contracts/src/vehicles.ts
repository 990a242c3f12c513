import { z } from 'zod';
import { storableAsReal } from './storable';

/** A vehicle group id filter: the group and every group below it. */
const groupFilter = z.uuid().optional().describe('only vehicles of this group and of the groups below it');

/** Bounds of a vehicle's fields, for the API's schema and the apps' forms (e.g. an input's maxLength). */
export const VEHICLE_LIMITS = {
  nameMax: 100,
  plateMax: 20,
  speedLimitMaxKmh: 400,
  identifierMin: 4,
  identifierMax: 128,
} as const;

const color = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'a colour such as #1f77b4');
/** What a tracker sends to name itself (its device identifier). */
export const DeviceIdentifier = z
  .string()
  .min(VEHICLE_LIMITS.identifierMin)
  .max(VEHICLE_LIMITS.identifierMax)
  .regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits and . _ : - only');
const identifier = DeviceIdentifier;

export const VehicleInput = z
  .object({
    name: z.string().trim().min(1).max(VEHICLE_LIMITS.nameMax),
    plate: z.string().trim().max(VEHICLE_LIMITS.plateMax).nullable().optional(),
    type: z.enum(['car', 'van', 'truck', 'bus', 'motorbike', 'bicycle', 'person', 'other']).default('car'),
    speedLimitKmh: z
      .number()
      .positive()
      .max(VEHICLE_LIMITS.speedLimitMaxKmh)
      // Stored as `real`: 1e-50 passes positive() but PostgreSQL refuses it.
      .refine(storableAsReal, 'too small to be stored (use null for no limit)')
      .nullable()
      .optional(),
    color: color.nullable().optional(),
    icon: z.string().max(40).nullable().optional(),
    attributes: z.record(z.string().max(64), z.unknown()).default({}),
    /** What the tracker sends; the server proposes a long random one when absent. */
    deviceIdentifier: identifier.optional(),
    /** Its group (one at most); null or absent: none. A user limited to groups can only choose among theirs. */
    groupId: z.uuid().nullable().optional(),
  })
  .strict();
export type VehicleInput = z.infer<typeof VehicleInput>;

export const VehicleUpdate = VehicleInput.partial()
  .extend({ attributes: z.record(z.string().max(64), z.unknown()).optional(), deviceDisabled: z.boolean().optional() })
  .strict();
export type VehicleUpdate = z.infer<typeof VehicleUpdate>;

export const Vehicle = z.object({
  id: z.uuid(),
  name: z.string(),
  plate: z.string().nullable(),
  type: z.string(),
  speedLimitKmh: z.number().nullable(),
  color: z.string().nullable(),
  icon: z.string().nullable(),
  attributes: z.record(z.string(), z.unknown()),
  deviceIdentifier: z.string(),
  deviceDisabled: z.boolean(),
  /** Its vehicle group; null: none. Always sent by this server (optional for clients of older ones). */
  groupId: z.uuid().nullable().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Vehicle = z.infer<typeof Vehicle>;

/** Answer of creation and token regeneration: the device token is shown this once. */
export const VehicleWithToken = z.object({ vehicle: Vehicle, deviceToken: z.string() });
export type VehicleWithToken = z.infer<typeof VehicleWithToken>;

export const VehicleListQuery = z
  .object({
    q: z.string().max(100).optional(),
    type: z.string().max(20).optional(),
    groupId: groupFilter,
    sort: z.enum(['name', '-name', 'createdAt', '-createdAt']).default('name'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type VehicleListQuery = z.infer<typeof VehicleListQuery>;

export const VehicleList = z.object({
  items: z.array(Vehicle),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type VehicleList = z.infer<typeof VehicleList>;
