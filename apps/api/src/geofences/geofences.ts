import type {
  Geofence,
  GeofenceCenter,
  GeofenceInput,
  GeofenceList,
  GeofenceListQuery,
  GeofencePolygon,
  GeofenceUpdate,
} from '@fleet/contracts';
import {
  createDb,
  driverError,
  pointSql,
  schema,
  withTransaction,
  type Database,
  type LatLon,
  type Pool,
} from '@fleet/db';
import { alias } from 'drizzle-orm/pg-core';
import { and, eq, exists, ilike, isNull, sql, type SQL } from 'drizzle-orm';
import { conflict, invalid, notFound } from '../errors';
import { containsPattern, isUuid } from '../sql';

const { events, geofences } = schema;

// The area is read as GeoJSON by PostGIS itself (7 decimals: about a centimetre).
const COLUMNS = {
  id: geofences.id,
  name: geofences.name,
  kind: geofences.kind,
  geometry: sql<string>`ST_AsGeoJSON(${geofences.area}, 7)`,
  center: geofences.center,
  radiusM: geofences.radiusM,
  attributes: geofences.attributes,
  createdAt: geofences.createdAt,
  updatedAt: geofences.updatedAt,
};

interface Row {
  id: string;
  name: string;
  kind: Geofence['kind'];
  geometry: string;
  center: LatLon | null;
  radiusM: number | null;
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

const toGeofence = (r: Row): Geofence => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  geometry: JSON.parse(r.geometry) as Geofence['geometry'],
  center: r.center && { lat: r.center.lat, lon: r.center.lon },
  radiusM: r.radiusM,
  attributes: r.attributes,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
});

/** Segments of a circle's polygon: 16 per quarter, so the chord error at 100 km is about 120 m. */
const CIRCLE_QUAD_SEGMENTS = 16;

type Shape =
  { kind: 'polygon'; polygon: GeofencePolygon } | { kind: 'circle'; center: GeofenceCenter; radiusM: number };

/**
 * The GeoJSON PostGIS is given: 2-D positions (an altitude is dropped) and every ring closed, since
 * open rings are accepted (see LinearRing in @fleet/contracts).
 */
function closedPolygon(polygon: GeofencePolygon): string {
  const rings = polygon.coordinates.map((ring) => {
    const flat = ring.map(([lon, lat]) => [lon, lat]);
    const [first, last] = [flat[0], flat[flat.length - 1]];
    if (first[0] !== last[0] || first[1] !== last[1]) flat.push([first[0], first[1]]);
    return flat;
  });
  return JSON.stringify({ type: 'Polygon', coordinates: rings });
}

/**
 * The stored columns of a shape. A circle is stored as its polygon approximation (buffer on the
 * geography, so the radius is metres on the ellipsoid), plus its center and radius. PostGIS
 * constructors, which the query builder has no words for.
 */
function shapeColumns(shape: Shape): { kind: Shape['kind']; area: SQL; center: SQL | null; radiusM: number | null } {
  if (shape.kind === 'polygon')
    return {
      kind: 'polygon',
      area: sql`ST_SetSRID(ST_GeomFromGeoJSON(${closedPolygon(shape.polygon)}), 4326)`,
      center: null,
      radiusM: null,
    };
  const center = pointSql(shape.center);
  const quadSegments = sql.raw(`'quad_segs=${CIRCLE_QUAD_SEGMENTS}'`);
  return {
    kind: 'circle',
    area: sql`ST_Buffer(${center}::geography, ${shape.radiusM}::double precision, ${quadSegments})::geometry`,
    center,
    radiusM: shape.radiusM,
  };
}

/**
 * Refuses an area PostGIS would store but could not reason about: self-intersecting rings, holes
 * outside the shell (ST_IsValidReason names the problem and where), and circles whose polygon would
 * wrap over the antimeridian or a pole (stored in plain lon/lat, they would cover the wrong side).
 */
async function assertValidShape(db: Database, shape: Shape): Promise<void> {
  const { area } = shapeColumns(shape);
  const field = shape.kind === 'polygon' ? 'polygon' : 'center';
  let row: { valid: boolean; reason: string; xmin: number; xmax: number };
  try {
    const res = await db.execute<typeof row>(
      sql`SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason, ST_XMin(g) AS xmin, ST_XMax(g) AS xmax
          FROM (SELECT ${area} AS g) s`,
    );
    row = res.rows[0];
  } catch (err) {
    // PostGIS refuses some geometries while parsing (class XX000/22023): still the client's input.
    const cause = driverError(err) as { code?: string; message?: string };
    if (cause.code === 'XX000' || cause.code?.startsWith('22'))
      throw invalid('the geofence shape is not valid', [{ path: field, message: String(cause.message) }]);
    throw err;
  }
  if (!row.valid) throw invalid('the geofence shape is not valid', [{ path: field, message: row.reason }]);
  // PostGIS wraps such a polygon's longitudes back into ±180, so it then spans (nearly) the whole globe.
  if (shape.kind === 'circle' && row.xmax - row.xmin > 180)
    throw invalid('the geofence shape is not valid', [
      { path: 'center', message: 'a circle may not reach over the antimeridian or a pole' },
    ]);
}

const naturalKeyClash = (err: unknown) => {
  const cause = driverError(err) as { code?: string; constraint?: string };
  return cause.code === '23505' && cause.constraint === 'events_natural_key';
};

