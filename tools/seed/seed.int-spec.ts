import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { verify } from '@node-rs/argon2';
import pg from 'pg';
import { DEMO } from './demo-data';
import { seed } from './main';

const root = path.resolve(__dirname, '../..');
const TABLES = ['organizations', 'users', 'vehicles'];

async function counts(url: string) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const out: Record<string, number> = {};
    for (const table of TABLES)
      out[table] = Number((await client.query(`SELECT count(*) FROM ${table}`)).rows[0].count);
    return out;
  } finally {
    await client.end();
  }
}

describe('demo seed', () => {
  jest.setTimeout(60_000);
  let testDb: TestDatabase;
  beforeAll(async () => {
    testDb = await createTestDatabase('seed');
  });
  afterAll(() => testDb.drop());

  it('creates the demo organization, user and 25 vehicles, and running it twice changes nothing', async () => {
    await seed(testDb.url);
    const first = await counts(testDb.url);
    expect(first).toEqual({ organizations: 1, users: 1, vehicles: 25 });
    await seed(testDb.url);
    expect(await counts(testDb.url)).toEqual(first);
    const client = new pg.Client({ connectionString: testDb.url });
    await client.connect();
    const user = await client.query('SELECT password_hash, role FROM users WHERE email = $1', [DEMO.email]);
    await client.end();
    expect(user.rows[0].role).toBe('admin');
    expect(await verify(user.rows[0].password_hash, DEMO.password)).toBe(true);
  });

  it('refuses to run with APP_ENV=production and changes nothing', async () => {
    const other = await createTestDatabase('seed-prod');
    try {
      const run = spawnSync(process.execPath, ['--import', 'tsx', 'tools/seed/main.ts'], {
        cwd: root,
        env: {
          ...process.env,
          TSX_TSCONFIG_PATH: 'tsconfig.base.json',
          APP_ENV: 'production',
          DATABASE_URL: other.url,
        },
        encoding: 'utf8',
      });
      expect(run.status).not.toBe(0);
      expect(run.stderr).toMatch(/production/);
      expect(await counts(other.url)).toEqual({ organizations: 0, users: 0, vehicles: 0 });
    } finally {
      await other.drop();
    }
  });
});
