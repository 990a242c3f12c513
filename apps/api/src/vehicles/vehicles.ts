import { generateDeviceIdentifier, generateDeviceToken, hashDeviceToken } from '@fleet/auth';
import type {
  Vehicle,
  VehicleInput,
  VehicleList,
  VehicleListQuery,
  VehicleUpdate,
  VehicleWithToken,
} from '@fleet/contracts';
import { createDb, driverError, schema, withTransaction, type Database, type Pool } from '@fleet/db';
import { lockVehicleForDelete } from '@fleet/queue-replay';
import type { Redis } from '@fleet/runtime';
import { and, asc, desc, eq, ilike, or, sql } from 'drizzle-orm';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { conflict, invalid, notFound, rateLimited } from '../errors';
import { isLimited, narrowToGroup, vehiclesInScope, type VehicleScope } from '../groups/scope';
import { containsPattern, isUuid } from '../sql';

const { positions, vehicles } = schema;

const COLUMNS = {
  id: vehicles.id,
  name: vehicles.name,
  plate: vehicles.plate,
  type: vehicles.type,
  speedLimitKmh: vehicles.speedLimitKmh,
  color: vehicles.color,
  icon: vehicles.icon,
  attributes: vehicles.attributes,
  deviceIdentifier: vehicles.deviceIdentifier,
  deviceDisabledAt: vehicles.deviceDisabledAt,
  groupId: vehicles.groupId,
  createdAt: vehicles.createdAt,
  updatedAt: vehicles.updatedAt,
};
type Row = Pick<typeof vehicles.$inferSelect, keyof typeof COLUMNS>;

const toVehicle = ({ deviceDisabledAt, createdAt, updatedAt, ...r }: Row): Vehicle => ({
  ...r,
  deviceDisabled: deviceDisabledAt !== null,
  createdAt: createdAt.toISOString(),
  updatedAt: updatedAt.toISOString(),
});

const duplicateIdentifier = (err: unknown) => {
  const cause = driverError(err) as { code?: string; constraint?: string };
  return cause.code === '23505' && cause.constraint === 'vehicles_device_identifier_unique';
};

/**
 * Device identifiers are unique platform-wide, because OsmAnd / Traccar Client name their vehicle by
 * identifier alone. So a taken identifier must be refused, and the refusal must not tell whose it is:
 * one answer for every unavailable identifier, this organization's own ones included, that says
 * "not available", never "registered". What remains (that a refusal means "taken somewhere") is
 * made useless for enumeration by a budget per organization: after UNAVAILABLE_BUDGET refusals in
 * an hour, every chosen identifier is refused (429) until the hour ends, free or not, so the answers
 * stop telling them apart. Generated identifiers (the default) are never limited.
 */
export const UNAVAILABLE_BUDGET = 20;
const UNAVAILABLE_WINDOW_SECONDS = 3_600;

const unavailable = () =>
  conflict('this device identifier is not available: choose another, or leave it empty for a generated one', [
    { path: 'deviceIdentifier', message: 'not available' },
  ]);
const overBudget = (msBeforeNext: number) => {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return rateLimited(
    `too many unavailable device identifiers tried; retry in ${seconds} s, or leave deviceIdentifier empty for a generated one`,
    seconds,
    [{ path: 'deviceIdentifier', message: 'chosen identifiers are refused for now' }],
  );
};

const SORTS = {
  name: [asc(vehicles.name), asc(vehicles.id)],
  '-name': [desc(vehicles.name), asc(vehicles.id)],
  createdAt: [asc(vehicles.createdAt), asc(vehicles.id)],
  '-createdAt': [desc(vehicles.createdAt), asc(vehicles.id)],
} satisfies Record<VehicleListQuery['sort'], unknown>;

/**
 * The fleet of one organization. Every query is scoped by organization and by the caller's vehicle
 * groups (`VehicleScope`): another organization's vehicle, or one outside the caller's groups, is
 * "not found", so its existence does not leak.
 */
