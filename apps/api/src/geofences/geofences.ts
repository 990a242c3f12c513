import type {
  Geofence,
  GeofenceCenter,
  GeofenceInput,
  GeofenceList,
  GeofenceListQuery,
  GeofencePolygon,
  GeofenceUpdate,
} from '@fleet/contracts';
import type { Pool, PoolClient } from 'pg';
import { AppError, notFound } from '../errors';
import { containsPattern, isUuid } from '../sql';

interface Row {
  id: string;
  name: string;
  kind: Geofence['kind'];
  geometry: string;
  center_lat: number | null;
  center_lon: number | null;
  radius_m: number | null;
  attributes: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}

const COLUMNS = `id, name, kind, ST_AsGeoJSON(area, 7) AS geometry, ST_Y(center) AS center_lat,
  ST_X(center) AS center_lon, radius_m, attributes, created_at, updated_at`;

const toGeofence = (r: Row): Geofence => ({
  id: r.id,
  name: r.name,
  kind: r.kind,
  geometry: JSON.parse(r.geometry) as Geofence['geometry'],
  center: r.center_lat === null || r.center_lon === null ? null : { lat: r.center_lat, lon: r.center_lon },
  radiusM: r.radius_m,
  attributes: r.attributes,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
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
 * The SQL of a shape's `area`, with its parameters appended to `params`. A circle is stored as its
 * polygon approximation (buffer on the geography, so the radius is metres on the ellipsoid), plus its
 * center and radius.
 */
function shapeSql(shape: Shape, params: unknown[]): { area: string; center: string; radius: string } {
  if (shape.kind === 'polygon') {
    params.push(closedPolygon(shape.polygon));
    return { area: `ST_SetSRID(ST_GeomFromGeoJSON($${params.length}), 4326)`, center: 'NULL', radius: 'NULL' };
  }
  params.push(shape.center.lon, shape.center.lat, shape.radiusM);
  const [lon, lat, radius] = [params.length - 2, params.length - 1, params.length];
  const center = `ST_SetSRID(ST_MakePoint($${lon}, $${lat}), 4326)`;
  return {
    area: `ST_Buffer(${center}::geography, $${radius}, 'quad_segs=${CIRCLE_QUAD_SEGMENTS}')::geometry`,
    center,
    radius: `$${radius}::double precision`,
  };
}

/**
 * Refuses an area PostGIS would store but could not reason about: self-intersecting rings, holes
 * outside the shell (ST_IsValidReason names the problem and where), and circles whose polygon would
 * wrap over the antimeridian or a pole (stored in plain lon/lat, they would cover the wrong side).
 */
async function assertValidShape(client: Pool | PoolClient, shape: Shape): Promise<void> {
  const params: unknown[] = [];
  const { area } = shapeSql(shape, params);
  const field = shape.kind === 'polygon' ? 'polygon' : 'center';
  let row: { valid: boolean; reason: string; xmin: number; xmax: number };
  try {
    const res = await client.query<typeof row>(
      `SELECT ST_IsValid(g) AS valid, ST_IsValidReason(g) AS reason, ST_XMin(g) AS xmin, ST_XMax(g) AS xmax
       FROM (SELECT ${area} AS g) s`,
      params,
    );
    row = res.rows[0];
  } catch (err) {
    // PostGIS refuses some geometries while parsing (class XX000/22023): still the client's input.
    const code = (err as { code?: string }).code;
    if (code === 'XX000' || code?.startsWith('22'))
      throw new AppError(400, 'validation_failed', 'the geofence shape is not valid', [
        { path: field, message: (err as Error).message },
      ]);
    throw err;
  }
  if (!row.valid)
    throw new AppError(400, 'validation_failed', 'the geofence shape is not valid', [
      { path: field, message: row.reason },
    ]);
  // PostGIS wraps such a polygon's longitudes back into ±180, so it then spans (nearly) the whole globe.
  if (shape.kind === 'circle' && row.xmax - row.xmin > 180)
    throw new AppError(400, 'validation_failed', 'the geofence shape is not valid', [
      { path: 'center', message: 'a circle may not reach over the antimeridian or a pole' },
    ]);
}

const naturalKeyClash = (err: unknown) =>
  (err as { code?: string }).code === '23505' && (err as { constraint?: string }).constraint === 'events_natural_key';

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
  constructor(private readonly pool: Pool) {}

  async list(org: string, q: GeofenceListQuery): Promise<GeofenceList> {
    const where = ['organization_id = $1'];
    const params: unknown[] = [org];
    if (q.q) where.push(`name ILIKE $${params.push(containsPattern(q.q))}`);
    if (q.kind) where.push(`kind = $${params.push(q.kind)}`);
    if (q.bbox) {
      params.push(...q.bbox);
      const n = params.length;
      // `&&` lets the GiST index pick candidates; ST_Intersects drops those only their boxes touch.
      const box = `ST_MakeEnvelope($${n - 3}, $${n - 2}, $${n - 1}, $${n}, 4326)`;
      where.push(`area && ${box} AND ST_Intersects(area, ${box})`);
    }
    const filter = where.join(' AND ');
    const [rows, count] = await Promise.all([
      this.pool.query<Row>(
        `SELECT ${COLUMNS} FROM geofences WHERE ${filter} ORDER BY lower(name), id LIMIT ${q.limit} OFFSET ${q.offset}`,
        params,
      ),
      this.pool.query<{ n: string }>(`SELECT count(*) AS n FROM geofences WHERE ${filter}`, params),
    ]);
    return { items: rows.rows.map(toGeofence), total: Number(count.rows[0].n), limit: q.limit, offset: q.offset };
  }

  async get(org: string, id: string): Promise<Geofence> {
    return toGeofence(await this.row(org, id));
  }

  async create(org: string, input: GeofenceInput): Promise<Geofence> {
    await assertValidShape(this.pool, input);
    const params: unknown[] = [org, input.name, input.kind, input.attributes];
    const shape = shapeSql(input, params);
    const res = await this.pool.query<Row>(
      `INSERT INTO geofences (organization_id, name, kind, attributes, area, center, radius_m)
       VALUES ($1, $2, $3, $4, ${shape.area}, ${shape.center}, ${shape.radius}) RETURNING ${COLUMNS}`,
      params,
    );
    return toGeofence(res.rows[0]);
  }

  async update(org: string, id: string, patch: GeofenceUpdate): Promise<Geofence> {
    const current = await this.row(org, id);
    const shape = newShape(current, patch);
    if (shape) await assertValidShape(this.pool, shape);
    const params: unknown[] = [id, org];
    const sets: string[] = [];
    if (patch.name !== undefined) sets.push(`name = $${params.push(patch.name)}`);
    if (patch.attributes !== undefined) sets.push(`attributes = $${params.push(patch.attributes)}`);
    if (shape) {
      const sql = shapeSql(shape, params);
      sets.push(`kind = $${params.push(shape.kind)}`, `area = ${sql.area}`, `center = ${sql.center}`);
      sets.push(`radius_m = ${sql.radius}`);
    }
    const res = await this.pool.query<Row>(
      `UPDATE geofences SET ${[...sets, 'updated_at = now()'].join(', ')}
       WHERE id = $1 AND organization_id = $2 RETURNING ${COLUMNS}`,
      params,
    );
    if (!res.rows[0]) throw notFound('geofence');
    return toGeofence(res.rows[0]);
  }

  /**
   * Deletes the geofence; its past events stay, with `geofenceId` null (foreign key ON DELETE SET NULL).
   * Two such events of one vehicle, type and instant (it entered two geofences with the same fix, both
   * deleted) would then share the events' natural key: the one of this geofence is dropped first, as it
   * no longer says anything the other does not.
   */
  async remove(org: string, id: string): Promise<void> {
    await this.row(org, id);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(
        `DELETE FROM events e WHERE e.geofence_id = $1 AND EXISTS (
           SELECT 1 FROM events o
           WHERE o.vehicle_id = e.vehicle_id AND o.type = e.type AND o.ts = e.ts AND o.geofence_id IS NULL)`,
        [id],
      );
      await client.query('DELETE FROM geofences WHERE id = $1 AND organization_id = $2', [id, org]);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      // Another deletion of a geofence sharing such an event committed in between: retrying settles it.
      if (naturalKeyClash(err))
        throw new AppError(409, 'conflict', 'another geofence was deleted at the same time; retry');
      throw err;
    } finally {
      client.release();
    }
  }

  private async row(org: string, id: string): Promise<Row> {
    if (!isUuid(id)) throw notFound('geofence');
    const res = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM geofences WHERE id = $1 AND organization_id = $2`, [
      id,
      org,
    ]);
    if (!res.rows[0]) throw notFound('geofence');
    return res.rows[0];
  }
}

/** The shape after `patch`, or undefined when the patch leaves the shape alone. */
function newShape(current: Row, patch: GeofenceUpdate): Shape | undefined {
  if (patch.polygon) return { kind: 'polygon', polygon: patch.polygon };
  if (patch.center !== undefined || patch.radiusM !== undefined) {
    const center =
      patch.center ??
      (current.center_lat !== null && current.center_lon !== null
        ? { lat: current.center_lat, lon: current.center_lon }
        : undefined);
    const radiusM = patch.radiusM ?? current.radius_m ?? undefined;
    if (!center || radiusM === undefined)
      throw new AppError(400, 'validation_failed', 'turning a polygon into a circle needs center and radiusM', [
        { path: center ? 'radiusM' : 'center', message: 'required to turn a polygon into a circle' },
      ]);
    return { kind: 'circle', center, radiusM };
  }
  if (patch.kind !== undefined && patch.kind !== current.kind)
    throw new AppError(400, 'validation_failed', `changing kind needs the new shape`, [
      { path: patch.kind === 'polygon' ? 'polygon' : 'center', message: `required to change kind to ${patch.kind}` },
    ]);
  return undefined;
}
