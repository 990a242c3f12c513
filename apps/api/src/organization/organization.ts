import type { Organization, OrganizationUpdate } from '@fleet/contracts';
import type { Pool } from 'pg';
import { notFound } from '../errors';

interface Row {
  id: string;
  name: string;
  slug: string;
  position_retention_days: number | null;
  event_retention_days: number | null;
  created_at: Date;
  updated_at: Date;
}
const COLUMNS = 'id, name, slug, position_retention_days, event_retention_days, created_at, updated_at';

const toOrganization = (r: Row): Organization => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  positionRetentionDays: r.position_retention_days,
  eventRetentionDays: r.event_retention_days,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** The caller's own organization: its name and how long its history is kept (the worker applies it). */
export class Organizations {
  constructor(private readonly pool: Pool) {}

  async get(org: string): Promise<Organization> {
    const res = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM organizations WHERE id = $1`, [org]);
    if (!res.rows[0]) throw notFound('organization');
    return toOrganization(res.rows[0]);
  }

  async update(org: string, patch: OrganizationUpdate): Promise<Organization> {
    const columns: Record<string, unknown> = {
      name: patch.name,
      position_retention_days: patch.positionRetentionDays,
      event_retention_days: patch.eventRetentionDays,
    };
    const params: unknown[] = [org];
    const sets = ['updated_at = now()'];
    for (const [column, value] of Object.entries(columns))
      if (value !== undefined) sets.push(`${column} = $${params.push(value)}`);
    const res = await this.pool.query<Row>(
      `UPDATE organizations SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
      params,
    );
    if (!res.rows[0]) throw notFound('organization');
    return toOrganization(res.rows[0]);
  }
}
