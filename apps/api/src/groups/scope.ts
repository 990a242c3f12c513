import type { AccessClaims } from '@fleet/auth';
import { GROUP_SUBTREE_SQL, groupSubtree, schema, type Database, type Pool } from '@fleet/db';
import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { notFound } from '../errors';
import { isUuid } from '../sql';

const { vehicles } = schema;

/**
 * What of an organization's fleet a caller may see and act on. Every use case that reads or changes
 * vehicles, or anything of theirs (positions, events, trips, reports, share links, commands, the live
 * stream), takes one of these instead of a bare organization id, and filters through the helpers
 * below: a vehicle outside it is "not found", exactly like another organization's.
 *
 * Admins are organization-wide, always. An operator or viewer with rows in `user_group_scopes` sees
 * the vehicles of those groups and of every group below them (and no vehicle without a group); without
 * rows, the whole organization.
 */
export interface VehicleScope {
  readonly org: string;
  /** The groups whose vehicles are visible (the assigned ones and every group below); null: all. */
  readonly groupIds: readonly string[] | null;
}

export const wholeOrganization = (org: string): VehicleScope => ({ org, groupIds: null });

/** Whether the scope is limited to groups. */
export const isLimited = (scope: VehicleScope): boolean => scope.groupIds !== null;

/**
 * The caller's scope, read from PostgreSQL on each request (one indexed query, none for admins), so a
 * change an admin makes applies to the very next request on every replica.
 */
export async function readScope(pool: Pool, caller: Pick<AccessClaims, 'sub' | 'org' | 'role'>): Promise<VehicleScope> {
  if (caller.role === 'admin') return wholeOrganization(caller.org);
  const assigned = 'ARRAY(SELECT group_id FROM user_group_scopes WHERE user_id = $1)';
  const { rows } = await pool.query<{ assigned: string[]; visible: string[] }>(
    `SELECT ${assigned} AS assigned, ARRAY(${GROUP_SUBTREE_SQL('$2', assigned)}) AS visible`,
    [caller.sub, caller.org],
  );
  const row = rows[0];
  if (!row || row.assigned.length === 0) return wholeOrganization(caller.org);
  return { org: caller.org, groupIds: row.visible };
}

/** Condition on `vehicles`: the scope's vehicles. */
export function vehiclesInScope(scope: VehicleScope): SQL {
  return and(
    eq(vehicles.organizationId, scope.org),
    scope.groupIds ? inArray(vehicles.groupId, [...scope.groupIds]) : undefined,
  ) as SQL;
}

/**
 * Condition on another table's vehicle id column (`events.vehicle_id`, `vehicle_state.vehicle_id`):
 * its vehicle is in the scope. Undefined when the scope is the whole organization: the table's own
 * organization filter is then all it takes.
 */
export function vehicleIdInScope(scope: VehicleScope, column: AnyPgColumn): SQL | undefined {
  if (!scope.groupIds) return undefined;
  return sql`${column} IN (SELECT ${vehicles.id} FROM ${vehicles} WHERE ${vehiclesInScope(scope)})`;
}

/** The same as hand SQL for the raw hot-path queries: `AND <this>` with the given parameter numbers. */
export function vehicleIdInScopeSql(column: string, orgParam: string, groupsParam: string): string {
  return `${column} IN (SELECT id FROM vehicles WHERE organization_id = ${orgParam} AND (${groupsParam}::uuid[] IS NULL OR group_id = ANY(${groupsParam}::uuid[])))`;
}

export interface ScopedVehicle {
  id: string;
  name: string;
  groupId: string | null;
}

/**
 * The one lookup of a vehicle by id for a caller: its id, name and group, or 404 `vehicle not found`
 * when it does not exist, belongs to another organization or lies outside the caller's groups.
 */
export async function findVehicle(db: Database, scope: VehicleScope, id: string): Promise<ScopedVehicle> {
  if (!isUuid(id)) throw notFound('vehicle');
  const [row] = await db
    .select({ id: vehicles.id, name: vehicles.name, groupId: vehicles.groupId })
    .from(vehicles)
    .where(and(eq(vehicles.id, id), vehiclesInScope(scope)));
  if (!row) throw notFound('vehicle');
  return row;
}

/** The ids of the scope's vehicles (all of the organization's when not limited). */
export async function vehicleIdsInScope(db: Database, scope: VehicleScope): Promise<string[]> {
  const rows = await db.select({ id: vehicles.id }).from(vehicles).where(vehiclesInScope(scope));
  return rows.map((r) => r.id);
}

/**
 * A `groupId` filter (the group and every group below it) applied to a scope: the part of the scope
 * in that group. A group the caller cannot see (or of another organization) leaves nothing visible.
 */
export async function narrowToGroup(
  pool: Pool,
  scope: VehicleScope,
  groupId: string | undefined,
): Promise<VehicleScope> {
  if (groupId === undefined) return scope;
  const subtree = await groupSubtree(pool, scope.org, [groupId]);
  const allowed = scope.groupIds ? new Set(scope.groupIds) : undefined;
  return { org: scope.org, groupIds: allowed ? subtree.filter((g) => allowed.has(g)) : subtree };
}
