import { z } from 'zod';
import { textProblem } from './storable';

/** Days of data kept: a positive whole number, or null to keep everything. */
const retentionDays = z.number().int().min(1).max(36_500).nullable();

/** A name PostgreSQL can store (no NUL, no lone surrogate), trimmed, up to 100 characters. */
const storableName = (min: number) =>
  z
    .string()
    .trim()
    .min(min)
    .max(100)
    .superRefine((value, ctx) => {
      const problem = textProblem(value);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    });
const organizationName = storableName(1);

export const Organization = z.object({
  id: z.uuid(),
  name: z.string(),
  slug: z.string(),
  /** Positions older than this many days are deleted by the worker; null keeps them all. */
  positionRetentionDays: z.number().int().nullable(),
  /** Events older than this many days are deleted by the worker; null keeps them all. */
  eventRetentionDays: z.number().int().nullable(),
  /**
   * The OsmAnd port (Traccar Client) also requires the vehicle's device token (`?token=` or HTTP Basic
   * password), not only its identifier. Off by default, as Traccar Client sends only the identifier.
   */
  osmandTokenRequired: z.boolean(),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Organization = z.infer<typeof Organization>;

export const OrganizationUpdate = z
  .object({
    name: organizationName.optional(),
    positionRetentionDays: retentionDays.optional(),
    eventRetentionDays: retentionDays.optional(),
    osmandTokenRequired: z.boolean().optional(),
  })
  .strict();
export type OrganizationUpdate = z.infer<typeof OrganizationUpdate>;

/** Lower-case letters, digits and single dashes: the organization's short name in URLs and logs. */
export const OrganizationSlug = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'lower-case letters, digits and single dashes, such as acme-logistics');

/**
 * A new organization and its first admin (platform administration: the CLI and
 * POST /api/v1/platform/organizations). Without `adminPassword` one is generated and shown once.
 */
export const OrganizationCreate = z
  .object({
    name: organizationName,
    /** Derived from the name when absent (with a number appended if taken). */
    slug: OrganizationSlug.optional(),
    adminEmail: z.email().max(254),
    adminName: storableName(0).default(''),
    adminPassword: z.string().min(10, 'at least 10 characters').max(1024).optional(),
  })
  .strict();
export type OrganizationCreate = z.infer<typeof OrganizationCreate>;

export const OrganizationCreated = z.object({
  organization: Organization,
  admin: z.object({ id: z.uuid(), email: z.string(), role: z.literal('admin') }),
  /** Present only when the server generated the password: shown this once, never stored in clear. */
  generatedPassword: z.string().optional(),
});
export type OrganizationCreated = z.infer<typeof OrganizationCreated>;

export const PlatformOrganization = Organization.extend({
  users: z.number().int(),
  vehicles: z.number().int(),
});
export type PlatformOrganization = z.infer<typeof PlatformOrganization>;

export const PlatformOrganizationList = z.object({ items: z.array(PlatformOrganization) });
export type PlatformOrganizationList = z.infer<typeof PlatformOrganizationList>;
