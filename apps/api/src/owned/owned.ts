import { schema, type Database } from '@fleet/db';
import { and, asc, eq, inArray } from 'drizzle-orm';
import { conflict, invalid, notFound } from '../errors';
import { vehiclesInScope, type VehicleScope } from '../groups/scope';
import { isUuid } from '../sql';

const { vehicleGroups, vehicles } = schema;

/** Whose row it is: a user sees and edits only their own, within their organization. */
export interface Owner {
  org: string;
  user: string;
  /** The vehicles the user may see (a user limited to groups names only theirs); absent: the organization's. */
  scope?: VehicleScope;
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
 * Vehicles and groups a rule or schedule names must be the organization's, and within the owner's
 * groups when limited to some (another's would leak its events or reports): a 400 naming each
 * unknown one by its path (`vehicleIds.2`, `groupIds.0`), worded alike whether it does not exist or
 * is out of sight.
 */
export async function checkFleetRefs(
  db: Database,
  o: Pick<Owner, 'org' | 'scope'>,
  refs: { vehicleIds?: readonly string[]; groupIds?: readonly string[] },
): Promise<void> {
  const unknown = (field: string, ids: readonly string[], known: ReadonlySet<string>, message: string) =>
    ids.flatMap((id, i) => (known.has(id) ? [] : [{ path: `${field}.${i}`, message }]));
  const visible = o.scope?.groupIds ? new Set(o.scope.groupIds) : undefined;
  const vehicleIds = refs.vehicleIds ?? [];
  const groupIds = refs.groupIds ?? [];
  const foundVehicles = vehicleIds.length
    ? await db
        .select({ id: vehicles.id })
        .from(vehicles)
        .where(and(vehiclesInScope(o.scope ?? { org: o.org, groupIds: null }), inArray(vehicles.id, [...vehicleIds])))
    : [];
  const foundGroups = groupIds.length
    ? await db
        .select({ id: vehicleGroups.id })
        .from(vehicleGroups)
        .where(and(eq(vehicleGroups.organizationId, o.org), inArray(vehicleGroups.id, [...groupIds])))
    : [];
  const details = [
    ...unknown(
      'vehicleIds',
      vehicleIds,
      new Set(foundVehicles.map((r) => r.id)),
      'no such vehicle in this organization',
    ),
    ...unknown(
      'groupIds',
      groupIds,
      new Set(foundGroups.map((r) => r.id).filter((id) => !visible || visible.has(id))),
      'no such group in this organization',
    ),
  ];
  if (details.length)
    throw invalid(
      details.every((d) => d.path.startsWith('vehicleIds')) ? 'unknown vehicles' : 'unknown vehicles or groups',
      details,
    );
}

export const uniqueSorted = <S extends string>(xs: readonly S[]) => [...new Set(xs)].sort();
