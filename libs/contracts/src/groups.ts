import { z } from 'zod';

/** Bounds of vehicle groups, for the API's schema and the apps' forms. */
export const GROUP_LIMITS = {
  nameMax: 100,
  /** Groups one user may be limited to (each with everything below it). */
  scopeMax: 50,
  /** Groups per organization. */
  perOrganization: 1_000,
} as const;

/**
 * A vehicle group, nested (region → depot): `parentId` null at the top. Listed flat in tree order
 * (each group right after its parent, siblings by name) with its `depth`, so a client draws the tree
 * without sorting. A user limited to groups sees those groups and every group below them; a group
 * whose parent they cannot see is a root for them.
 */
export const VehicleGroup = z.object({
  id: z.uuid(),
  parentId: z.uuid().nullable(),
  name: z.string(),
  /** 0 for a group at the top (or whose parent the caller cannot see). */
  depth: z.number().int(),
  /** Vehicles directly in this group (not in its subgroups). */
  vehicleCount: z.number().int(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type VehicleGroup = z.infer<typeof VehicleGroup>;

export const VehicleGroupList = z.object({ items: z.array(VehicleGroup) });
export type VehicleGroupList = z.infer<typeof VehicleGroupList>;

const groupName = z.string().trim().min(1).max(GROUP_LIMITS.nameMax);

export const VehicleGroupInput = z
  .object({
    name: groupName,
    /** The group above it; null or absent: a top-level group. */
    parentId: z.uuid().nullable().optional(),
  })
  .strict();
export type VehicleGroupInput = z.infer<typeof VehicleGroupInput>;

/** Rename and/or move (a new `parentId`; null moves it to the top). */
export const VehicleGroupUpdate = z
  .object({ name: groupName.optional(), parentId: z.uuid().nullable().optional() })
  .strict();
export type VehicleGroupUpdate = z.infer<typeof VehicleGroupUpdate>;

/** The groups a user is limited to; empty: the whole organization. */
export const GroupIds = z
  .array(z.uuid())
  .max(GROUP_LIMITS.scopeMax)
  .refine((ids) => new Set(ids).size === ids.length, 'each group once');
