import { MEASUREMENT_LIMITS, type Measurement, type PositionInput } from '@fleet/contracts';
import { isValidCoordinate, mpsToKmh } from '@fleet/geo';

/** The shape of expo-location's `LocationObject` (declared here so the lib needs no native module). */
export interface LocationLike {
  coords: {
    latitude: number;
    longitude: number;
    altitude?: number | null;
    accuracy?: number | null;
    /** Degrees clockwise from true north; −1 on iOS when unknown. */
    heading?: number | null;
    /** Metres per second; −1 on iOS when unknown. */
    speed?: number | null;
  };
  /** Epoch milliseconds. */
  timestamp: number;
  mocked?: boolean;
}

export interface FromLocationOptions {
  /** Battery level in percent (0–100), e.g. expo-battery's level × 100. */
  battery?: number | null;
  /** Extra attributes stored with the fix (charging, heartbeat…). */
  attributes?: Record<string, unknown>;
}

/** A measurement inside the server's bounds, or undefined (unknown: iOS's −1, NaN, null, out of range). */
function measured(name: Measurement, value: number | null | undefined): number | undefined {
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const { min, max } = MEASUREMENT_LIMITS[name];
  return value >= min && value <= max ? value : undefined;
}

/**
 * Turns an expo-location fix into the server's `PositionInput`: speed from m/s to km/h, unknown
 * values (iOS sends −1 for speed and heading; NaN or null elsewhere) left out, since the server
 * refuses negatives. Returns null when the fix has no usable coordinates or time: there is nothing
 * to queue.
 */
export function fromLocation(location: LocationLike, options: FromLocationOptions = {}): PositionInput | null {
  const { latitude: lat, longitude: lon } = location.coords;
  if (!isValidCoordinate({ lat, lon })) return null;
  if (!Number.isFinite(location.timestamp) || location.timestamp <= 0) return null;
  const speedMps = location.coords.speed;
  const fix: PositionInput = { ts: new Date(location.timestamp).toISOString(), lat, lon };
  const speed = measured('speed', typeof speedMps === 'number' && speedMps >= 0 ? mpsToKmh(speedMps) : undefined);
  // 360 and 0 are the same direction; the server accepts both.
  const heading = measured('heading', location.coords.heading);
  const altitude = measured('altitude', location.coords.altitude);
  const accuracy = measured('accuracy', location.coords.accuracy);
  const battery = measured('battery', options.battery);
  if (speed !== undefined) fix.speed = speed;
  if (heading !== undefined) fix.heading = heading;
  if (altitude !== undefined) fix.altitude = altitude;
  if (accuracy !== undefined) fix.accuracy = accuracy;
  if (battery !== undefined) fix.battery = battery;
  const attributes = { ...(location.mocked ? { mocked: true } : {}), ...options.attributes };
  if (Object.keys(attributes).length > 0) fix.attributes = attributes;
  return fix;
}
