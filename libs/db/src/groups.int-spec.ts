import { Pool } from 'pg';
import { createTestDatabase, type TestDatabase } from './testing';
import { groupSubtree, vehiclesInGroups } from './groups';

describe('vehicle groups: subtrees', () => {
  let testDb: TestDatabase;
  let pool: Pool;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    testDb = await createTestDatabase('db_groups');
    pool = new Pool({ connectionString: testDb.url });
    const org = async (slug: string) =>
      (await pool.query<{ id: string }>(`INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id`, [slug]))
        .rows[0].id;
    ids.org = await org('groups-a');
    ids.other = await org('groups-b');
    const group = async (name: string, parent: string | null, organization = ids.org) =>
      (
        await pool.query<{ id: string }>(
          `INSERT INTO vehicle_groups (organization_id, parent_id, name) VALUES ($1, $2, $3) RETURNING id`,
          [organization, parent, name],
        )
      ).rows[0].id;
    ids.region = await group('Norte', null);
    ids.depot = await group('Depot Norte', ids.region);
    ids.bay = await group('Bay 1', ids.depot);
    ids.south = await group('Sur', null);
    ids.foreign = await group('Norte', null, ids.other);
    const vehicle = async (name: string, groupId: string | null, organization = ids.org) =>
      (
        await pool.query<{ id: string }>(
          `INSERT INTO vehicles (organization_id, name, device_identifier, group_id) VALUES ($1, $2, $2, $3) RETURNING id`,
          [organization, name, groupId],
        )
      ).rows[0].id;
    ids.v1 = await vehicle('g-v1', ids.depot);
    ids.v2 = await vehicle('g-v2', ids.bay);
    ids.v3 = await vehicle('g-v3', ids.south);
    ids.v4 = await vehicle('g-v4', null);
    ids.v5 = await vehicle('g-v5', ids.foreign, ids.other);
  });

  afterAll(async () => {
    await pool?.end();
    await testDb?.drop();
  });

  it('takes a group with every group below it, and nothing of another organization', async () => {
    expect((await groupSubtree(pool, ids.org, [ids.region])).sort()).toEqual([ids.region, ids.depot, ids.bay].sort());
    expect(await groupSubtree(pool, ids.org, [ids.bay])).toEqual([ids.bay]);
    expect(await groupSubtree(pool, ids.org, [ids.foreign])).toEqual([]);
    expect(await groupSubtree(pool, ids.org, [])).toEqual([]);
  });

  it('lists the vehicles of a subtree', async () => {
    expect((await vehiclesInGroups(pool, ids.org, [ids.region])).sort()).toEqual([ids.v1, ids.v2].sort());
    expect((await vehiclesInGroups(pool, ids.org, [ids.depot, ids.south])).sort()).toEqual(
      [ids.v1, ids.v2, ids.v3].sort(),
    );
    expect(await vehiclesInGroups(pool, ids.org, [ids.foreign])).toEqual([]);
  });

  it('refuses to delete a group that still has subgroups, vehicles or scoped users', async () => {
    await expect(pool.query(`DELETE FROM vehicle_groups WHERE id = $1`, [ids.region])).rejects.toThrow(/foreign key/);
    await expect(pool.query(`DELETE FROM vehicle_groups WHERE id = $1`, [ids.south])).rejects.toThrow(/foreign key/);
    // Sibling names are unique whatever their case; the same name elsewhere in the tree is fine.
    await expect(
      pool.query(`INSERT INTO vehicle_groups (organization_id, name) VALUES ($1, 'NORTE')`, [ids.org]),
    ).rejects.toThrow(/vehicle_groups_sibling_name_key/);
    await pool.query(`INSERT INTO vehicle_groups (organization_id, parent_id, name) VALUES ($1, $2, 'Norte')`, [
      ids.org,
      ids.south,
    ]);
  });

  it('deletes an organization with its groups and vehicles in one go', async () => {
    await pool.query(`DELETE FROM organizations WHERE id = $1`, [ids.other]);
    expect((await pool.query(`SELECT 1 FROM vehicle_groups WHERE organization_id = $1`, [ids.other])).rowCount).toBe(0);
  });
});
