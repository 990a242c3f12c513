import { z } from 'zod';

/** Days of data kept: a positive whole number, or null to keep everything. */
const retentionDays = z.number().int().min(1).max(36_500).nullable();

export const Organization = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  /** Positions older than this many days are deleted by the worker; null keeps them all. */
  positionRetentionDays: z.number().int().nullable(),
  /** Events older than this many days are deleted by the worker; null keeps them all. */
  eventRetentionDays: z.number().int().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Organization = z.infer<typeof Organization>;

export const OrganizationUpdate = z
  .object({
    name: z.string().trim().min(1).max(100).optional(),
    positionRetentionDays: retentionDays.optional(),
    eventRetentionDays: retentionDays.optional(),
  })
  .strict();
export type OrganizationUpdate = z.infer<typeof OrganizationUpdate>;
