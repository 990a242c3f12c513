import { z } from 'zod';
import { textProblem } from './storable';

// What the mobile app and the server share: the provisioning QR code, the tracker settings an admin
// sets, and the push-token registration.

// ---------------------------------------------------------------------------------------------------
// Provisioning

/** The scheme our app registers: a QR scanned by the phone's camera opens the app on the payload. */
export const PROVISIONING_SCHEME = 'fleet-tracker';
export const PROVISIONING_VERSION = 1;

/**
 * What the "Phone setup" page hands our tracker app to report as a vehicle. Encoded as a URL
 * (`fleet-tracker://provision?v=1&server=…&token=…&vehicle=…&vehicleId=…`, see encodeProvisioning):
 * the system camera opens the app on it, and it reads as what it is when typed or pasted.
 */
export const TrackerProvisioning = z.object({
  version: z.literal(PROVISIONING_VERSION),
  /** The API's origin (https://fleet.example.com): the app posts to its declared paths. */
  serverUrl: z
    .string()
    .max(2_000)
    .refine((value) => {
      try {
        const url = new URL(value);
        return (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password;
      } catch {
        return false;
      }
    }, 'an http(s) URL without credentials'),
  /** The vehicle's device token (Bearer on POST /api/v1/positions and GET /api/v1/device/settings). */
  deviceToken: z
    .string()
    .min(8)
    .max(200)
    .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces'),
  vehicleName: z
    .string()
    .max(100)
    .refine((v) => textProblem(v) === undefined, 'not storable text'),
  vehicleId: z.uuid(),
});
export type TrackerProvisioning = z.infer<typeof TrackerProvisioning>;

const FIELD = { serverUrl: 'server', deviceToken: 'token', vehicleName: 'vehicle', vehicleId: 'vehicleId' } as const;

/** The provisioning payload as the URL the QR code holds. */
export function encodeProvisioning(payload: Omit<TrackerProvisioning, 'version'> & { version?: 1 }): string {
  const value = TrackerProvisioning.parse({ ...payload, version: PROVISIONING_VERSION });
  const query = new URLSearchParams({ v: String(value.version) });
  for (const [field, name] of Object.entries(FIELD)) query.set(name, value[field as keyof typeof FIELD]);
  return `${PROVISIONING_SCHEME}://provision?${query.toString()}`;
}

export type ProvisioningResult =
  | { ok: true; value: TrackerProvisioning }
  | { ok: false; error: 'not_provisioning' | 'unsupported_version' | 'invalid'; message: string };

/** Reads a scanned or typed provisioning URL; says why it cannot be used rather than throwing. */
export function decodeProvisioning(text: string): ProvisioningResult {
  const trimmed = text.trim();
  const prefix = `${PROVISIONING_SCHEME}://provision?`;
  if (!trimmed.toLowerCase().startsWith(prefix))
    return { ok: false, error: 'not_provisioning', message: `not a ${PROVISIONING_SCHEME}://provision link` };
  const query = new URLSearchParams(trimmed.slice(prefix.length));
  const version = Number(query.get('v'));
  if (version !== PROVISIONING_VERSION)
    return {
      ok: false,
      error: 'unsupported_version',
      message: `provisioning version ${query.get('v') ?? '(none)'} is not supported; update the app`,
    };
  const raw: Record<string, unknown> = { version };
  for (const [field, name] of Object.entries(FIELD)) raw[field] = query.get(name) ?? undefined;
  const parsed = TrackerProvisioning.safeParse(raw);
  if (!parsed.success)
    return {
      ok: false,
      error: 'invalid',
      message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '),
    };
  return { ok: true, value: parsed.data };
}

// ---------------------------------------------------------------------------------------------------
// Tracker settings

/**
 * How our tracker app samples and uploads. Defaults below; an admin overrides any of them for the
 * organization, and for one vehicle over that (GET /api/v1/device/settings gives the result).
 */
export const TRACKER_SETTINGS_LIMITS = {
  /** Metres moved before a new fix is kept (while moving). */
  distanceFilterMeters: { min: 1, max: 10_000, default: 50 },
  /** Seconds between fixes kept while moving, whatever the distance. */
  timeIntervalSeconds: { min: 1, max: 3_600, default: 30 },
  /** A turn of this many degrees keeps a fix at once (corners drawn as corners). */
  headingChangeDegrees: { min: 1, max: 180, default: 30 },
  /** Seconds between fixes while the phone charges (in a cradle: power is not a concern). */
  chargingIntervalSeconds: { min: 1, max: 3_600, default: 10 },
  /** Fixes whose horizontal accuracy is worse than this many metres are dropped. */
  accuracyFilterMeters: { min: 5, max: 10_000, default: 100 },
  /**
   * Seconds between fixes sent while stationary: below the server's DEVICE_OFFLINE_MINUTES, so a parked
   * vehicle is not reported offline (the API refuses a value that is not).
   */
  heartbeatSeconds: { min: 30, max: 7 * 24 * 3_600, default: 300 },
  /** Fixes per upload request (the batch route takes up to 1,000). */
  uploadBatchSize: { min: 1, max: 1_000, default: 500 },
  /** Seconds between uploads while fixes are queued and the network is up. */
  uploadIntervalSeconds: { min: 1, max: 3_600, default: 30 },
} as const;
type SettingName = keyof typeof TRACKER_SETTINGS_LIMITS;
export const TRACKER_SETTING_NAMES = Object.keys(TRACKER_SETTINGS_LIMITS) as SettingName[];

const setting = (name: SettingName) =>
  z.number().int().min(TRACKER_SETTINGS_LIMITS[name].min).max(TRACKER_SETTINGS_LIMITS[name].max);

const shape = Object.fromEntries(TRACKER_SETTING_NAMES.map((n) => [n, setting(n)])) as Record<SettingName, z.ZodNumber>;

/** The full settings the app applies. */
export const TrackerSettings = z.object(shape);
export type TrackerSettings = z.infer<typeof TrackerSettings>;

export const DEFAULT_TRACKER_SETTINGS: TrackerSettings = Object.fromEntries(
  TRACKER_SETTING_NAMES.map((n) => [n, TRACKER_SETTINGS_LIMITS[n].default]),
) as TrackerSettings;

/** What an admin sets at one level: any subset; what is absent comes from the level below. */
export const TrackerSettingsOverride = TrackerSettings.partial().strict();
export type TrackerSettingsOverride = z.infer<typeof TrackerSettingsOverride>;

/**
 * The effective settings: defaults, then each level's overrides in order (organization, then vehicle).
 * Values that are not valid any more (a stored value outside today's limits) are ignored.
 */
export function resolveTrackerSettings(...levels: Array<unknown>): TrackerSettings {
  const out: TrackerSettings = { ...DEFAULT_TRACKER_SETTINGS };
  for (const level of levels) {
    if (level === null || typeof level !== 'object') continue;
    for (const name of TRACKER_SETTING_NAMES) {
      const value = (level as Record<string, unknown>)[name];
      if (value !== undefined && setting(name).safeParse(value).success) out[name] = value as number;
    }
  }
  return out;
}

/** One level of tracker settings as the admin endpoints show it. */
export const TrackerSettingsLevel = z.object({
  /** What is set at this level (null: a vehicle without an override). */
  overrides: TrackerSettingsOverride.nullable(),
  /** What applies with this level (and the ones below it) resolved. */
  effective: TrackerSettings,
  /** The server's DEVICE_OFFLINE_MINUTES: heartbeatSeconds must stay below it × 60. */
  offlineMinutes: z.number().int(),
});
export type TrackerSettingsLevel = z.infer<typeof TrackerSettingsLevel>;

/** What GET /api/v1/device/settings answers the vehicle's phone. */
export const DeviceSettings = z.object({
  vehicleId: z.uuid(),
  vehicleName: z.string(),
  tracker: TrackerSettings,
});
export type DeviceSettings = z.infer<typeof DeviceSettings>;

// ---------------------------------------------------------------------------------------------------
// Push notifications

/** The event types a user can be notified of on the phone (the worker's push text words each: push/text.ts). */
export const PushEventType = z.enum([
  'geofence_enter',
  'geofence_exit',
  'overspeed',
  'device_offline',
  'maintenance_due',
  'driver_changed',
]);
export type PushEventType = z.infer<typeof PushEventType>;

/** Languages of the notification text (the phone's language, sent at registration). */
export const PushLanguage = z.enum(['en', 'es']);
export type PushLanguage = z.infer<typeof PushLanguage>;

/** An Expo push token as expo-notifications gives it. */
export const ExpoPushToken = z
  .string()
  .max(200)
  .regex(/^Expo(?:nent)?PushToken\[[A-Za-z0-9_-]{1,150}\]$/, 'an Expo push token such as ExponentPushToken[…]');

export const PushTokenRegistration = z
  .object({
    token: ExpoPushToken,
    /** The event types to be notified of; empty: none (the registration is kept). */
    eventTypes: z.array(PushEventType).max(10),
    language: PushLanguage.default('en'),
  })
  .strict();
export type PushTokenRegistration = z.infer<typeof PushTokenRegistration>;

export const PushTokenUnregistration = z.object({ token: ExpoPushToken }).strict();
export type PushTokenUnregistration = z.infer<typeof PushTokenUnregistration>;

export const PushTokenRegistered = z.object({
  token: z.string(),
  eventTypes: z.array(PushEventType),
  language: PushLanguage,
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type PushTokenRegistered = z.infer<typeof PushTokenRegistered>;
