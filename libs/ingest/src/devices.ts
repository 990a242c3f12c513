import { hashDeviceToken } from '@fleet/auth';
import type { Redis } from '@fleet/runtime';
import type { Pool } from 'pg';

export interface Device {
  vehicleId: string;
  organizationId: string;
  identifier: string;
  name: string;
  disabled: boolean;
  /** The organization requires the device token on the OsmAnd port too (`osmandTokenRequired`). */
  tokenRequired: boolean;
}

/** A device (undefined: unknown identifier), or why the request is refused (401). */
export type OsmAndLookup = { device: Device | undefined; unauthorized?: undefined } | { unauthorized: string };

interface Entry {
  device: Device | undefined;
  expires: number;
}

const POSITIVE_TTL_MS = 30_000;
const NEGATIVE_TTL_MS = 5_000;
const MAX_ENTRIES = 100_000;
/**
 * Every replica's cache is cleared when this Redis counter changes: a change made through one replica
 * (a device disabled, an identifier changed, an organization requiring tokens) reaches the others
 * within about a second instead of the 30 s the entries live.
 */
const GENERATION_KEY = 'devices:generation';
const GENERATION_CHECK_MS = 1_000;

/**
 * Finds the vehicle behind a device identifier or token, with a short in-process cache: ingestion
 * asks on every request, and the answer rarely changes.
 */
export class DeviceDirectory {
  private readonly cache = new Map<string, Entry>();
  private readonly redis: Redis | undefined;
  private generation: string | null | undefined;
  private checkedAt = 0;

  constructor(
    private readonly pool: Pool,
    options: { redis?: Redis } = {},
  ) {
    this.redis = options.redis;
  }

  byIdentifier(identifier: string): Promise<Device | undefined> {
    return this.cached(`id:${identifier}`, 'v.device_identifier = $1', identifier);
  }

  byToken(token: string): Promise<Device | undefined> {
    const hash = hashDeviceToken(token);
    return this.cached(`tok:${hash}`, 'v.device_token_hash = $1', hash);
  }

  /**
   * The device an OsmAnd / Traccar Client request names. A presented token decides: it must be valid
   * and belong to that identifier, whatever the organization's setting (so a device whose identifier
   * was released and registered by someone else never feeds the new holder while it sends its token).
   * Without a token the identifier alone suffices, unless the organization requires tokens.
   */
  async forOsmAnd(identifier: string, token: string | undefined): Promise<OsmAndLookup> {
    if (token !== undefined) {
      const device = await this.byToken(token);
      if (!device) return { unauthorized: 'unknown device token' };
      if (device.identifier !== identifier)
        return { unauthorized: 'this device token belongs to another device identifier' };
      return { device };
    }
    const device = await this.byIdentifier(identifier);
    if (device?.tokenRequired)
      return {
        unauthorized:
          "this device's organization requires its device token: add ?token=<device token> to the server URL, or send it as the HTTP Basic password",
      };
    return { device };
  }

  /** The device of a vehicle, by the vehicle's id (a canonical UUID). */
  byVehicle(vehicleId: string): Promise<Device | undefined> {
    return this.cached(`veh:${vehicleId}`, 'v.id = $1', vehicleId);
  }

  private async cached(key: string, where: string, value: string): Promise<Device | undefined> {
    const now = Date.now();
    this.checkGeneration(now);
    const hit = this.cache.get(key);
    if (hit && hit.expires > now) return hit.device;
    const res = await this.pool.query<{
      id: string;
      organization_id: string;
      device_identifier: string;
      name: string;
      disabled: boolean;
      token_required: boolean;
    }>(
      `SELECT v.id, v.organization_id, v.device_identifier, v.name, v.device_disabled_at IS NOT NULL AS disabled,
              coalesce(o.settings->'osmandTokenRequired' = 'true'::jsonb, false) AS token_required
         FROM vehicles v JOIN organizations o ON o.id = v.organization_id
        WHERE ${where}`,
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
          tokenRequired: row.token_required,
        }
      : undefined;
    if (this.cache.size >= MAX_ENTRIES) this.cache.clear();
    this.cache.set(key, { device, expires: now + (device ? POSITIVE_TTL_MS : NEGATIVE_TTL_MS) });
    return device;
  }

  /** At most once a second, off the request's path: another replica's change clears this cache. */
  private checkGeneration(now: number): void {
    if (!this.redis || now - this.checkedAt < GENERATION_CHECK_MS) return;
    this.checkedAt = now;
    this.redis.get(GENERATION_KEY).then(
      (generation) => {
        if (this.generation !== undefined && generation !== this.generation) this.cache.clear();
        this.generation = generation;
      },
      () => undefined, // Redis unavailable: entries still expire on their own
    );
  }

  /** Forget what is known (after a vehicle or its organization's device settings change), on every replica. */
  invalidate(): void {
    this.cache.clear();
    this.redis?.incr(GENERATION_KEY).then(
      (generation) => {
        this.generation = String(generation);
      },
      () => undefined,
    );
  }
}
