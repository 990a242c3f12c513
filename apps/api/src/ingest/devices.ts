import { hashDeviceToken } from '@fleet/auth';
import type { Pool } from 'pg';

export interface Device {
  vehicleId: string;
  organizationId: string;
  identifier: string;
  name: string;
  disabled: boolean;
}

interface Entry {
  device: Device | undefined;
  expires: number;
}

const POSITIVE_TTL_MS = 30_000;
const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 100_000;

/**
 * Finds the vehicle behind a device identifier or token, with a short in-process cache: ingestion
 * asks on every request, the answer rarely changes, and a disabled device stops within 30 s.
 */
export class DeviceDirectory {
  private readonly cache = new Map<string, Entry>();

  constructor(private readonly pool: Pool) {}

  byIdentifier(identifier: string): Promise<Device | undefined> {
    return this.cached(`id:${identifier}`, 'device_identifier = $1', identifier);
  }

  byToken(token: string): Promise<Device | undefined> {
    return this.cached(`tok:${hashDeviceToken(token)}`, 'device_token_hash = $1', hashDeviceToken(token));
  }

  /** The device of a vehicle, by the vehicle's id (a canonical UUID). */
  byVehicle(vehicleId: string): Promise<Device | undefined> {
    return this.cached(`veh:${vehicleId}`, 'id = $1', vehicleId);
  }

  private async cached(key: string, where: string, value: string): Promise<Device | undefined> {
    const now = Date.now();
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.device;
    const res = await this.pool.query<{
      id: string;
      organization_id: string;
      device_identifier: string;
      name: string;
      disabled: boolean;
    }>(
      `SELECT id, organization_id, device_identifier, name, device_disabled_at IS NOT NULL AS disabled FROM vehicles WHERE ${where}`,
      [value],
    );
    const row = res.rows[0];
    const device = row
      ? {
          vehicleId: row.id,
          organizationId: row.organization_id,
          identifier: row.device_identifier,
          name: row.name,
          disabled: row.disabled,
        }
      : undefined;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(key, { device, expires: now + (device ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS) });
    return device;
  }

  /** Forget what is known (after a vehicle changes). */
  invalidate(): void {
    this.cache.clear();
  }
}
