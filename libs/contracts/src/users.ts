import { z } from 'zod';
import { PASSWORD_MIN_LENGTH, Role } from './auth';
import { GroupIds } from './groups';

export const User = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: Role,
  disabled: z.boolean(),
  /** The vehicle groups the user is limited to (and every group below them); empty: the whole organization. */
  groupIds: z.array(z.uuid()).optional(),
  createdAt: z.string(),
});
export type User = z.infer<typeof User>;

export const UserListQuery = z
  .object({
    q: z.string().max(100).optional(),
    role: Role.optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type UserListQuery = z.infer<typeof UserListQuery>;

export const UserList = z.object({
  items: z.array(User),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type UserList = z.infer<typeof UserList>;

export const InvitationRequest = z
  .object({ email: z.email().max(254), name: z.string().trim().max(100).default(''), role: Role })
  .strict();
export type InvitationRequest = z.infer<typeof InvitationRequest>;

/** The invitation token is shown once: the admin passes it (or a link with it) to the invitee. */
export const Invitation = z.object({
  id: z.uuid(),
  email: z.string(),
  role: Role,
  expiresAt: z.string(),
  token: z.string(),
});
export type Invitation = z.infer<typeof Invitation>;

export const AcceptInvitationRequest = z
  .object({
    token: z.string().min(10).max(200),
    password: z.string().min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`).max(1024),
    name: z.string().trim().max(100).optional(),
  })
  .strict();
export type AcceptInvitationRequest = z.infer<typeof AcceptInvitationRequest>;

export const UserUpdate = z
  .object({
    role: Role.optional(),
    name: z.string().trim().max(100).optional(),
    disabled: z.boolean().optional(),
    /**
     * Limit the user (operator or viewer) to these vehicle groups and everything below them; `[]`: the
     * whole organization again. Admins always see the whole organization, so an admin cannot be limited.
     */
    groupIds: GroupIds.optional(),
  })
  .strict();
export type UserUpdate = z.infer<typeof UserUpdate>;
