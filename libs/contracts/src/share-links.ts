import { z } from 'zod';

/** Longest life of a share link: a link is a public credential, so it must end. */
export const SHARE_LINK_MAX_MINUTES = 30 * 24 * 60;
/** When neither `expiresInMinutes` nor `expiresAt` is given. */
export const SHARE_LINK_DEFAULT_MINUTES = 24 * 60;

const uuidList = z
  .string()
  .max(37 * 500)
  .transform((s, ctx) => {
    const ids = s
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean);
    const bad = ids.find((id) => !z.uuid().safeParse(id).success);
    if (bad !== undefined) ctx.addIssue({ code: 'custom', message: `not a vehicle id: ${bad.slice(0, 40)}` });
    if (ids.length > 500) ctx.addIssue({ code: 'custom', message: 'at most 500 vehicle ids' });
    return ids;
  });

/** Query of `GET /api/v1/live`. */
export const LiveStreamQuery = z
  .object({
    /** Comma-separated vehicle ids: only their positions and events. */
    vehicleIds: uuidList.optional(),
    /** Resume point when the `Last-Event-ID` header cannot be set; the header wins. */
    lastEventId: z.string().max(40).optional(),
    /** For EventSource clients, which cannot send headers. Prefer the header or the cookie. */
    access_token: z.string().max(4_096).optional(),
  })
  .strict();
export type LiveStreamQuery = z.infer<typeof LiveStreamQuery>;

/** Query of `GET /api/v1/shared/:token/live`. */
export const SharedStreamQuery = z.object({ lastEventId: z.string().max(40).optional() }).strict();

export const ShareLinkInput = z
  .object({
    name: z.string().trim().max(100).default(''),
    /** Life of the link from now, up to 30 days (default 24 hours). */
    expiresInMinutes: z.number().int().min(1).max(SHARE_LINK_MAX_MINUTES).optional(),
    /** Or an end date (ISO 8601), in the future and within 30 days. */
    expiresAt: z.iso.datetime({ offset: true }).optional(),
  })
  .strict()
  .refine((v) => v.expiresInMinutes === undefined || v.expiresAt === undefined, {
    message: 'give expiresInMinutes or expiresAt, not both',
    path: ['expiresAt'],
  });
export type ShareLinkInput = z.infer<typeof ShareLinkInput>;

export const ShareLink = z.object({
  id: z.uuid(),
  vehicleId: z.uuid(),
  name: z.string(),
  expiresAt: z.string(),
  revokedAt: z.string().nullable(),
  createdAt: z.string(),
  createdBy: z.uuid().nullable(),
  status: z.enum(['active', 'expired', 'revoked']),
});
export type ShareLink = z.infer<typeof ShareLink>;

/** Answer of creation: the token (in `path`) is shown this once; only its hash is stored. */
export const ShareLinkCreated = z.object({
  shareLink: ShareLink,
  token: z.string(),
  /** The public read endpoint; its live stream is `${path}/live`. */
  path: z.string(),
});
export type ShareLinkCreated = z.infer<typeof ShareLinkCreated>;

export const ShareLinkList = z.object({ items: z.array(ShareLink) });
export type ShareLinkList = z.infer<typeof ShareLinkList>;

/** What a share link shows of a fix: where and how fast, nothing about the device. */
export const SharedPosition = z.object({
  ts: z.string(),
  lat: z.number(),
  lon: z.number(),
  speedKmh: z.number().nullable(),
  heading: z.number().nullable(),
});
export type SharedPosition = z.infer<typeof SharedPosition>;

export const SharedVehicle = z.object({
  vehicle: z.object({ name: z.string() }),
  position: SharedPosition.nullable(),
  expiresAt: z.string(),
});
export type SharedVehicle = z.infer<typeof SharedVehicle>;
