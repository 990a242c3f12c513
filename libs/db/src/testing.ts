import { randomBytes } from 'node:crypto';
import { generateDeviceToken, hashDeviceToken } from '@fleet/auth';
import pg from 'pg';
import { databaseName, dropDatabase, ensureDatabase } from './admin';

/**
 * `pool.end()` resolves before its connections are gone; dropping the database WITH (FORCE) then
 * kills them, and the pool's unheard 'error' event fails the suite. Wait (briefly) for the suite's own
 * connections to close first; FORCE only removes what is still there after that.
 */
async function dropWhenIdle(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: serverUrl() });
  await client.connect();
  try {
    for (let i = 0; i < 40; i++) {
      const res = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
        [databaseName(url)],
      );
      if (res.rows[0].n === 0) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    await client.end();
  }
  await dropDatabase(url);
}

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

const serverUrl = () => process.env['TEST_DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

/**
 * A fresh, migrated database of this suite's own, copied from the template that the jest global
 * setup migrated once per run. Drop it in afterAll.
 */
export async function createTestDatabase(suite: string): Promise<TestDatabase> {
  const template = process.env['FLEET_TEST_TEMPLATE_DB'];
  if (!template)
    throw new Error('FLEET_TEST_TEMPLATE_DB is not set: run the suite through jest (tools/test/global-setup.cjs)');
  const slug = suite
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  const name = `fleet_t_${slug}_${process.pid}_${randomBytes(3).toString('hex')}`;
  const u = new URL(serverUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  await ensureDatabase(url, { template });
  return { url, drop: () => dropWhenIdle(url) };
}

export interface TestVehicle {
  id: string;
  organizationId: string;
  identifier: string;
  token: string;
}

/** An organization with `count` vehicles, each with a device identifier and token. */
export async function createFleet(url: string, options: { count: number; slug: string }): Promise<TestVehicle[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const org = await client.query<{ id: string }>(
      'INSERT INTO organizations (name, slug) VALUES ($1, $1) RETURNING id',
      [options.slug],
    );
    const organizationId = org.rows[0].id;
    const vehicles: TestVehicle[] = [];
    for (let i = 0; i < options.count; i++) {
      const token = generateDeviceToken();
      const identifier = `${options.slug}-${i}`;
      const res = await client.query<{ id: string }>(
        'INSERT INTO vehicles (organization_id, name, device_identifier, device_token_hash) VALUES ($1, $2, $3, $4) RETURNING id',
        [organizationId, `Vehicle ${i}`, identifier, hashDeviceToken(token)],
      );
      vehicles.push({ id: res.rows[0].id, organizationId, identifier, token });
    }
    return vehicles;
  } finally {
    await client.end();
  }
}
