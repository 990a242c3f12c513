import { vehicleStatus, type LatestPositions, type LivePosition, type VehicleStatus } from '@fleet/contracts';

/** One vehicle of the fleet list: its latest fix. */
export interface FleetVehicle {
  vehicleId: string;
  name: string;
  /** ISO-8601 time of the fix. */
  ts: string;
  tsMs: number;
  lat: number;
  lon: number;
  speedKmh: number | null;
  battery: number | null;
}

export type Fleet = ReadonlyMap<string, FleetVehicle>;

export function fleetOf(latest: LatestPositions): Fleet {
  const fleet = new Map<string, FleetVehicle>();
  for (const { geometry, properties: p } of latest.features)
    fleet.set(p.vehicleId, {
      vehicleId: p.vehicleId,
      name: p.name,
      ts: p.ts,
      tsMs: Date.parse(p.ts),
      lon: geometry.coordinates[0],
      lat: geometry.coordinates[1],
      speedKmh: p.speedKmh,
      battery: p.battery,
    });
  return fleet;
}

/**
 * The fleet with a live fix applied. A fix older than the one shown (a late upload of a phone that was
 * offline) does not move the vehicle back. Null when the vehicle is not in the list (a new vehicle:
 * reload the list to learn its name).
 */
export function withPosition(fleet: Fleet, fix: LivePosition): Fleet | null {
  const current = fleet.get(fix.vehicleId);
  if (!current) return null;
  const tsMs = Date.parse(fix.ts);
  if (!(tsMs > current.tsMs)) return fleet;
  const next = new Map(fleet);
  next.set(fix.vehicleId, {
    ...current,
    ts: fix.ts,
    tsMs,
    lat: fix.lat,
    lon: fix.lon,
    speedKmh: fix.speedKmh,
    battery: fix.battery,
  });
  return next;
}

export function statusOf(vehicle: FleetVehicle, nowMs: number): VehicleStatus {
  return vehicleStatus({ tsMs: vehicle.tsMs, speedKmh: vehicle.speedKmh }, nowMs);
}

/** Sorted by name; `search` matches any part of the name, ignoring case and accents. */
export function searchFleet(fleet: Fleet, search: string): FleetVehicle[] {
  const needle = fold(search.trim());
  return [...fleet.values()]
    .filter((v) => !needle || fold(v.name).includes(needle))
    .sort((a, b) => a.name.localeCompare(b.name));
}

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();

/** How long ago, as the largest whole unit: `{ unit: 'min', value: 3 }`. */
export function ageOf(tsMs: number, nowMs: number): { unit: 's' | 'min' | 'h' | 'd'; value: number } {
  const s = Math.max(0, Math.floor((nowMs - tsMs) / 1000));
  if (s < 60) return { unit: 's', value: s };
  if (s < 3600) return { unit: 'min', value: Math.floor(s / 60) };
  if (s < 86_400) return { unit: 'h', value: Math.floor(s / 3600) };
  return { unit: 'd', value: Math.floor(s / 86_400) };
}

/** Today in the phone's time zone, as the report routes take it: from midnight to now. */
export function todayPeriod(now: Date): { from: string; to: string } {
  const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
  return { from: midnight.toISOString(), to: now.toISOString() };
}
