import { schema, type Database } from '@fleet/db';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { conflict, invalid, notFound } from '../errors';
import { isUuid } from '../sql';

const { vehicleGroups, vehicles } = schema;

/** Whose row it is: a user sees and edits only their own, within their organization. */
export interface Owner {
  org: string;
  user: string;
}

/** The tables of rows a user owns: notification rules and scheduled reports. */
type OwnedTable = typeof schema.notificationRules | typeof schema.reportSchedules;

/**
 * A user's own rows of one table (notification rules, report schedules): listed, found and deleted
 * only within the owner's organization and user; anyone else's row, or a malformed id, is a 404
 * naming `what`.
 */
export class OwnedRows<T extends OwnedTable> {
  constructor(
    private readonly db: Database,
    private readonly table: T,
    private readonly what: string,
  ) {}

  /** The condition of the owner's rows (all of them, or the one with `id`). */
  where(o: Owner, id?: string) {
    const t = this.table as OwnedTable;
    return and(eq(t.organizationId, o.org), eq(t.userId, o.user), id === undefined ? undefined : eq(t.id, id));
  }

  async list(o: Owner): Promise<T['$inferSelect'][]> {
    const t = this.table as OwnedTable;
    return (await this.db
      .select()
      .from(t)
      .where(this.where(o))
      .orderBy(asc(t.createdAt), asc(t.id))) as T['$inferSelect'][];
  }

  async get(o: Owner, id: string): Promise<T['$inferSelect']> {
    if (!isUuid(id)) throw notFound(this.what);
    const [row] = await this.db
      .select()
      .from(this.table as OwnedTable)
      .where(this.where(o, id));
    if (!row) throw notFound(this.what);
    return row as T['$inferSelect'];
  }

  async remove(o: Owner, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound(this.what);
    const t = this.table as OwnedTable;
    const gone = await this.db.delete(t).where(this.where(o, id)).returning({ id: t.id });
    if (!gone.length) throw notFound(this.what);
  }

  /** A 409 when the owner already has `max` rows (two creations racing past it by one are harmless). */
  async checkRoom(o: Owner, max: number, plural: string): Promise<void> {
    const count = await this.db.$count(this.table as OwnedTable, this.where(o));
    if (count >= max) throw conflict(`a user has at most ${max} ${plural}; delete one first`);
  }
}

/**
 * Vehicles and groups a rule or schedule names must be the organization's (another's would leak its
 * events or reports): a 400 naming each unknown one by its path (`vehicleIds.2`, `groupIds.0`).
 */
export async function checkFleetRefs(
  db: Database,
  org: string,
  refs: { vehicleIds?: readonly string[]; groupIds?: readonly string[] },
): Promise<void> {
  const unknown = async (
    field: 'vehicleIds' | 'groupIds',
    table: typeof vehicles | typeof vehicleGroups,
    ids: readonly string[] | undefined,
    message: string,
  ) => {
    if (!ids?.length) return [];
    const found = await db
      .select({ id: table.id })
      .from(table)
      .where(and(eq(table.organizationId, org), inArray(table.id, [...ids])));
    const known = new Set(found.map((r) => r.id));
    return ids.flatMap((id, i) => (known.has(id) ? [] : [{ path: `${field}.${i}`, message }]));
  };
  const details = [
    ...(await unknown('vehicleIds', vehicles, refs.vehicleIds, 'no such vehicle in this organization')),
    ...(await unknown('groupIds', vehicleGroups, refs.groupIds, 'no such group in this organization')),
  ];
  if (details.length)
    throw invalid(
      details.every((d) => d.path.startsWith('vehicleIds')) ? 'unknown vehicles' : 'unknown vehicles or groups',
      details,
    );
}

export const uniqueSorted = <S extends string>(xs: readonly S[]) => [...new Set(xs)].sort();
