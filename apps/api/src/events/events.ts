import type { EventDetail, EventList, EventListQuery } from '@fleet/contracts';
import { createDb, schema, selectEventDetails, toEventDetail, type Database, type Pool } from '@fleet/db';
import type { Places } from '@fleet/places';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { invalid, notFound } from '../errors';
import { narrowToGroup, vehicleIdInScope, type VehicleScope } from '../groups/scope';
import { isUuid } from '../sql';

const { events } = schema;

/** `ts` in whole microseconds since the epoch: exact, unlike a JS Date, so the cursor is too. */
const tsMicros = sql<string>`(extract(epoch FROM ${events.ts}) * 1000000)::bigint::text`;

/** The cursor is opaque to clients: the (ts, id) of the last item, where the next page starts after. */
const encodeCursor = (r: { tsUs: string; id: string }) => Buffer.from(`${r.tsUs}~${r.id}`).toString('base64url');

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
    throw invalid('cursor is not valid', [
      { path: 'cursor', message: 'pass the nextCursor of the previous page unchanged' },
    ]);
  return { tsUs, id };
}

/**
 * Events of one organization, newest first, of the vehicles the caller's scope allows (another
 * group's event is "not found"); the worker writes them, this only reads.
 */
export class Events {
  private readonly db: Database;

  constructor(
    private readonly pool: Pool,
    private readonly places: Places,
  ) {
    this.db = createDb(pool);
  }

  /** Each event with a position gets its place, the whole page in one batch. */
  private async withPlaces(org: string, items: EventDetail[]): Promise<EventDetail[]> {
    const places = await this.places.describe(
      org,
      items.map((e) => (e.lat === null || e.lon === null ? null : { lat: e.lat, lon: e.lon })),
    );
    return items.map((e, i) => (places[i] === undefined ? e : { ...e, place: places[i] }));
  }

  /**
   * Keyset pagination on (ts, id) descending: each page costs the same however deep, and events
   * arriving meanwhile neither shift nor repeat items.
   */
  async list(from: VehicleScope, q: EventListQuery): Promise<EventList> {
    const scope = await narrowToGroup(this.pool, from, q.groupId);
    const org = scope.org;
    const after = q.cursor ? decodeCursor(q.cursor) : undefined;
    const rows = await selectEventDetails(this.db, { tsUs: tsMicros })
      .where(
        and(
          eq(events.organizationId, org),
          scope.groupIds ? vehicleIdInScope(scope, events.vehicleId) : undefined,
          // Retracted events (docs/events.md) are kept for the record, listed only when asked for.
          q.includeRetracted === 'true' ? undefined : isNull(events.retractedAt),
          q.vehicleId ? eq(events.vehicleId, q.vehicleId) : undefined,
          q.type ? eq(events.type, q.type) : undefined,
          q.geofenceId ? eq(events.geofenceId, q.geofenceId) : undefined,
          // The bounds go to PostgreSQL as the client wrote them: a Date would drop their microseconds.
          q.from ? sql`${events.ts} >= ${q.from}` : undefined,
          q.to ? sql`${events.ts} < ${q.to}` : undefined,
          // A row comparison, which drizzle has no operator for; the cursor's microseconds kept exact.
          after
            ? sql`(${events.ts}, ${events.id}) < ('epoch'::timestamptz + ${after.tsUs}::bigint * interval '1 microsecond', ${after.id}::uuid)`
            : undefined,
        ),
      )
      .orderBy(desc(events.ts), desc(events.id))
      .limit(q.limit + 1);
    const page = rows.slice(0, q.limit);
    return {
      items: await this.withPlaces(org, page.map(toEventDetail)),
      nextCursor: rows.length > q.limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  async get(scope: VehicleScope, id: string): Promise<EventDetail> {
    if (!isUuid(id)) throw notFound('event');
    const org = scope.org;
    const [row] = await selectEventDetails(this.db).where(
      and(eq(events.id, id), eq(events.organizationId, org), vehicleIdInScope(scope, events.vehicleId)),
    );
    if (!row) throw notFound('event');
    const [event] = await this.withPlaces(org, [toEventDetail(row)]);
    return event;
  }
}
