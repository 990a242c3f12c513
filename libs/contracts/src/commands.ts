import { z } from 'zod';

/** Bounds of a device command, for the API's schema and the web's form (the database checks them too). */
export const COMMAND_LIMITS = {
  textMax: 200,
  /** The longest device answer kept; the rest is cut. */
  responseMax: 4_000,
  /** Commands waiting to be sent to one vehicle at most: a reconnecting device gets them all at once. */
  queuedMax: 20,
} as const;

/**
 * The Redis names the API and the tracker gateway share. The gateway holding a device's connection
 * keeps `trackers:online:<vehicleId>` alive (value `<host>:<pid>`, 90 s TTL); the API publishes the
 * vehicle id on `commands:queued` after queueing a command. Both go through the client's `keyPrefix`
 * (ioredis prefixes keys, not channels: the channel name adds it by hand).
 */
export const trackerOnlineKey = (vehicleId: string) => `trackers:online:${vehicleId}`;
export const COMMANDS_QUEUED_CHANNEL = 'commands:queued';

export const CommandStatus = z.enum(['queued', 'sent', 'answered', 'failed', 'expired']);
export type CommandStatus = z.infer<typeof CommandStatus>;

/** Body of `POST /api/v1/vehicles/:id/commands`: the command as the device's manual writes it. */
export const CommandInput = z
  .object({
    text: z
      .string()
      .trim()
      .min(1, 'a command is needed')
      .max(COMMAND_LIMITS.textMax)
      .regex(/^[\x20-\x7e]+$/, 'printable ASCII characters only (what trackers accept)'),
  })
  .strict();
export type CommandInput = z.infer<typeof CommandInput>;

export const DeviceCommand = z.object({
  id: z.uuid(),
  vehicleId: z.uuid(),
  text: z.string(),
  status: CommandStatus,
  /** The device's answer once `answered`. */
  response: z.string().nullable(),
  /** Why it `failed` (not written to the device, or no answer in time). */
  error: z.string().nullable(),
  createdBy: z.uuid().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  answeredAt: z.string().nullable(),
  /** A command still queued at this time is never sent. */
  expiresAt: z.string(),
});
export type DeviceCommand = z.infer<typeof DeviceCommand>;

export const CommandListQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(20),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0),
  })
  .strict();
export type CommandListQuery = z.infer<typeof CommandListQuery>;

/** Newest first. */
export const CommandList = z.object({
  items: z.array(DeviceCommand),
  total: z.number().int(),
  limit: z.number().int(),
  offset: z.number().int(),
});
export type CommandList = z.infer<typeof CommandList>;