export class Vehicles {
  /** Refusals of chosen identifiers per organization (in Redis, so the budget holds across replicas). */
  private readonly refusals: RateLimiterRedis | RateLimiterMemory;
  private readonly db: Database;

  constructor(
    private readonly pool: Pool,
    private readonly onDeviceChange: () => void,
    /** A deleted vehicle leaves the live map's hot cache at once. */
    private readonly onRemoved: (org: string, id: string) => Promise<void> = async () => undefined,
    options: { redis?: Redis } = {},
  ) {
    this.db = createDb(pool);
    const limits = {
      keyPrefix: 'rl:identifier-refusals',
      points: UNAVAILABLE_BUDGET,
      duration: UNAVAILABLE_WINDOW_SECONDS,
    };
    this.refusals = options.redis
      ? new RateLimiterRedis({ ...limits, storeClient: options.redis, insuranceLimiter: new RateLimiterMemory(limits) })
      : new RateLimiterMemory(limits);
  }

  /** Before trying a chosen identifier: refused while the organization's budget of refusals is spent. */
  private async checkBudget(org: string, identifier: string | undefined): Promise<void> {
    if (identifier === undefined) return;
    const used = await this.refusals.get(org);
    if (used && used.consumedPoints >= UNAVAILABLE_BUDGET) throw overBudget(used.msBeforeNext);
  }

  /** The answer for an identifier that is taken (whoever holds it), counted against the budget. */
  private async refuse(org: string): Promise<Error> {
    try {
      await this.refusals.consume(org);
    } catch (err) {
      if (err instanceof RateLimiterRes) return overBudget(err.msBeforeNext);
      throw err;
    }
    return unavailable();
  }

  async list(scope: VehicleScope, q: VehicleListQuery): Promise<VehicleList> {
    const visible = await narrowToGroup(this.pool, scope, q.groupId);
    const pattern = q.q ? containsPattern(q.q) : undefined;
    const filter = and(
      vehiclesInScope(visible),
      pattern
        ? or(ilike(vehicles.name, pattern), ilike(vehicles.plate, pattern), ilike(vehicles.deviceIdentifier, pattern))
        : undefined,
      q.type ? eq(vehicles.type, q.type) : undefined,
    );
    const [rows, total] = await Promise.all([
      this.db
        .select(COLUMNS)
        .from(vehicles)
        .where(filter)
        .orderBy(...SORTS[q.sort])
        .limit(q.limit)
        .offset(q.offset),
      this.db.$count(vehicles, filter),
    ]);
    return { items: rows.map(toVehicle), total, limit: q.limit, offset: q.offset };
  }

  async get(scope: VehicleScope, id: string): Promise<Vehicle> {
    if (!isUuid(id)) throw notFound('vehicle');
    const [row] = await this.db.select(COLUMNS).from(vehicles).where(this.scope(scope, id));
    if (!row) throw notFound('vehicle');
    return toVehicle(row);
  }

  async create(scope: VehicleScope, input: VehicleInput): Promise<VehicleWithToken> {
    const org = scope.org;
    await this.checkGroup(scope, input.groupId ?? null);
    await this.checkBudget(org, input.deviceIdentifier);
    const deviceToken = generateDeviceToken();
    try {
      const [row] = await this.db
        .insert(vehicles)
        .values({
          organizationId: org,
          name: input.name,
          plate: input.plate ?? null,
          type: input.type,
          speedLimitKmh: input.speedLimitKmh ?? null,
          color: input.color ?? null,
          icon: input.icon ?? null,
          attributes: input.attributes,
          deviceIdentifier: input.deviceIdentifier ?? generateDeviceIdentifier(),
          deviceTokenHash: hashDeviceToken(deviceToken),
          groupId: input.groupId ?? null,
        })
        .returning(COLUMNS);
      return { vehicle: toVehicle(row), deviceToken };
    } catch (err) {
      if (duplicateIdentifier(err)) throw await this.refuse(org);
      throw err;
    }
  }

