import type { EventDetail, EventList, EventListQuery } from '@fleet/contracts';
import type { Pool } from 'pg';
import { AppError, notFound } from '../errors';
import { isUuid } from '../sql';

interface Row {
  id: string;
  vehicle_id: string;
  type: EventDetail['type'];
  ts: Date;
  geofence_id: string | null;
  lat: number | null;
  lon: number | null;
  attributes: Record<string, unknown>;
  vehicle_name: string | null;
  geofence_name: string | null;
  retracted_at: Date | null;
  /** `ts` in whole microseconds since the epoch: exact, unlike a JS Date, so the cursor is too. */
  ts_us: string;
}

const SELECT = `SELECT e.id, e.vehicle_id, e.type, e.ts, e.geofence_id, ST_Y(e.point) AS lat, ST_X(e.point) AS lon,
    e.attributes, v.name AS vehicle_name, g.name AS geofence_name, e.retracted_at,
    (extract(epoch FROM e.ts) * 1000000)::bigint::text AS ts_us
  FROM events e
  LEFT JOIN vehicles v ON v.id = e.vehicle_id
  LEFT JOIN geofences g ON g.id = e.geofence_id`;

const toEvent = (r: Row): EventDetail => ({
  id: r.id,
  vehicleId: r.vehicle_id,
  type: r.type,
  ts: r.ts.toISOString(),
  geofenceId: r.geofence_id,
  lat: r.lat,
  lon: r.lon,
  attributes: r.attributes,
  vehicleName: r.vehicle_name,
  geofenceName: r.geofence_name,
  retractedAt: r.retracted_at?.toISOString() ?? null,
});

/** The cursor is opaque to clients: the (ts, id) of the last item, where the next page starts after. */
const encodeCursor = (r: Row) => Buffer.from(`${r.ts_us}~${r.id}`).toString('base64url');

// The timestamps an event can have, in microseconds since the epoch: from PostgreSQL's earliest
// timestamptz (4714 BC) to a JavaScript Date's latest. Outside it the query itself would fail (bigint
// or timestamp out of range): a forged cursor is the client's mistake, not a 500.
const MIN_TS_US = -210_866_803_200_000_000n;
const MAX_TS_US = 8_640_000_000_000_000_000n;

function decodeCursor(cursor: string): { tsUs: string; id: string } {
  const [tsUs, id, extra] = Buffer.from(cursor, 'base64url').toString().split('~');
  const valid =
    extra === undefined &&
    /^-?\d{1,19}$/.test(tsUs ?? '') &&
    BigInt(tsUs) >= MIN_TS_US &&
    BigInt(tsUs) <= MAX_TS_US &&
    isUuid(id ?? '');
  if (!valid)
    throw new AppError(400, 'validation_failed', 'cursor is not valid', [
      { path: 'cursor', message: 'pass the nextCursor of the previous page unchanged' },
    ]);
  return { tsUs, id };
}

/** Events of one organization, newest first; the worker writes them, this only reads. */
export class Events {
  constructor(private readonly pool: Pool) {}

  /**
   * Keyset pagination on (ts, id) descending: each page costs the same however deep, and events
   * arriving meanwhile neither shift nor repeat items.
   */
  async list(org: string, q: EventListQuery): Promise<EventList> {
    const where = ['e.organization_id = $1'];
    const params: unknown[] = [org];
    // Retracted events (docs/events.md) are kept for the record, listed only when asked for.
    if (q.includeRetracted !== 'true') where.push('e.retracted_at IS NULL');
    if (q.vehicleId) where.push(`e.vehicle_id = $${params.push(q.vehicleId)}`);
    if (q.type) where.push(`e.type = $${params.push(q.type)}`);
    if (q.geofenceId) where.push(`e.geofence_id = $${params.push(q.geofenceId)}`);
    if (q.from) where.push(`e.ts >= $${params.push(q.from)}`);
    if (q.to) where.push(`e.ts < $${params.push(q.to)}`);
    if (q.cursor) {
      const { tsUs, id } = decodeCursor(q.cursor);
      params.push(tsUs, id);
      where.push(
        `(e.ts, e.id) < ('epoch'::timestamptz + $${params.length - 1}::bigint * interval '1 microsecond', $${params.length}::uuid)`,
      );
    }
    const res = await this.pool.query<Row>(
      `${SELECT} WHERE ${where.join(' AND ')} ORDER BY e.ts DESC, e.id DESC LIMIT ${q.limit + 1}`,
      params,
    );
    const page = res.rows.slice(0, q.limit);
    return {
      items: page.map(toEvent),
      nextCursor: res.rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  async get(org: string, id: string): Promise<EventDetail> {
    if (!isUuid(id)) throw notFound('event');
    const res = await this.pool.query<Row>(`${SELECT} WHERE e.id = $1 AND e.organization_id = $2`, [id, org]);
    if (!res.rows[0]) throw notFound('event');
    return toEvent(res.rows[0]);
  }
}
