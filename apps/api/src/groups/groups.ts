import {
  GROUP_LIMITS,
  type VehicleGroup,
  type VehicleGroupInput,
  type VehicleGroupList,
  type VehicleGroupUpdate,
} from '@fleet/contracts';
import { createDb, driverError, GROUP_SUBTREE_SQL, schema, withTransaction, type Database, type Pool } from '@fleet/db';
import type { ErrorDetail } from '@fleet/contracts';
import { and, asc, count, eq, inArray, sql } from 'drizzle-orm';
import { conflict, invalid, notFound } from '../errors';
import { isUuid } from '../sql';
import type { VehicleScope } from './scope';

const { vehicleGroups: groups, vehicles, userGroupScopes } = schema;

interface Row {
  id: string;
  parentId: string | null;
  name: string;
  vehicleCount: number;
  createdAt: Date;
  updatedAt: Date;
}

const byName = new Intl.Collator('en', { sensitivity: 'base', numeric: true });

/** Flat in tree order: each group right after its parent, siblings by name; a hidden parent makes a root. */
export function treeOrder(rows: readonly Row[]): VehicleGroup[] {
  const ids = new Set(rows.map((r) => r.id));
  const children = new Map<string | null, Row[]>();
  for (const r of rows) {
    const parent = r.parentId !== null && ids.has(r.parentId) ? r.parentId : null;
    const list = children.get(parent);
    if (list) list.push(r);
    else children.set(parent, [r]);
  }
  const out: VehicleGroup[] = [];
  const visit = (parent: string | null, depth: number) => {
    const list = (children.get(parent) ?? []).sort((a, b) => byName.compare(a.name, b.name) || (a.id < b.id ? -1 : 1));
    for (const r of list) {
      out.push({
        id: r.id,
        parentId: r.parentId,
        name: r.name,
        depth,
        vehicleCount: r.vehicleCount,
        createdAt: r.createdAt.toISOString(),
        updatedAt: r.updatedAt.toISOString(),
      });
      visit(r.id, depth + 1);
    }
  };
  visit(null, 0);
  return out;
}

const siblingName = (err: unknown) => {
  const cause = driverError(err) as { code?: string; constraint?: string };
  return cause.code === '23505' && cause.constraint === 'vehicle_groups_sibling_name_key';
};
const referenced = (err: unknown) => (driverError(err) as { code?: string }).code === '23503';

const nameTaken = () =>
  conflict('a group with this name already exists at this level', [
    { path: 'name', message: 'taken by a sibling group (names are compared without case)' },
  ]);

/**
 * The vehicle groups of one organization (region → depot). Reads follow the caller's scope; writes are
 * the admins' (organization-wide), checked by the route's roles.
 */
export class Groups {
  private readonly db: Database;

  constructor(private readonly pool: Pool) {
    this.db = createDb(pool);
  }

  async list(scope: VehicleScope): Promise<VehicleGroupList> {
    return { items: treeOrder(await this.rows(scope)) };
  }

  async get(scope: VehicleScope, id: string): Promise<VehicleGroup> {
    if (!isUuid(id)) throw notFound('group');
    const found = (await this.list(scope)).items.find((g) => g.id === id);
    if (!found) throw notFound('group');
    return found;
  }

  async create(org: string, input: VehicleGroupInput): Promise<VehicleGroup> {
    const parentId = input.parentId ?? null;
    if (parentId !== null) await this.checkParent(this.db, org, parentId);
    if ((await this.db.$count(groups, eq(groups.organizationId, org))) >= GROUP_LIMITS.perOrganization)
      throw conflict(`an organization has at most ${GROUP_LIMITS.perOrganization} groups`);
    try {
      const [row] = await this.db
        .insert(groups)
        .values({ organizationId: org, parentId, name: input.name })
        .returning({ id: groups.id });
      return await this.get({ org, groupIds: null }, row.id);
    } catch (err) {
      if (siblingName(err)) throw nameTaken();
      throw err;
    }
  }

