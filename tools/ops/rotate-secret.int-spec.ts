import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { hashPassword } from '@fleet/auth';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import pg from 'pg';
import { editEnv, readEnvFile, scramVerifier } from '../secrets/rotate-secret';
import { query } from './db-compare';
import { initCluster, type Cluster } from './pg-cluster';
import { repoRoot, run, startAppProcess, tempDir, type Service } from './testing';

// tools/rotate-secret, run as operators run it (the executable, on an env file), and checked against
// the real services: the API across a JWT rotation, PostgreSQL across a password change.
const rotate = path.join(repoRoot, 'tools/rotate-secret');
const rotateIn = (dir: string, args: string[], input?: string) => run(rotate, args, { cwd: dir, input });

describe('tools/rotate-secret', () => {
  jest.setTimeout(180_000);
  let dir: string;
  beforeAll(() => (dir = tempDir('secrets')));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('generate prints a strong, new secret each time', () => {
    const secrets = [0, 1, 2].map(() => rotateIn(dir, ['generate']).stdout.trim());
    for (const s of secrets) {
      expect(s).toMatch(/^[A-Za-z0-9_-]{64}$/); // 48 random bytes
      expect(new Set(s).size).toBeGreaterThan(20);
    }
    expect(new Set(secrets).size).toBe(3);
  });

  it('edits env files in place, keeping comments and other variables', () => {
    const text = '# fleet\nAPP_ENV=production\nexport JWT_SECRET="old"\nLOG_LEVEL=info\n';
    expect(editEnv(text, { JWT_SECRET: 'new', JWT_SECRET_PREVIOUS: 'old', LOG_LEVEL: undefined })).toBe(
      '# fleet\nAPP_ENV=production\nJWT_SECRET=new\nJWT_SECRET_PREVIOUS=old\n',
    );
  });

  describe('JWT_SECRET, with the real API', () => {
    let db: TestDatabase;
    let api: Service | undefined;
    const file = () => path.join(dir, 'jwt.env');
    const start = async () => {
      const env = Object.fromEntries(readEnvFile(file()));
      api = await startAppProcess('api', { ...env, DATABASE_URL: db.url, REDIS_KEY_PREFIX: 'ops-rotate:' });
      return `http://127.0.0.1:${api.port}/api/v1`;
    };
    const restart = async () => {
      await api?.stop();
      return start();
    };
    const login = async (base: string) => {
      const res = await fetch(`${base}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'ops@rotate.example', password: 'rotation drill 2026', client: 'mobile' }),
      });
      expect(res.status).toBe(200);
      return ((await res.json()) as { accessToken: string }).accessToken;
    };
    const me = async (base: string, token: string) =>
      (await fetch(`${base}/auth/me`, { headers: { authorization: `Bearer ${token}` } })).status;

    beforeAll(async () => {
      db = await createTestDatabase('ops-rotate');
      const [org] = await query<{ id: string }>(
        db.url,
        "INSERT INTO organizations (name, slug) VALUES ('Rotate', 'rotate') RETURNING id",
      );
      await query(
        db.url,
        "INSERT INTO users (organization_id, email, name, role, password_hash) VALUES ($1, 'ops@rotate.example', 'Ops', 'admin', $2)",
        [org.id, await hashPassword('rotation drill 2026')],
      );
      writeFileSync(
        file(),
        `# staging secrets\nAPP_ENV=staging\nJWT_SECRET=q0d3W1vYc8sT4nZLr6uJ2kPb9Xe5Gh7Am1Fz3Ct0oR\nLOG_LEVEL=warn\n`,
      );
    });
    afterAll(async () => {
      await api?.stop();
      await db?.drop();
    });

    it('publish: new secret signs, the old one is still accepted; revoke: the old one is refused', async () => {
      let base = await start();
      const oldToken = await login(base);
      const old = readEnvFile(file()).get('JWT_SECRET');

      const published = rotateIn(dir, ['jwt', 'publish', '--env-file', file()]);
      expect(published.status).toBe(0);
      const env = readEnvFile(file());
      expect(env.get('JWT_SECRET')).toMatch(/^[A-Za-z0-9_-]{64}$/);
      expect(env.get('JWT_SECRET')).not.toBe(old);
      expect(env.get('JWT_SECRET_PREVIOUS')).toBe(old);
      expect(env.get('APP_ENV')).toBe('staging');
      expect(readFileSync(file(), 'utf8')).toMatch(/^# staging secrets\n/);
      expect(statSync(file()).mode & 0o777).toBe(0o600);
      expect(published.stdout + published.stderr).not.toContain(env.get('JWT_SECRET'));

      base = await restart();
      expect(await me(base, oldToken)).toBe(200); // nobody is signed out
      const newToken = await login(base);
      expect(await me(base, newToken)).toBe(200);

      // A second publish before the revoke would drop a secret still in use: refused, file untouched.
      const before = readFileSync(file(), 'utf8');
      const again = rotateIn(dir, ['jwt', 'publish', '--env-file', file()]);
      expect(again.status).toBe(2);
      expect(again.stderr).toMatch(/rotation of JWT_SECRET is in progress/);
      expect(readFileSync(file(), 'utf8')).toBe(before);

      expect(rotateIn(dir, ['jwt', 'revoke', '--env-file', file()]).status).toBe(0);
      expect(readEnvFile(file()).has('JWT_SECRET_PREVIOUS')).toBe(false);
      base = await restart();
      expect(await me(base, oldToken)).toBe(401);
      expect(await me(base, newToken)).toBe(200);
    });
  });

  describe('database password, against a PostgreSQL that checks passwords', () => {
    let cluster: Cluster;
    const file = () => path.join(dir, 'db.env');
    const appUrl = (password: string) => `postgres://fleet_app:${password}@127.0.0.1:${cluster.port}/postgres`;
    const connects = async (url: string) => {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        return true;
      } catch (err) {
        expect((err as { code?: string }).code).toBe('28P01'); // password authentication failed
        return false;
      } finally {
        await client.end().catch(() => undefined);
      }
    };

    beforeAll(async () => {
      cluster = await initCluster({ password: 'admin-password-for-tests' });
      cluster.configure({ log_statement: 'all' });
      await cluster.start();
      await query(cluster.url, "CREATE ROLE fleet_app LOGIN PASSWORD 'old-password-0123'");
      writeFileSync(
        file(),
        `APP_ENV=production\nDATABASE_URL=${appUrl('old-password-0123')}\nREDIS_URL=redis://r:6379\n`,
      );
    });
    afterAll(() => cluster?.destroy());

    it('changes the role password, writes the new DATABASE_URL, and the old password stops working', async () => {
      const open = new pg.Client({ connectionString: appUrl('old-password-0123') });
      open.on('error', () => undefined);
      await open.connect();
      const res = rotateIn(dir, ['db-password', '--env-file', file()]);
      expect(res.stderr).toBe('');
      expect(res.status).toBe(0);
      const url = new URL(readEnvFile(file()).get('DATABASE_URL')!);
      expect(url.username).toBe('fleet_app');
      expect(url.password).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(readEnvFile(file()).get('REDIS_URL')).toBe('redis://r:6379');
      expect(await connects(url.toString())).toBe(true);
      expect(await connects(appUrl('old-password-0123'))).toBe(false);
      // Connections opened before keep working until the rolling restart replaces them.
      expect((await open.query('SELECT 1 AS one')).rows[0].one).toBe(1);
      await open.end();
      // Only a SCRAM verifier travelled: the password is not in the server's statement log.
      expect(cluster.log()).toMatch(/ALTER ROLE CURRENT_USER WITH PASSWORD 'SCRAM-SHA-256\$4096:/);
      expect(cluster.log()).not.toContain(url.password);
      expect(res.stdout).not.toContain(url.password);
    });

    it('leaves the file untouched when the current password is already wrong', () => {
      writeFileSync(file(), `DATABASE_URL=${appUrl('not-the-password')}\n`);
      const res = rotateIn(dir, ['db-password', '--env-file', file()]);
      expect(res.status).toBe(2);
      expect(res.stderr).toMatch(/cannot connect with the current DATABASE_URL/);
      expect(readFileSync(file(), 'utf8')).toBe(`DATABASE_URL=${appUrl('not-the-password')}\n`);
    });

    it('computes the verifier PostgreSQL itself accepts', async () => {
      await query(cluster.url, `ALTER ROLE fleet_app PASSWORD '${scramVerifier('a-known-password')}'`);
      expect(await connects(appUrl('a-known-password'))).toBe(true);
    });
  });

  it('map token: publish from stdin keeps the old one on record, revoke drops it', () => {
    const file = path.join(dir, 'web.env');
    writeFileSync(file, 'MAP_TILE_URL=https://tiles.example/{z}/{x}/{y}.png\nMAP_TOKEN=pk.old-token\n');
    expect(rotateIn(dir, ['map-token', 'publish', '--env-file', file], 'pk.new-token\n').status).toBe(0);
    expect(Object.fromEntries(readEnvFile(file))).toEqual({
      MAP_TILE_URL: 'https://tiles.example/{z}/{x}/{y}.png',
      MAP_TOKEN: 'pk.new-token',
      MAP_TOKEN_PREVIOUS: 'pk.old-token',
      // When, for the scheduled age check (tools/check-secret-age.sh).
      MAP_TOKEN_ROTATED_AT: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/),
    });
    const empty = rotateIn(dir, ['map-token', 'revoke', '--env-file', file]);
    expect(empty.status).toBe(0);
    expect(readEnvFile(file).has('MAP_TOKEN_PREVIOUS')).toBe(false);
    expect(rotateIn(dir, ['map-token', 'publish', '--env-file', file], '').status).toBe(2);
  });
});