  async update(scope: VehicleScope, id: string, patch: VehicleUpdate): Promise<Vehicle> {
    const org = scope.org;
    const current = await this.get(scope, id);
    if (patch.groupId !== undefined) await this.checkGroup(scope, patch.groupId);
    if (patch.deviceIdentifier !== current.deviceIdentifier) await this.checkBudget(org, patch.deviceIdentifier);
    try {
      const [row] = await this.db
        .update(vehicles)
        .set({
          name: patch.name,
          plate: patch.plate,
          type: patch.type,
          speedLimitKmh: patch.speedLimitKmh,
          color: patch.color,
          icon: patch.icon,
          attributes: patch.attributes,
          deviceIdentifier: patch.deviceIdentifier,
          groupId: patch.groupId,
          deviceDisabledAt:
            patch.deviceDisabled === undefined
              ? undefined
              : patch.deviceDisabled
                ? sql`COALESCE(${vehicles.deviceDisabledAt}, now())`
                : null,
          updatedAt: sql`now()`,
        })
        .where(this.scope(scope, id))
        .returning(COLUMNS);
      if (patch.deviceDisabled !== undefined || patch.deviceIdentifier !== undefined) this.onDeviceChange();
      return toVehicle(row);
    } catch (err) {
      if (duplicateIdentifier(err)) throw await this.refuse(org);
      throw err;
    }
  }

  /** A new device token; the old one stops working. Shown once. */
  async regenerateToken(scope: VehicleScope, id: string): Promise<VehicleWithToken> {
    await this.get(scope, id);
    const deviceToken = generateDeviceToken();
    const [row] = await this.db
      .update(vehicles)
      .set({ deviceTokenHash: hashDeviceToken(deviceToken), updatedAt: sql`now()` })
      .where(this.scope(scope, id))
      .returning(COLUMNS);
    this.onDeviceChange();
    return { vehicle: toVehicle(row), deviceToken };
  }

  /** Deletes the vehicle with its whole history. */
  async remove(scope: VehicleScope, id: string): Promise<void> {
    const org = scope.org;
    await this.get(scope, id);
    await withTransaction(this.pool, async (conn) => {
      // Writes of this vehicle in flight commit first (and are deleted below); later ones drop its fixes.
      await lockVehicleForDelete(conn, id);
      const tx = createDb(conn);
      await tx.delete(positions).where(eq(positions.vehicleId, id));
      await tx.delete(vehicles).where(this.scope(scope, id));
    });
    this.onDeviceChange();
    // Best effort: the latest-positions query also drops vehicles it no longer knows.
    await this.onRemoved(org, id).catch(() => undefined);
  }

  /** Every query is scoped by organization and the caller's groups. */
  private scope(scope: VehicleScope, id: string) {
    return and(eq(vehicles.id, id), vehiclesInScope(scope));
  }

  /**
   * A vehicle's group must be one of the organization's and, for a caller limited to groups, one of
   * theirs (else the vehicle would vanish from their sight): 400 naming `groupId` otherwise.
   */
  private async checkGroup(scope: VehicleScope, groupId: string | null): Promise<void> {
    const refuse = (message: string) => invalid('request is not valid', [{ path: 'groupId', message }]);
    if (groupId === null) {
      if (isLimited(scope)) throw refuse('required: you see only the vehicles of your groups');
      return;
    }
    if (scope.groupIds && !scope.groupIds.includes(groupId)) throw refuse('not one of your groups');
    const [row] = await this.db
      .select({ id: schema.vehicleGroups.id })
      .from(schema.vehicleGroups)
      .where(and(eq(schema.vehicleGroups.id, groupId), eq(schema.vehicleGroups.organizationId, scope.org)));
    if (!row) throw refuse('no such group in this organization');
  }
}