  /** Renames and/or moves; a move below the group itself (a cycle) is refused. */
  async update(org: string, id: string, patch: VehicleGroupUpdate): Promise<VehicleGroup> {
    if (!isUuid(id)) throw notFound('group');
    try {
      await withTransaction(this.pool, async (conn) => {
        const tx = createDb(conn);
        // Moves are serialised per organization: two crossing moves cannot make a cycle together.
        await tx.select({ id: groups.id }).from(groups).where(eq(groups.organizationId, org)).for('update');
        const [current] = await tx
          .select({ id: groups.id })
          .from(groups)
          .where(and(eq(groups.id, id), eq(groups.organizationId, org)));
        if (!current) throw notFound('group');
        if (patch.parentId) {
          await this.checkParent(tx, org, patch.parentId);
          const { rows } = await conn.query<{ id: string }>(GROUP_SUBTREE_SQL('$1', '$2'), [org, [id]]);
          if (rows.some((r) => r.id === patch.parentId))
            throw conflict('a group cannot be moved below itself', [
              { path: 'parentId', message: 'this group or one of its subgroups' },
            ]);
        }
        await tx
          .update(groups)
          .set({ name: patch.name, parentId: patch.parentId, updatedAt: sql`now()` })
          .where(and(eq(groups.id, id), eq(groups.organizationId, org)));
      });
    } catch (err) {
      if (siblingName(err)) throw nameTaken();
      throw err;
    }
    return this.get({ org, groupIds: null }, id);
  }

  /**
   * Deletes an empty group. One with subgroups, vehicles or users limited to it is refused with a 409
   * naming each (the foreign keys refuse it too, so a concurrent change cannot slip through).
   */
  async remove(org: string, id: string): Promise<void> {
    if (!isUuid(id)) throw notFound('group');
    const [row] = await this.db
      .select({ id: groups.id })
      .from(groups)
      .where(and(eq(groups.id, id), eq(groups.organizationId, org)));
    if (!row) throw notFound('group');
    await this.refuseIfUsed(id);
    try {
      await this.db.delete(groups).where(and(eq(groups.id, id), eq(groups.organizationId, org)));
    } catch (err) {
      if (!referenced(err)) throw err;
      // Something was added meanwhile: say what.
      await this.refuseIfUsed(id);
      throw conflict('the group is still in use');
    }
  }

  private async refuseIfUsed(id: string): Promise<void> {
    const [subgroups, vehicleCount, users] = await Promise.all([
      this.db.$count(groups, eq(groups.parentId, id)),
      this.db.$count(vehicles, eq(vehicles.groupId, id)),
      this.db.$count(userGroupScopes, eq(userGroupScopes.groupId, id)),
    ]);
    const details: ErrorDetail[] = [];
    if (subgroups) details.push({ path: 'subgroups', message: `${subgroups} subgroup${subgroups > 1 ? 's' : ''}` });
    if (vehicleCount)
      details.push({ path: 'vehicles', message: `${vehicleCount} vehicle${vehicleCount > 1 ? 's' : ''}` });
    if (users) details.push({ path: 'users', message: `${users} user${users > 1 ? 's' : ''} limited to it` });
    if (details.length)
      throw conflict(`the group is in use: move or delete its ${details.map((d) => d.path).join(', ')} first`, details);
  }

  /** Checks that `groupIds` are groups of the organization (400 naming the field otherwise). */
  async checkExist(org: string, groupIds: readonly string[], path: string): Promise<void> {
    if (!groupIds.length) return;
    const rows = await this.db
      .select({ id: groups.id })
      .from(groups)
      .where(and(eq(groups.organizationId, org), inArray(groups.id, [...groupIds])));
    const known = new Set(rows.map((r) => r.id));
    const unknown = groupIds.findIndex((g) => !known.has(g));
    if (unknown >= 0)
      throw invalid('request is not valid', [
        { path: groupIds.length > 1 ? `${path}.${unknown}` : path, message: 'no such group in this organization' },
      ]);
  }

  private async checkParent(db: Database, org: string, parentId: string): Promise<void> {
    const [parent] = await db
      .select({ id: groups.id })
      .from(groups)
      .where(and(eq(groups.id, parentId), eq(groups.organizationId, org)));
    if (!parent)
      throw invalid('request is not valid', [{ path: 'parentId', message: 'no such group in this organization' }]);
  }

  private async rows(scope: VehicleScope): Promise<Row[]> {
    const counts = this.db
      .select({ groupId: vehicles.groupId, n: count().as('n') })
      .from(vehicles)
      .where(eq(vehicles.organizationId, scope.org))
      .groupBy(vehicles.groupId)
      .as('counts');
    const rows = await this.db
      .select({
        id: groups.id,
        parentId: groups.parentId,
        name: groups.name,
        vehicleCount: sql<number>`coalesce(${counts.n}, 0)::int`,
        createdAt: groups.createdAt,
        updatedAt: groups.updatedAt,
      })
      .from(groups)
      .leftJoin(counts, eq(counts.groupId, groups.id))
      .where(
        and(eq(groups.organizationId, scope.org), scope.groupIds ? inArray(groups.id, [...scope.groupIds]) : undefined),
      )
      .orderBy(asc(groups.name));
    return rows;
  }
}
