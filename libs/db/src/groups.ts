import type { Pool, PoolClient } from 'pg';

type Queryable = Pick<Pool | PoolClient, 'query'>;

/**
 * SQL for the ids of groups `$groups` (uuid[]) of organization `$org` and of every group below them,
 * as a subquery (`… WHERE v.group_id IN (${GROUP_SUBTREE_SQL('$1', '$2')})`). Ids of another
 * organization's groups match nothing. Nested groups are few and shallow, so the recursion is cheap.
 */
export const GROUP_SUBTREE_SQL = (org: string, groups: string) => `
  WITH RECURSIVE subtree(id) AS (
    SELECT id FROM vehicle_groups WHERE organization_id = ${org} AND id = ANY(${groups}::uuid[])
    UNION
    SELECT g.id FROM vehicle_groups g JOIN subtree s ON g.parent_id = s.id
  ) SELECT id FROM subtree`;

/** The groups given and every group below them, within one organization (unknown ids dropped). */
export async function groupSubtree(
  db: Queryable,
  organizationId: string,
  groupIds: readonly string[],
): Promise<string[]> {
  if (!groupIds.length) return [];
  const { rows } = await db.query<{ id: string }>(GROUP_SUBTREE_SQL('$1', '$2'), [organizationId, groupIds]);
  return rows.map((r) => r.id);
}

/** The vehicles of the groups given and of every group below them, within one organization. */
export async function vehiclesInGroups(
  db: Queryable,
  organizationId: string,
  groupIds: readonly string[],
): Promise<string[]> {
  if (!groupIds.length) return [];
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM vehicles WHERE organization_id = $1 AND group_id IN (${GROUP_SUBTREE_SQL('$1', '$2')})`,
    [organizationId, groupIds],
  );
  return rows.map((r) => r.id);
}

/**
 * SQL true when user `user` (whose role is `role`) may see vehicle `vehicle` of their organization: an
 * admin always; an operator or viewer without groups, every vehicle; one limited to groups, the
 * vehicles of those groups and of every group below them. For what a user's rules, tokens and
 * schedules send them: never more than the API would show them.
 */
export const USER_SEES_VEHICLE_SQL = (user: string, role: string, vehicle: string) => `(
  ${role} = 'admin'
  OR NOT EXISTS (SELECT 1 FROM user_group_scopes us WHERE us.user_id = ${user})
  OR EXISTS (
    SELECT 1 FROM vehicles uv
     WHERE uv.id = ${vehicle}
       AND uv.group_id IN (
         WITH RECURSIVE sub(id) AS (
           SELECT group_id FROM user_group_scopes WHERE user_id = ${user}
           UNION
           SELECT g.id FROM vehicle_groups g JOIN sub ON g.parent_id = sub.id
         ) SELECT id FROM sub)))`;

/**
 * The vehicles a user may see (as USER_SEES_VEHICLE_SQL), or null when that is the whole organization
 * (an admin, or a user not limited to groups). An unknown user sees nothing.
 */
export async function vehiclesVisibleTo(db: Queryable, userId: string): Promise<string[] | null> {
  const { rows } = await db.query<{ limited: boolean; ids: string[] }>(
    `SELECT u.role <> 'admin' AND EXISTS (SELECT 1 FROM user_group_scopes WHERE user_id = u.id) AS limited,
            ARRAY(SELECT v.id FROM vehicles v
                   WHERE v.organization_id = u.organization_id AND ${USER_SEES_VEHICLE_SQL('u.id', 'u.role', 'v.id')}) AS ids
       FROM users u WHERE u.id = $1`,
    [userId],
  );
  if (!rows[0]) return [];
  return rows[0].limited ? rows[0].ids : null;
}
