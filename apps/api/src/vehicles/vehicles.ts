import { generateDeviceIdentifier, generateDeviceToken, hashDeviceToken } from '@fleet/auth';
import type {
  Vehicle,
  VehicleInput,
  VehicleList,
  VehicleListQuery,
  VehicleUpdate,
  VehicleWithToken,
} from '@fleet/contracts';
import type { Redis } from '@fleet/runtime';
import type { Pool } from 'pg';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { AppError, notFound } from '../errors';
import { containsPattern, isUuid } from '../sql';
import { lockVehicleForDelete } from '@fleet/queue-replay';

interface Row {
  id: string;
  name: string;
  plate: string | null;
  type: string;
  speed_limit_kmh: number | null;
  color: string | null;
  icon: string | null;
  attributes: Record<string, unknown>;
  device_identifier: string;
  device_disabled_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS =
  'id, name, plate, type, speed_limit_kmh, color, icon, attributes, device_identifier, device_disabled_at, created_at, updated_at';

const toVehicle = (r: Row): Vehicle => ({
  id: r.id,
  name: r.name,
  plate: r.plate,
  type: r.type,
  speedLimitKmh: r.speed_limit_kmh,
  color: r.color,
  icon: r.icon,
  attributes: r.attributes,
  deviceIdentifier: r.device_identifier,
  deviceDisabled: r.device_disabled_at !== null,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

const duplicateIdentifier = (err: unknown) =>
  (err as { code?: string; constraint?: string }).code === '23505' &&
  (err as { constraint?: string }).constraint === 'vehicles_device_identifier_unique';

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
  new AppError(
    409,
    'conflict',
    'this device identifier is not available: choose another, or leave it empty for a generated one',
    [{ path: 'deviceIdentifier', message: 'not available' }],
  );
const overBudget = (msBeforeNext: number) => {
  const seconds = Math.max(1, Math.ceil(msBeforeNext / 1000));
  return new AppError(
    429,
    'rate_limited',
    `too many unavailable device identifiers tried; retry in ${seconds} s, or leave deviceIdentifier empty for a generated one`,
    [{ path: 'deviceIdentifier', message: 'chosen identifiers are refused for now' }],
    { 'Retry-After': String(seconds) },
  );
};

const SORTS: Record<VehicleListQuery['sort'], string> = {
  name: 'name ASC, id',
  '-name': 'name DESC, id',
  createdAt: 'created_at ASC, id',
  '-createdAt': 'created_at DESC, id',
};

/**
 * The fleet of one organization. Every query is scoped by organization: another organization's
 * vehicle is "not found", so its existence does not leak.
 */
export class Vehicles {
  /** Refusals of chosen identifiers per organization (in Redis, so the budget holds across replicas). */
  private readonly refusals: RateLimiterRedis | RateLimiterMemory;

  constructor(
    private readonly pool: Pool,
    private readonly onDeviceChange: () => void,
    /** A deleted vehicle leaves the live map's hot cache at once. */
    private readonly onRemoved: (org: string, id: string) => Promise<void> = async () => undefined,
    options: { redis?: Redis } = {},
  ) {
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
  private async refuse(org: string): Promise<AppError> {
    try {
      await this.refusals.consume(org);
    } catch (err) {
      if (err instanceof RateLimiterRes) return overBudget(err.msBeforeNext);
      throw err;
    }
    return unavailable();
  }

  async list(org: string, q: VehicleListQuery): Promise<VehicleList> {
    const where = ['organization_id = $1'];
    const params: unknown[] = [org];
    if (q.q) {
      params.push(containsPattern(q.q));
      where.push(
        `(name ILIKE $${params.length} OR plate ILIKE $${params.length} OR device_identifier ILIKE $${params.length})`,
      );
    }
    if (q.type) {
      params.push(q.type);
      where.push(`type = $${params.length}`);
    }
    const filter = where.join(' AND ');
    const [rows, count] = await Promise.all([
      this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM vehicles WHERE ${filter} ORDER BY ${SORTS[q.sort]} LIMIT ${q.limit} OFFSET ${q.offset}`,
        params,
      ),
      this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM vehicles WHERE ${filter}`, params),
    ]);
    return { items: rows.rows.map(toVehicle), total: Number(count.rows[0].n), limit: q.limit, offset: q.offset };
  }

  async get(org: string, id: string): Promise<Vehicle> {
    if (!isUuid(id)) throw notFound('vehicle');
    const res = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM vehicles WHERE id = $1 AND organization_id = $2`, [
      id,
      org,
    ]);
    if (!res.rows[0]) throw notFound('vehicle');
    return toVehicle(res.rows[0]);
  }

  async create(org: string, input: VehicleInput): Promise<VehicleWithToken> {
    await this.checkBudget(org, input.deviceIdentifier);
    const deviceToken = generateDeviceToken();
    try {
      const res = await this.pool.query<Row>(
        `INSERT INTO vehicles (organization_id, name, plate, type, speed_limit_kmh, color, icon, attributes, device_identifier, device_token_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING ${COLUMNS}`,
        [
          org,
          input.name,
          input.plate ?? null,
          input.type,
          input.speedLimitKmh ?? null,
          input.color ?? null,
          input.icon ?? null,
          input.attributes,
          input.deviceIdentifier ?? generateDeviceIdentifier(),
          hashDeviceToken(deviceToken),
        ],
      );
      return { vehicle: toVehicle(res.rows[0]), deviceToken };
    } catch (err) {
      if (duplicateIdentifier(err)) throw await this.refuse(org);
      throw err;
    }
  }

  async update(org: string, id: string, patch: VehicleUpdate): Promise<Vehicle> {
    const current = await this.get(org, id);
    if (patch.deviceIdentifier !== current.deviceIdentifier) await this.checkBudget(org, patch.deviceIdentifier);
    const columns: Record<string, unknown> = {
      name: patch.name,
      plate: patch.plate,
      type: patch.type,
      speed_limit_kmh: patch.speedLimitKmh,
      color: patch.color,
      icon: patch.icon,
      attributes: patch.attributes,
      device_identifier: patch.deviceIdentifier,
    };
    const sets: string[] = [];
    const params: unknown[] = [id, org];
    for (const [column, value] of Object.entries(columns)) {
      if (value === undefined) continue;
      params.push(value);
      sets.push(`${column} = $${params.length}`);
    }
    if (patch.deviceDisabled !== undefined)
      sets.push(`device_disabled_at = ${patch.deviceDisabled ? 'COALESCE(device_disabled_at, now())' : 'NULL'}`);
    try {
      const res = await this.pool.query<Row>(
        `UPDATE vehicles SET ${[...sets, 'updated_at = now()'].join(', ')} WHERE id = $1 AND organization_id = $2 RETURNING ${COLUMNS}`,
        params,
      );
      if (patch.deviceDisabled !== undefined || patch.deviceIdentifier !== undefined) this.onDeviceChange();
      return toVehicle(res.rows[0]);
    } catch (err) {
      if (duplicateIdentifier(err)) throw await this.refuse(org);
      throw err;
    }
  }

  /** A new device token; the old one stops working. Shown once. */
  async regenerateToken(org: string, id: string): Promise<VehicleWithToken> {
    await this.get(org, id);
    const deviceToken = generateDeviceToken();
    const res = await this.pool.query<Row>(
      `UPDATE vehicles SET device_token_hash = $3, updated_at = now() WHERE id = $1 AND organization_id = $2 RETURNING ${COLUMNS}`,
      [id, org, hashDeviceToken(deviceToken)],
    );
    this.onDeviceChange();
    return { vehicle: toVehicle(res.rows[0]), deviceToken };
  }

  /** Deletes the vehicle with its whole history. */
  async remove(org: string, id: string): Promise<void> {
    await this.get(org, id);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      // Writes of this vehicle in flight commit first (and are deleted below); later ones drop its fixes.
      await lockVehicleForDelete(client, id);
      await client.query('DELETE FROM positions WHERE vehicle_id = $1', [id]);
      await client.query('DELETE FROM vehicles WHERE id = $1 AND organization_id = $2', [id, org]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
    this.onDeviceChange();
    // Best effort: the latest-positions query also drops vehicles it no longer knows.
    await this.onRemoved(org, id).catch(() => undefined);
  }
}
