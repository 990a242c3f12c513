import { randomBytes } from 'node:crypto';
import { hashPassword } from '@fleet/auth';
import type {
  Organization,
  OrganizationCreate,
  OrganizationCreated,
  OrganizationUpdate,
  PlatformOrganization,
} from '@fleet/contracts';
import type { Pool, PoolClient } from 'pg';
import { AppError, notFound } from '../errors';

interface Row {
  id: string;
  name: string;
  slug: string;
  position_retention_days: number | null;
  event_retention_days: number | null;
  settings: Record<string, unknown>;
  created_at: Date;
  updated_at: Date;
}
const COLUMNS = 'id, name, slug, position_retention_days, event_retention_days, settings, created_at, updated_at';

const toOrganization = (r: Row): Organization => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  positionRetentionDays: r.position_retention_days,
  eventRetentionDays: r.event_retention_days,
  osmandTokenRequired: r.settings['osmandTokenRequired'] === true,
  createdAt: r.created_at.toISOString(),
  updatedAt: r.updated_at.toISOString(),
});

/** "Ærø Logística S.L." → "aero-logistica-s-l": ASCII letters and digits joined by single dashes. */
export function slugOf(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/æ/gi, 'ae')
    .replace(/ø/gi, 'o')
    .replace(/ß/g, 'ss')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return slug.length >= 2 ? slug : `org-${slug || randomBytes(3).toString('hex')}`;
}

const uniqueViolation = (err: unknown, constraint: string) =>
  (err as { code?: string }).code === '23505' && (err as { constraint?: string }).constraint === constraint;

/** The caller's own organization: its name, how long its history is kept (the worker applies it), device settings. */
export class Organizations {
  constructor(
    private readonly pool: Pool,
    /** The device directory's cache holds each organization's device settings: it must forget them. */
    private readonly onDeviceSettingsChange: () => void = () => undefined,
  ) {}

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
    if (patch.osmandTokenRequired !== undefined)
      sets.push(
        `settings = settings || jsonb_build_object('osmandTokenRequired', $${params.push(patch.osmandTokenRequired)}::boolean)`,
      );
    const res = await this.pool.query<Row>(
      `UPDATE organizations SET ${sets.join(', ')} WHERE id = $1 RETURNING ${COLUMNS}`,
      params,
    );
    if (!res.rows[0]) throw notFound('organization');
    if (patch.osmandTokenRequired !== undefined) this.onDeviceSettingsChange();
    return toOrganization(res.rows[0]);
  }
}

/**
 * Platform administration (the create-organization CLI and the platform routes): every organization
 * of this installation, and a new one with its first admin.
 */
export class Platform {
  constructor(private readonly pool: Pool) {}

  async listOrganizations(): Promise<PlatformOrganization[]> {
    const res = await this.pool.query<Row & { users: string; vehicles: string }>(
      `SELECT ${COLUMNS},
              (SELECT count(*) FROM users u WHERE u.organization_id = o.id) AS users,
              (SELECT count(*) FROM vehicles v WHERE v.organization_id = o.id) AS vehicles
         FROM organizations o ORDER BY created_at, id`,
    );
    return res.rows.map((r) => ({ ...toOrganization(r), users: Number(r.users), vehicles: Number(r.vehicles) }));
  }

  /**
   * One transaction: the organization (its slug derived from the name unless given; a number is
   * appended while the derived one is taken) and its admin. Without a password, one is generated
   * and returned this once.
   */
  async createOrganization(input: OrganizationCreate): Promise<OrganizationCreated> {
    const password = input.adminPassword ?? randomBytes(18).toString('base64url');
    const generatedPassword = input.adminPassword === undefined ? password : undefined;
    const passwordHash = await hashPassword(password);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const taken = await client.query('SELECT 1 FROM users WHERE lower(email) = lower($1)', [input.adminEmail]);
      if (taken.rowCount)
        throw new AppError(409, 'conflict', 'a user with this email exists (in this or another organization)', [
          { path: 'adminEmail', message: 'already has an account' },
        ]);
      const row = await insertOrganization(client, input);
      const admin = await client
        .query<{ id: string; email: string }>(
          `INSERT INTO users (organization_id, email, name, role, password_hash) VALUES ($1, $2, $3, 'admin', $4)
           RETURNING id, email`,
          [row.id, input.adminEmail, input.adminName, passwordHash],
        )
        .catch((err: unknown) => {
          // Another request took the email between the check and the insert.
          if (uniqueViolation(err, 'users_email_lower_key'))
            throw new AppError(409, 'conflict', 'a user with this email exists (in this or another organization)', [
              { path: 'adminEmail', message: 'already has an account' },
            ]);
          throw err;
        });
      await client.query('COMMIT');
      return {
        organization: toOrganization(row),
        admin: { id: admin.rows[0].id, email: admin.rows[0].email, role: 'admin' },
        ...(generatedPassword && { generatedPassword }),
      };
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }
}

async function insertOrganization(client: PoolClient, input: OrganizationCreate): Promise<Row> {
  const base = input.slug ?? slugOf(input.name);
  for (let n = 1; n <= 100; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    const res = await client.query<Row>(
      `INSERT INTO organizations (name, slug) VALUES ($1, $2) ON CONFLICT (slug) DO NOTHING RETURNING ${COLUMNS}`,
      [input.name, slug],
    );
    if (res.rows[0]) return res.rows[0];
    if (input.slug)
      throw new AppError(409, 'conflict', `the slug ${input.slug} is taken`, [
        { path: 'slug', message: 'already taken by another organization' },
      ]);
  }
  throw new AppError(409, 'conflict', `too many organizations are named like ${base}: choose a slug`, [
    { path: 'slug', message: 'choose one' },
  ]);
}
