import { hash } from '@node-rs/argon2';
import { createDb, createPool, schema } from '@fleet/db';
import { sql } from 'drizzle-orm';
import { DEMO, demoVehicles } from './demo-data';

/**
 * `nx run db:seed`: the demo organization, its admin user and its fleet. Idempotent: running it twice
 * leaves the same rows. Refused in production, where no demo user may exist.
 */
export async function seed(url: string): Promise<{ organizationId: string; vehicles: number }> {
  const pool = createPool({ url, max: 2, applicationName: 'fleet-seed' });
  const db = createDb(pool);
  try {
    return await db.transaction(async (tx) => {
      const [org] = await tx
        .insert(schema.organizations)
        .values({ name: DEMO.organization, slug: DEMO.slug })
        .onConflictDoUpdate({ target: schema.organizations.slug, set: { name: DEMO.organization } })
        .returning();
      const existing = await tx.execute<{ id: string }>(
        sql`SELECT id FROM users WHERE lower(email) = lower(${DEMO.email})`,
      );
      if (existing.rows.length === 0) {
        await tx.insert(schema.users).values({
          organizationId: org.id,
          email: DEMO.email,
          name: 'Demo Admin',
          role: 'admin',
          passwordHash: await hash(DEMO.password),
        });
      }
      const fleet = demoVehicles().map((v) => ({ ...v, organizationId: org.id }));
      await tx.insert(schema.vehicles).values(fleet).onConflictDoNothing({ target: schema.vehicles.deviceIdentifier });
      return { organizationId: org.id, vehicles: fleet.length };
    });
  } finally {
    await pool.end();
  }
}

async function main() {
  if (process.env['APP_ENV'] === 'production') {
    console.error('seed: refused: APP_ENV=production must never contain demo users or demo data');
    process.exit(1);
  }
  const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/fleet';
  const result = await seed(url);
  console.log(
    `seed: organization "${DEMO.organization}" with ${result.vehicles} vehicles; login ${DEMO.email} / ${DEMO.password}`,
  );
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`seed failed: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
