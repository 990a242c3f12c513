/**
 * How the phone samples and uploads, as one object so the server can supply it later (a device-token
 * route returning an organization's or vehicle's settings); every field has a default here.
 */
export interface TrackerSettings {
  /** A new fix is kept once the vehicle moved this far from the last kept one (metres). */
  minDistanceM: number;
  /** Never more often than this, while on battery (seconds). */
  minIntervalS: number;
  /** A change of direction this large keeps the fix (corners drawn as corners), when moving (degrees). */
  headingChangeDeg: number;
  /** Below this speed the vehicle counts as stationary: heading is noise (km/h). */
  stationarySpeedKmh: number;
  /** While charging (in a cradle) the phone can afford more: these replace the two above. */
  chargingMinDistanceM: number;
  chargingMinIntervalS: number;
  /** Fixes less accurate than this are dropped (metres). */
  maxAccuracyM: number;
  /**
   * A fix with coordinates at least this often while stationary, so a parked vehicle is not shown
   * offline: well below the server's DEVICE_OFFLINE_MINUTES (10 min by default).
   */
  heartbeatSeconds: number;
  /** Fixes per upload request (the server takes at most 1,000). */
  uploadBatchSize: number;
  /** How often the queue is sent while there is something in it (seconds). */
  uploadIntervalS: number;
}

export const DEFAULT_TRACKER_SETTINGS: Readonly<TrackerSettings> = Object.freeze({
  minDistanceM: 30,
  minIntervalS: 5,
  headingChangeDeg: 30,
  stationarySpeedKmh: 3,
  chargingMinDistanceM: 10,
  chargingMinIntervalS: 1,
  maxAccuracyM: 50,
  heartbeatSeconds: 240,
  uploadBatchSize: 1000,
  uploadIntervalS: 30,
});

/** The defaults with whatever the server (or the user) overrides; unknown or non-positive values are ignored. */
export function trackerSettings(overrides: Partial<Record<keyof TrackerSettings, unknown>> = {}): TrackerSettings {
  const settings: TrackerSettings = { ...DEFAULT_TRACKER_SETTINGS };
  for (const key of Object.keys(settings) as Array<keyof TrackerSettings>) {
    const value = overrides[key];
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) settings[key] = value;
  }
  settings.uploadBatchSize = Math.min(1000, Math.floor(settings.uploadBatchSize));
  return settings;
}
