import { DEFAULT_OFFLINE_AFTER_MINUTES, MOVING_MIN_SPEED_KMH, type VehicleStatus } from '@fleet/contracts';

export type { VehicleStatus };
export const STATUSES: readonly VehicleStatus[] = ['moving', 'stopped', 'offline'];

export interface StatusThresholds {
  /** At or above this speed a vehicle is moving; below, GPS drift of a parked car is not movement. */
  movingKmh: number;
  /** No fix for this long means offline (the worker's DEVICE_OFFLINE_MINUTES, 10 by default). */
  offlineAfterMs: number;
}

/** The same thresholds as the API's latest-positions status. */
export const DEFAULT_THRESHOLDS: StatusThresholds = {
  movingKmh: MOVING_MIN_SPEED_KMH,
  offlineAfterMs: DEFAULT_OFFLINE_AFTER_MINUTES * 60_000,
};

/**
 * Status of a vehicle from its last fix, re-evaluated as time passes: a vehicle that stops reporting
 * turns offline without any new message. An unknown speed counts as stopped.
 */
export function classify(
  fix: { tsMs: number; speedKmh: number | null },
  now: number,
  thresholds: StatusThresholds = DEFAULT_THRESHOLDS,
): VehicleStatus {
  if (!Number.isFinite(fix.tsMs) || now - fix.tsMs > thresholds.offlineAfterMs) return 'offline';
  return fix.speedKmh !== null && fix.speedKmh >= thresholds.movingKmh ? 'moving' : 'stopped';
}

/** Colours of the three states (also used by the legend); distinguishable by shape too (see markers). */
export const STATUS_COLOURS: Record<VehicleStatus, string> = {
  moving: '#1a7f37',
  stopped: '#bf8700',
  offline: '#6e7781',
};
