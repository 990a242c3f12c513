import { z } from 'zod';

export const Role = z.enum(['admin', 'operator', 'viewer']);
export type Role = z.infer<typeof Role>;

export const LoginRequest = z
  .object({
    email: z.email().max(254),
    password: z.string().min(1).max(1024),
    /** `mobile` gets the refresh token in the body; the web gets it as an httpOnly cookie. */
    client: z.enum(['web', 'mobile']).default('web'),
  })
  .strict();
export type LoginRequest = z.infer<typeof LoginRequest>;

export const Me = z.object({
  id: z.uuid(),
  email: z.string(),
  name: z.string(),
  role: Role,
  organization: z.object({ id: z.uuid(), name: z.string() }),
  /**
   * The vehicle groups this user is limited to (each with every group below it); empty: the whole
   * organization. Admins are never limited. Always sent by this server; optional for older ones.
   */
  groupIds: z.array(z.uuid()).optional(),
});
export type Me = z.infer<typeof Me>;

export const TokenResponse = z.object({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  /** Seconds until the access token expires. */
  expiresIn: z.number().int(),
  /** Present for mobile clients only. */
  refreshToken: z.string().optional(),
  user: Me,
});
export type TokenResponse = z.infer<typeof TokenResponse>;

export const RefreshRequest = z
  .object({ refreshToken: z.string().min(1).max(200).optional(), client: z.enum(['web', 'mobile']).default('web') })
  .strict();
export type RefreshRequest = z.infer<typeof RefreshRequest>;

/** The shortest password a user may choose. */
export const PASSWORD_MIN_LENGTH = 10;

export const PasswordChangeRequest = z
  .object({
    currentPassword: z.string().min(1).max(1024),
    newPassword: z.string().min(PASSWORD_MIN_LENGTH, `at least ${PASSWORD_MIN_LENGTH} characters`).max(1024),
    /** Who gets the fresh session that replaces every other (like LoginRequest's `client`). */
    client: z.enum(['web', 'mobile']).default('web'),
  })
  .strict();
export type PasswordChangeRequest = z.infer<typeof PasswordChangeRequest>;