/** Geofences whose area meets the box: `&&` lets the GiST index pick candidates, ST_Intersects drops those only their boxes touch. */
function intersecting([minLon, minLat, maxLon, maxLat]: [number, number, number, number]): SQL {
  const box = sql`ST_MakeEnvelope(${minLon}, ${minLat}, ${maxLon}, ${maxLat}, 4326)`;
  return sql`${geofences.area} && ${box} AND ST_Intersects(${geofences.area}, ${box})`;
}

/**
 * Geofences of one organization. Every query is scoped by organization: another organization's geofence
 * is "not found".
 *
 * What the event detector remembers: `vehicle_event_state.geofence_ids` lists the geofences each vehicle
 * was inside at its last evaluated fix. Nothing here rewrites it:
 * - a changed shape is compared at the vehicle's next fix, so a vehicle the new shape no longer covers gets
 *   one `geofence_exit` (and one newly covered gets a `geofence_enter`), stamped with that fix;
 * - a deleted geofence's id stays in those arrays until the detector's next write for the vehicle; the
 *   detector ignores ids that no longer exist, so no exit is emitted for a geofence that is gone.
 */
export class Geofences {
  private readonly db: Database;

  constructor(private readonly pool: Pool) {
    this.db = createDb(pool);
  }

  async list(org: string, q: GeofenceListQuery): Promise<GeofenceList> {
    const filter = and(
      eq(geofences.organizationId, org),
      q.q ? ilike(geofences.name, containsPattern(q.q)) : undefined,
      q.kind ? eq(geofences.kind, q.kind) : undefined,
      q.bbox ? intersecting(q.bbox) : undefined,
    );
    const [rows, total] = await Promise.all([
      this.db
        .select(COLUMNS)
        .from(geofences)
        .where(filter)
        .orderBy(sql`lower(${geofences.name})`, geofences.id)
        .limit(q.limit)
        .offset(q.offset),
      this.db.$count(geofences, filter),
    ]);
    return { items: rows.map(toGeofence), total, limit: q.limit, offset: q.offset };
  }

  async get(org: string, id: string): Promise<Geofence> {
    return toGeofence(await this.row(org, id));
  }

  async create(org: string, input: GeofenceInput): Promise<Geofence> {
    await assertValidShape(this.db, input);
    const [row] = await this.db
      .insert(geofences)
      .values({ organizationId: org, name: input.name, attributes: input.attributes, ...shapeColumns(input) })
      .returning(COLUMNS);
    return toGeofence(row);
  }

  async update(org: string, id: string, patch: GeofenceUpdate): Promise<Geofence> {
    const current = await this.row(org, id);
    const shape = newShape(current, patch);
    if (shape) await assertValidShape(this.db, shape);
    const [row] = await this.db
      .update(geofences)
      .set({
        name: patch.name,
        attributes: patch.attributes,
        ...(shape && shapeColumns(shape)),
        updatedAt: sql`now()`,
      })
      .where(and(eq(geofences.id, id), eq(geofences.organizationId, org)))
      .returning(COLUMNS);
    if (!row) throw notFound('geofence');
    return toGeofence(row);
  }

  /**
   * Deletes the geofence; its past events stay, with `geofenceId` null (foreign key ON DELETE SET NULL).
   * Two such events of one vehicle, type and instant (it entered two geofences with the same fix, both
   * deleted) would then share the events' natural key: the one of this geofence is dropped first, as it
   * no longer says anything the other does not.
   */
  async remove(org: string, id: string): Promise<void> {
    await this.row(org, id);
    const other = alias(events, 'o');
    try {
      await withTransaction(this.pool, async (client) => {
        const tx = createDb(client);
        const sameWithoutGeofence = tx
          .select({ one: sql`1` })
          .from(other)
          .where(
            and(
              eq(other.vehicleId, events.vehicleId),
              eq(other.type, events.type),
              eq(other.ts, events.ts),
              isNull(other.geofenceId),
            ),
          );
        await tx.delete(events).where(and(eq(events.geofenceId, id), exists(sameWithoutGeofence)));
        await tx.delete(geofences).where(and(eq(geofences.id, id), eq(geofences.organizationId, org)));
      });
    } catch (err) {
      // Another deletion of a geofence sharing such an event committed in between: retrying settles it.
      if (naturalKeyClash(err)) throw conflict('another geofence was deleted at the same time; retry');
      throw err;
    }
  }

  private async row(org: string, id: string): Promise<Row> {
    if (!isUuid(id)) throw notFound('geofence');
    const [row] = await this.db
      .select(COLUMNS)
      .from(geofences)
      .where(and(eq(geofences.id, id), eq(geofences.organizationId, org)));
    if (!row) throw notFound('geofence');
    return row;
  }
}

/** The shape after `patch`, or undefined when the patch leaves the shape alone. */
function newShape(current: Row, patch: GeofenceUpdate): Shape | undefined {
  if (patch.polygon) return { kind: 'polygon', polygon: patch.polygon };
  if (patch.center !== undefined || patch.radiusM !== undefined) {
    const center = patch.center ?? current.center ?? undefined;
    const radiusM = patch.radiusM ?? current.radiusM ?? undefined;
    if (!center || radiusM === undefined)
      throw invalid('turning a polygon into a circle needs center and radiusM', [
        { path: center ? 'radiusM' : 'center', message: 'required to turn a polygon into a circle' },
      ]);
    return { kind: 'circle', center, radiusM };
  }
  if (patch.kind !== undefined && patch.kind !== current.kind)
    throw invalid(`changing kind needs the new shape`, [
      { path: patch.kind === 'polygon' ? 'polygon' : 'center', message: `required to change kind to ${patch.kind}` },
    ]);
  return undefined;
}
