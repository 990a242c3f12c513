// Jest global setup: builds (once per migration set) a migrated template database that every
// integration suite copies into a database of its own. Plain CommonJS: it runs before any transform.
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const pg = require('pg');

const root = path.resolve(__dirname, '../..');
const migrationsFolder = path.join(root, 'libs/db/migrations');

function migrationsHash() {
  const hash = crypto.createHash('sha256');
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(file);
      else hash.update(entry.name).update(fs.readFileSync(file));
    }
  };
  walk(migrationsFolder);
  return hash.digest('hex').slice(0, 12);
}

async function query(url, sql, params) {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await client.query(sql, params);
  } finally {
    await client.end();
  }
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

module.exports = async function globalSetup() {
  const serverUrl = process.env.TEST_DATABASE_SERVER_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
  process.env.TEST_DATABASE_SERVER_URL = serverUrl;
  const template = `fleet_tpl_${migrationsHash()}`;
  process.env.FLEET_TEST_TEMPLATE_DB = template;
  if (globalThis.__fleetTemplateReady === template) return;

  const available = await query(serverUrl, "SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'");
  if (!available.rowCount) {
    throw new Error(
      'PostGIS is not installed on the test PostgreSQL server: apt-get install -y postgresql-15-postgis-3',
    );
  }
  const lockClient = new pg.Client({ connectionString: serverUrl });
  await lockClient.connect();
  try {
    await lockClient.query('SELECT pg_advisory_lock(7412002)');
    // Databases left behind by suites whose process died.
    const stale = await lockClient.query("SELECT datname FROM pg_database WHERE datname LIKE 'fleet_t\\_%'");
    for (const { datname } of stale.rows) {
      const pid = Number(datname.split('_').at(-2));
      if (Number.isInteger(pid) && !alive(pid))
        await lockClient.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
    const exists = await lockClient.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [template]);
    if (!exists.rowCount) {
      await lockClient.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`);
      await lockClient.query(`CREATE DATABASE "${template}"`);
      const url = new URL(serverUrl);
      url.pathname = `/${template}`;
      const client = new pg.Client({ connectionString: url.toString() });
      await client.connect();
      try {
        const { drizzle } = require('drizzle-orm/node-postgres');
        const { migrate } = require('drizzle-orm/node-postgres/migrator');
        await client.query('SET client_min_messages = warning');
        await migrate(drizzle(client), { migrationsFolder });
      } finally {
        await client.end();
      }
      await lockClient.query(`ALTER DATABASE "${template}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false`);
      await lockClient.query(`COMMENT ON DATABASE "${template}" IS '${Date.now()}'`);
      // Templates of other migration sets go after a day: a run on another checkout (another branch,
      // a helper's worktree) may still be copying from its own, and dropping it under that run would
      // fail its suites.
      const old = await lockClient.query(
        `SELECT datname FROM pg_database d
          WHERE datname LIKE 'fleet_tpl\\_%' AND datname <> $1
            AND coalesce(nullif(shobj_description(d.oid, 'pg_database'), '')::bigint, 0) < $2`,
        [template, Date.now() - 24 * 3600_000],
      );
      for (const { datname } of old.rows) {
        await lockClient.query(`ALTER DATABASE "${datname}" WITH IS_TEMPLATE false`);
        await lockClient.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
    globalThis.__fleetTemplateReady = template;
  } finally {
    await lockClient.query('SELECT pg_advisory_unlock(7412002)').catch(() => undefined);
    await lockClient.end();
  }
};
