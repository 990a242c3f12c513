import { randomBytes } from 'node:crypto';
import { hashPassword } from '@fleet/auth';
import type {
  Organization,
  OrganizationCreate,
  OrganizationCreated,
  OrganizationUpdate,
  PlatformOrganization,
} from '@fleet/contracts';
import { createDb, driverError, schema, withTransaction, type Database, type Pool } from '@fleet/db';
import { asc, eq, sql } from 'drizzle-orm';
import { conflict, notFound } from '../errors';

const { organizations, users, vehicles } = schema;

const COLUMNS = {
  id: organizations.id,
  name: organizations.name,
  slug: organizations.slug,
  positionRetentionDays: organizations.positionRetentionDays,
  eventRetentionDays: organizations.eventRetentionDays,
  settings: organizations.settings,
  createdAt: organizations.createdAt,
  updatedAt: organizations.updatedAt,
};
type Row = Pick<typeof organizations.$inferSelect, keyof typeof COLUMNS>;

const toOrganization = (r: Row): Organization => ({
  id: r.id,
  name: r.name,
  slug: r.slug,
  positionRetentionDays: r.positionRetentionDays,
  eventRetentionDays: r.eventRetentionDays,
  osmandTokenRequired: r.settings['osmandTokenRequired'] === true,
  createdAt: r.createdAt.toISOString(),
  updatedAt: r.updatedAt.toISOString(),
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

const uniqueViolation = (err: unknown, constraint: string) => {
  const cause = driverError(err) as { code?: string; constraint?: string };
  return cause.code === '23505' && cause.constraint === constraint;
};
const emailTaken = () =>
  conflict('a user with this email exists (in this or another organization)', [
    { path: 'adminEmail', message: 'already has an account' },
  ]);

/** The caller's own organization: its name, how long its history is kept (the worker applies it), device settings. */
export class Organizations {
  private readonly db: Database;

  constructor(
    pool: Pool,
    /** The device directory's cache holds each organization's device settings: it must forget them. */
    private readonly onDeviceSettingsChange: () => void = () => undefined,
  ) {
    this.db = createDb(pool);
  }

  async get(org: string): Promise<Organization> {
    const [row] = await this.db.select(COLUMNS).from(organizations).where(eq(organizations.id, org));
    if (!row) throw notFound('organization');
    return toOrganization(row);
  }

  async update(org: string, patch: OrganizationUpdate): Promise<Organization> {
    const [row] = await this.db
      .update(organizations)
      .set({
        name: patch.name,
        positionRetentionDays: patch.positionRetentionDays,
        eventRetentionDays: patch.eventRetentionDays,
        // One key of the settings, the others kept.
        settings:
          patch.osmandTokenRequired === undefined
            ? undefined
            : sql`${organizations.settings} || jsonb_build_object('osmandTokenRequired', ${patch.osmandTokenRequired}::boolean)`,
        updatedAt: sql`now()`,
      })
      .where(eq(organizations.id, org))
      .returning(COLUMNS);
    if (!row) throw notFound('organization');
    if (patch.osmandTokenRequired !== undefined) this.onDeviceSettingsChange();
    return toOrganization(row);
  }
}

/**
 * Platform administration (the create-organization CLI and the platform routes): every organization
 * of this installation, and a new one with its first admin.
 */
export class Platform {
  private readonly db: Database;

  constructor(private readonly pool: Pool) {
    this.db = createDb(pool);
  }

  async listOrganizations(): Promise<PlatformOrganization[]> {
    const rows = await this.db
      .select({
        ...COLUMNS,
        users: this.db.$count(users, eq(users.organizationId, organizations.id)),
        vehicles: this.db.$count(vehicles, eq(vehicles.organizationId, organizations.id)),
      })
      .from(organizations)
      .orderBy(asc(organizations.createdAt), asc(organizations.id));
    return rows.map((r) => ({ ...toOrganization(r), users: r.users, vehicles: r.vehicles }));
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
    return withTransaction(this.pool, async (conn) => {
      const tx = createDb(conn);
      if (await tx.$count(users, sql`lower(${users.email}) = lower(${input.adminEmail})`)) throw emailTaken();
      const row = await insertOrganization(tx, input);
      const [admin] = await tx
        .insert(users)
        .values({ organizationId: row.id, email: input.adminEmail, name: input.adminName, role: 'admin', passwordHash })
        .returning({ id: users.id, email: users.email })
        .catch((err: unknown) => {
          // Another request took the email between the check and the insert.
          if (uniqueViolation(err, 'users_email_lower_key')) throw emailTaken();
          throw err;
        });
      return {
        organization: toOrganization(row),
        admin: { id: admin.id, email: admin.email, role: 'admin' as const },
        ...(generatedPassword && { generatedPassword }),
      };
    });
  }
}

async function insertOrganization(tx: Database, input: OrganizationCreate): Promise<Row> {
  const base = input.slug ?? slugOf(input.name);
  for (let n = 1; n <= 100; n++) {
    const slug = n === 1 ? base : `${base}-${n}`;
    const [row] = await tx
      .insert(organizations)
      .values({ name: input.name, slug })
      .onConflictDoNothing({ target: organizations.slug })
      .returning(COLUMNS);
    if (row) return row;
    if (input.slug)
      throw conflict(`the slug ${input.slug} is taken`, [
        { path: 'slug', message: 'already taken by another organization' },
      ]);
  }
  throw conflict(`too many organizations are named like ${base}: choose a slug`, [
    { path: 'slug', message: 'choose one' },
  ]);
}
