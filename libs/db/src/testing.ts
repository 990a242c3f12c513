import { randomBytes } from 'node:crypto';
import { dropDatabase, ensureDatabase } from './admin';

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
  return { url, drop: () => dropDatabase(url) };
}
