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
