import type {
  Driver,
  DriverAssignment,
  DriverAssignmentList,
  DriverAssignmentListQuery,
  DriverInput,
  DriverList,
  DriverListQuery,
  DriverUpdate,
  TrackingEvent,
  VehicleDriver,
} from '@fleet/contracts';
import {
  createDb,
  driverError,
  enqueueEventDeliveries,
  schema,
  withTransaction,
  type Database,
  type Pool,
} from '@fleet/db';
import { publishLive } from '@fleet/live';
import type { Redis } from '@fleet/runtime';
import { and, desc, eq, gt, ilike, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { PoolClient } from 'pg';
import { conflict, notFound } from '../errors';
import { findVehicle, vehicleIdInScope, type VehicleScope } from '../groups/scope';
import { containsPattern, isUuid } from '../sql';

const { drivers, driverAssignments, vehicles } = schema;

type DriverRow = typeof drivers.$inferSelect;

const toDriver = ({ organizationId: _org, createdAt, updatedAt, ...r }: DriverRow): Driver => ({
  ...r,
  createdAt: createdAt.toISOString(),
  updatedAt: updatedAt.toISOString(),
});

const ASSIGNMENT_COLUMNS = {
  id: driverAssignments.id,
  vehicleId: driverAssignments.vehicleId,
  vehicleName: vehicles.name,
  driverId: driverAssignments.driverId,
  driverName: drivers.name,
  startedAt: driverAssignments.startedAt,
  endedAt: driverAssignments.endedAt,
  source: driverAssignments.source,
};

interface AssignmentRow {
  id: string;
  vehicleId: string;
  vehicleName: string;
  driverId: string;
  driverName: string;
  startedAt: Date;
  endedAt: Date | null;
  source: string;
}

const toAssignment = (r: AssignmentRow): DriverAssignment => ({
  ...r,
  startedAt: r.startedAt.toISOString(),
  endedAt: r.endedAt?.toISOString() ?? null,
  source: r.source === 'auto' ? 'auto' : 'manual',
});

const uniqueIdTaken = (err: unknown) => {
  const cause = driverError(err) as { code?: string; constraint?: string };
  return cause.code === '23505' && cause.constraint === 'drivers_unique_id_key';
};
const taken = () =>
  conflict('another driver of this organization has this identifier', [
    { path: 'uniqueId', message: 'already used by another driver' },
  ]);

/**
 * Serialises assignment changes of one vehicle with the worker's automatic ones: the worker changes
 * assignments while holding the vehicle's detector state row (vehicle_event_state, FOR UPDATE), so
 * the API takes the same row lock (creating the row as the detector does when missing).
 */
async function lockVehicleAssignments(client: PoolClient, vehicleId: string): Promise<void> {
  await client.query(
    `INSERT INTO vehicle_event_state (vehicle_id, ts) VALUES ($1, '-infinity') ON CONFLICT (vehicle_id) DO NOTHING`,
    [vehicleId],
  );
  await client.query('SELECT 1 FROM vehicle_event_state WHERE vehicle_id = $1 FOR UPDATE', [vehicleId]);
}

/**
 * A hand assignment's `driver_changed` {from, to} at the change's instant (subject: the new driver,
 * none when unassigned; point: the vehicle's last known position), inserted through the events'
 * natural key like the worker's, with its webhook, notification and push deliveries queued in the
 * same transaction. Returns the event to publish live after the commit (null: the key was taken).
 */
async function recordDriverChange(
  client: PoolClient,
  change: { org: string; vehicleId: string; at: Date; from: string | null; to: string | null },
): Promise<TrackingEvent | null> {
  const res = await client.query<{
    id: string;
    ts: Date;
    lat: number | null;
    lon: number | null;
    attributes: Record<string, unknown>;
  }>(
    `INSERT INTO events (organization_id, vehicle_id, type, ts, subject_id, point, attributes)
     SELECT $1, $2, 'driver_changed', $3::timestamptz, $5::uuid, s.point,
            jsonb_build_object('from', $4::uuid, 'to', $5::uuid,
                               'fromName', (SELECT name FROM drivers WHERE id = $4::uuid),
                               'toName', (SELECT name FROM drivers WHERE id = $5::uuid),
                               'source', 'manual')
       FROM (SELECT 1) one LEFT JOIN vehicle_state s ON s.vehicle_id = $2
     ON CONFLICT ON CONSTRAINT events_natural_key DO NOTHING
     RETURNING id, ts, ST_Y(point) AS lat, ST_X(point) AS lon, attributes`,
    [change.org, change.vehicleId, change.at, change.from, change.to],
  );
  const row = res.rows[0];
  if (!row) return null;
  await enqueueEventDeliveries(client, [
    { id: row.id, organizationId: change.org, vehicleId: change.vehicleId, type: 'driver_changed' },
  ]);
  return {
    id: row.id,
    vehicleId: change.vehicleId,
    type: 'driver_changed',
    ts: row.ts.toISOString(),
    geofenceId: null,
    lat: row.lat,
    lon: row.lon,
    attributes: row.attributes,
  };
}

/**
 * The organization's drivers and who drives which vehicle. Drivers are the organization's (every
 * query scoped by it); anything about a vehicle finds the vehicle first through the caller's vehicle
 * scope (findVehicle), and a driver's history lists only the vehicles the caller may see.
 */
export class Drivers {
  private readonly db: Database;

  /** `redis`: where hand assignments' `driver_changed` events are published live (none: not published). */
  constructor(
    private readonly pool: Pool,
    private readonly redis?: Redis,
  ) {
    this.db = createDb(pool);
  }

  /** After the commit: the live stream hears the event (Redis away loses only the live push). */
  private async publish(org: string, event: TrackingEvent | null): Promise<void> {
    if (!event || !this.redis) return;
    await publishLive(this.redis, org, [{ type: 'event', data: event }]).catch(() => undefined);
  }

  async list(org: string, q: DriverListQuery): Promise<DriverList> {
    const pattern = q.q ? containsPattern(q.q) : undefined;
    const filter = and(
      eq(drivers.organizationId, org),
      pattern
        ? or(ilike(drivers.name, pattern), ilike(drivers.licenceNumber, pattern), ilike(drivers.uniqueId, pattern))
        : undefined,
    );
    const [rows, total] = await Promise.all([
      this.db
        .select()
        .from(drivers)
        .where(filter)
        .orderBy(sql`lower(${drivers.name})`, drivers.id)
        .limit(q.limit)
        .offset(q.offset),
      this.db.$count(drivers, filter),
    ]);
    return { items: rows.map(toDriver), total, limit: q.limit, offset: q.offset };
  }

  async get(org: string, id: string): Promise<Driver> {
    return toDriver(await this.row(org, id));
  }

  async create(org: string, input: DriverInput): Promise<Driver> {
    try {
      const [row] = await this.db
        .insert(drivers)
        .values({
          organizationId: org,
          name: input.name,
          licenceNumber: input.licenceNumber ?? null,
          licenceExpiresOn: input.licenceExpiresOn ?? null,
          uniqueId: input.uniqueId ?? null,
          phone: input.phone ?? null,
          notes: input.notes ?? null,
        })
        .returning();
      return toDriver(row);
    } catch (err) {
      if (uniqueIdTaken(err)) throw taken();
      throw err;
    }
  }

  async update(org: string, id: string, patch: DriverUpdate): Promise<Driver> {
    if (!isUuid(id)) throw notFound('driver');
    try {
      const [row] = await this.db
        .update(drivers)
        .set({ ...patch, updatedAt: sql`now()` })
        .where(and(eq(drivers.id, id), eq(drivers.organizationId, org)))
        .returning();
      if (!row) throw notFound('driver');
      return toDriver(row);
    } catch (err) {
      if (uniqueIdTaken(err)) throw taken();
      throw err;
    }
  }

  /** Deletes the driver with their assignments; events that named them keep the ids in their attributes. */
  async remove(org: string, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('driver');
    const gone = await this.db
      .delete(drivers)
      .where(and(eq(drivers.id, id), eq(drivers.organizationId, org)))
      .returning({ id: drivers.id });
    if (!gone.length) throw notFound('driver');
  }

  /** The vehicle's open assignment and its driver (nulls when nobody drives it). */
  async current(scope: VehicleScope, id: string): Promise<VehicleDriver> {
    const { org } = scope;
    const vehicleId = (await findVehicle(this.db, scope, id)).id;
    const [row] = await this.assignments(
      this.db,
      and(
        eq(driverAssignments.organizationId, org),
        eq(driverAssignments.vehicleId, vehicleId),
        isNull(driverAssignments.endedAt),
      ),
    ).limit(1);
    if (!row) return { assignment: null, driver: null };
    const [driver] = await this.db.select().from(drivers).where(eq(drivers.id, row.driverId));
    return { assignment: toAssignment(row), driver: driver ? toDriver(driver) : null };
  }

  /**
   * Assigns the driver by hand from now on: the open assignment (if another driver's) ends now and a
   * `manual` one starts, with `driver_changed` at its start (recordDriverChange). The same driver already assigned: the open assignment, unchanged. A device
   * clock ahead may have started the open one "later than now": the change then happens at its start.
   */
  async assign(scope: VehicleScope, id: string, driverId: string): Promise<DriverAssignment> {
    const { org } = scope;
    const vehicleId = (await findVehicle(this.db, scope, id)).id;
    await this.row(org, driverId);
    const { assignmentId, event } = await withTransaction(this.pool, async (client) => {
      await lockVehicleAssignments(client, vehicleId);
      const open = await client.query<{ id: string; driver_id: string }>(
        'SELECT id, driver_id FROM driver_assignments WHERE vehicle_id = $1 AND ended_at IS NULL',
        [vehicleId],
      );
      if (open.rows[0]?.driver_id === driverId) return { assignmentId: open.rows[0].id, event: null };
      const ended = await client.query<{ at: Date }>(
        `UPDATE driver_assignments SET ended_at = greatest(now(), started_at)
          WHERE vehicle_id = $1 AND ended_at IS NULL RETURNING ended_at AS at`,
        [vehicleId],
      );
      const inserted = await client.query<{ id: string; started_at: Date }>(
        `INSERT INTO driver_assignments (organization_id, vehicle_id, driver_id, started_at, source)
         SELECT $1, $2, id, greatest(now(), $4::timestamptz), 'manual' FROM drivers
          WHERE id = $3 AND organization_id = $1
         RETURNING id, started_at`,
        [org, vehicleId, driverId, ended.rows[0]?.at ?? null],
      );
      // Deleted between the check above and this statement.
      if (!inserted.rows.length) throw notFound('driver');
      const event = await recordDriverChange(client, {
        org,
        vehicleId,
        at: inserted.rows[0].started_at,
        from: open.rows[0]?.driver_id ?? null,
        to: driverId,
      });
      return { assignmentId: inserted.rows[0].id, event };
    });
    await this.publish(org, event);
    const [row] = await this.assignments(this.db, eq(driverAssignments.id, assignmentId));
    return toAssignment(row);
  }

  /** Ends the vehicle's open assignment now, with `driver_changed` {from, to: null} (nothing open: nothing to do). */
  async unassign(scope: VehicleScope, id: string): Promise<void> {
    const { org } = scope;
    const vehicleId = (await findVehicle(this.db, scope, id)).id;
    const event = await withTransaction(this.pool, async (client) => {
      await lockVehicleAssignments(client, vehicleId);
      const ended = await client.query<{ at: Date; driver_id: string }>(
        `UPDATE driver_assignments SET ended_at = greatest(now(), started_at)
          WHERE organization_id = $1 AND vehicle_id = $2 AND ended_at IS NULL
          RETURNING ended_at AS at, driver_id`,
        [org, vehicleId],
      );
      const was = ended.rows[0];
      if (!was) return null;
      return recordDriverChange(client, { org, vehicleId, at: was.at, from: was.driver_id, to: null });
    });
    await this.publish(org, event);
  }

  /** Who drove the vehicle when, newest first. */
  async vehicleHistory(scope: VehicleScope, id: string, q: DriverAssignmentListQuery): Promise<DriverAssignmentList> {
    const vehicleId = (await findVehicle(this.db, scope, id)).id;
    return this.history(
      and(eq(driverAssignments.organizationId, scope.org), eq(driverAssignments.vehicleId, vehicleId)),
      q,
    );
  }

  /** The vehicles (of the caller's scope) the driver was assigned to, newest first. */
  async driverHistory(
    scope: VehicleScope,
    driverId: string,
    q: DriverAssignmentListQuery,
  ): Promise<DriverAssignmentList> {
    await this.row(scope.org, driverId);
    return this.history(
      and(
        eq(driverAssignments.organizationId, scope.org),
        eq(driverAssignments.driverId, driverId),
        vehicleIdInScope(scope, driverAssignments.vehicleId),
      ),
      q,
    );
  }

  private async history(scope: SQL | undefined, q: DriverAssignmentListQuery): Promise<DriverAssignmentList> {
    const filter = and(
      scope,
      q.from ? or(isNull(driverAssignments.endedAt), gt(driverAssignments.endedAt, new Date(q.from))) : undefined,
      q.to ? lt(driverAssignments.startedAt, new Date(q.to)) : undefined,
    );
    const [rows, total] = await Promise.all([
      this.assignments(this.db, filter)
        .orderBy(desc(driverAssignments.startedAt), desc(driverAssignments.id))
        .limit(q.limit)
        .offset(q.offset),
      this.db.$count(driverAssignments, filter),
    ]);
    return { items: rows.map(toAssignment), total, limit: q.limit, offset: q.offset };
  }

  private assignments(db: Database, filter: SQL | undefined) {
    return db
      .select(ASSIGNMENT_COLUMNS)
      .from(driverAssignments)
      .innerJoin(vehicles, eq(vehicles.id, driverAssignments.vehicleId))
      .innerJoin(drivers, eq(drivers.id, driverAssignments.driverId))
      .where(filter)
      .$dynamic();
  }

  private async row(org: string, id: string): Promise<DriverRow> {
    if (!isUuid(id)) throw notFound('driver');
    const [row] = await this.db
      .select()
      .from(drivers)
      .where(and(eq(drivers.id, id), eq(drivers.organizationId, org)));
    if (!row) throw notFound('driver');
    return row;
  }
}
