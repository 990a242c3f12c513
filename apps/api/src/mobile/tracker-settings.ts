import {
  resolveTrackerSettings,
  TrackerSettingsOverride,
  type DeviceSettings,
  type TrackerSettingsLevel,
} from '@fleet/contracts';
import { createDb, schema, type Database, type Pool } from '@fleet/db';
import { and, eq, sql } from 'drizzle-orm';
import { invalid, notFound } from '../errors';
import { findVehicle, vehiclesInScope, type VehicleScope } from '../groups/scope';

const { organizations, vehicles } = schema;

/** The stored overrides of a level, keeping only what is still valid (a jsonb value read back). */
const overridesOf = (value: unknown): TrackerSettingsOverride => {
  const parsed = TrackerSettingsOverride.safeParse(value ?? {});
  return parsed.success ? parsed.data : {};
};

/**
 * Tracker-app settings: defaults, the organization's overrides (`organizations.settings.tracker`), a
 * vehicle's over those (`vehicles.tracker_settings`); the phone asks for the result with its device token.
 */
export class TrackerSettingsService {
  private readonly db: Database;

  constructor(
    pool: Pool,
    /** DEVICE_OFFLINE_MINUTES: a heartbeat must be shorter, or parked vehicles show offline. */
    private readonly offlineMinutes: number,
  ) {
    this.db = createDb(pool);
  }

  private async organizationOverrides(org: string): Promise<TrackerSettingsOverride> {
    const [row] = await this.db
      .select({ tracker: sql<unknown>`${organizations.settings}->'tracker'` })
      .from(organizations)
      .where(eq(organizations.id, org));
    if (!row) throw notFound('organization');
    return overridesOf(row.tracker);
  }

  private level(overrides: TrackerSettingsOverride | null, ...levels: unknown[]): TrackerSettingsLevel {
    return {
      overrides,
      effective: resolveTrackerSettings(...levels, overrides),
      offlineMinutes: this.offlineMinutes,
    };
  }

  /**
   * Refuses a heartbeat or an upload interval the offline check would outrun, naming the field: the
   * server sees a fix only once it is uploaded, so either one as long as the threshold has vehicles
   * that are parked (heartbeat) or moving (uploads) reported offline between two of them.
   */
  private check(overrides: TrackerSettingsOverride, below: unknown[]): void {
    const effective = resolveTrackerSettings(...below, overrides);
    const limit = this.offlineMinutes * 60;
    const issues = (
      [
        ['heartbeatSeconds', 'parked vehicles are reported offline'],
        ['uploadIntervalSeconds', 'moving vehicles are reported offline between uploads'],
      ] as const
    )
      .filter(([field]) => effective[field] >= limit)
      .map(([field, why]) => ({
        path: field,
        message: `must be below ${limit} seconds (DEVICE_OFFLINE_MINUTES = ${this.offlineMinutes}), or ${why}`,
      }));
    if (issues.length)
      throw invalid('the heartbeat and the upload interval must be shorter than the offline threshold', issues);
  }

  async forOrganization(org: string): Promise<TrackerSettingsLevel> {
    return this.level(await this.organizationOverrides(org));
  }

  async setForOrganization(org: string, overrides: TrackerSettingsOverride): Promise<TrackerSettingsLevel> {
    this.check(overrides, []);
    const [row] = await this.db
      .update(organizations)
      // One key of the settings, the others kept.
      .set({
        settings: sql`${organizations.settings} || jsonb_build_object('tracker', ${JSON.stringify(overrides)}::jsonb)`,
        updatedAt: sql`now()`,
      })
      .where(eq(organizations.id, org))
      .returning({ id: organizations.id });
    if (!row) throw notFound('organization');
    return this.level(overrides);
  }

  private async vehicleOverrides(scope: VehicleScope, vehicleId: string): Promise<TrackerSettingsOverride | null> {
    const [row] = await this.db
      .select({ tracker: vehicles.trackerSettings })
      .from(vehicles)
      .where(and(eq(vehicles.id, vehicleId), vehiclesInScope(scope)));
    if (!row) throw notFound('vehicle');
    return row.tracker === null ? null : overridesOf(row.tracker);
  }

  async forVehicle(scope: VehicleScope, vehicleId: string): Promise<TrackerSettingsLevel> {
    const vehicle = await this.vehicleOverrides(scope, vehicleId);
    return this.level(vehicle, await this.organizationOverrides(scope.org));
  }

  async setForVehicle(
    scope: VehicleScope,
    vehicleId: string,
    overrides: TrackerSettingsOverride | null,
  ): Promise<TrackerSettingsLevel> {
    await findVehicle(this.db, scope, vehicleId);
    const organization = await this.organizationOverrides(scope.org);
    if (overrides) this.check(overrides, [organization]);
    const [row] = await this.db
      .update(vehicles)
      .set({ trackerSettings: overrides, updatedAt: sql`now()` })
      .where(and(eq(vehicles.id, vehicleId), vehiclesInScope(scope)))
      .returning({ id: vehicles.id });
    if (!row) throw notFound('vehicle');
    return this.level(overrides, organization);
  }

  /** What the vehicle's phone applies (the device's vehicle is known: its token was checked). */
  async forDevice(vehicleId: string): Promise<DeviceSettings | undefined> {
    const [row] = await this.db
      .select({
        name: vehicles.name,
        vehicle: vehicles.trackerSettings,
        organization: sql<unknown>`${organizations.settings}->'tracker'`,
      })
      .from(vehicles)
      .innerJoin(organizations, eq(organizations.id, vehicles.organizationId))
      .where(eq(vehicles.id, vehicleId));
    if (!row) return undefined;
    return {
      vehicleId,
      vehicleName: row.name,
      tracker: resolveTrackerSettings(overridesOf(row.organization), overridesOf(row.vehicle)),
    };
  }
}
