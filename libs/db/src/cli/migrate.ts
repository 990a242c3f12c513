import { ensureDatabase, postgisAvailable, runMigrations } from '../admin';

// `nx run db:migrate`: creates the database when missing, then applies pending migrations.
async function main() {
  const url = process.env['DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/fleet';
  if (!(await postgisAvailable(url))) {
    console.error(
      'PostGIS is not installed on this PostgreSQL server. Install it (Debian: apt-get install -y postgresql-15-postgis-3) and run again.',
    );
    process.exit(1);
  }
  const created = await ensureDatabase(url);
  await runMigrations(url);
  console.log(`migrations applied to ${new URL(url).pathname.slice(1)}${created ? ' (database created)' : ''}`);
}

main().catch((err) => {
  console.error(`migration failed: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
