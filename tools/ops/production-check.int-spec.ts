import { rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { seed } from '../seed/main';
import { query } from './db-compare';
import { generateSecret } from '../secrets/rotate-secret';
import { repoRoot, runAsync, startAppProcess, tempDir, type Service } from './testing';

// tools/playbooks/production-check.sh against a migrated database and the real API started with
// APP_ENV=production, behind a stand-in gateway that hides /metrics as the real one must. Then each
// way production can be wrong is introduced, and the check must name it.
const check = path.join(repoRoot, 'tools/playbooks/production-check.sh');

describe('production hardening check', () => {
  jest.setTimeout(180_000);
  let db: TestDatabase;
  let api: Service;
  let gateway: http.Server;
  let dir: string;
  let env: Record<string, string>;
  const secret = generateSecret();

  beforeAll(async () => {
    db = await createTestDatabase('ops-prod-check');
    dir = tempDir('prod-check');
    const production = {
      APP_ENV: 'production',
      JWT_SECRET: secret,
      CORS_ORIGINS: 'https://fleet.example.com',
      DATABASE_URL: db.url,
    };
    writeFileSync(
      path.join(dir, 'prod.env'),
      Object.entries(production)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    api = await startAppProcess('api', { ...production, LOG_FORMAT: '', REDIS_KEY_PREFIX: 'ops-prod-check:' });
    gateway = http.createServer((req, res) => {
      if (req.url?.startsWith('/metrics')) return void res.writeHead(404).end();
      fetch(`http://127.0.0.1:${api.port}${req.url}`).then(
        (r) => res.writeHead(r.status).end(),
        () => res.writeHead(502).end(),
      );
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    env = {
      ENV_FILE: path.join(dir, 'prod.env'),
      API_URL: `http://127.0.0.1:${api.port}`,
      PUBLIC_URL: `http://127.0.0.1:${(gateway.address() as AddressInfo).port}`,
    };
  });
  afterAll(async () => {
    await api?.stop();
    await new Promise((resolve) => gateway?.close(resolve));
    await db?.drop();
    rmSync(dir, { recursive: true, force: true });
  });

  const lines = (out: string, level: string) => out.split('\n').filter((l) => l.startsWith(level));

  it('passes a correct production deployment', async () => {
    const res = await runAsync(check, [], { env });
    expect(lines(res.stdout, 'FAIL')).toEqual([]);
    expect(lines(res.stdout, 'PASS')).toEqual(
      expect.arrayContaining([
        'PASS  APP_ENV=production',
        'PASS  the seed refuses to run with APP_ENV=production',
        'PASS  no demo user, organization or vehicles',
        expect.stringMatching(/^PASS {2}all \d+ migrations applied$/),
        'PASS  API /ready answers 200',
        'PASS  no debug routes',
        'PASS  /metrics is not public',
      ]),
    );
    expect(res.stdout).toContain('ready for traffic');
    expect(res.status).toBe(0);
  });

  it('fails when /metrics is reachable from outside', async () => {
    const res = await runAsync(check, [], { env: { ...env, PUBLIC_URL: env['API_URL'] } });
    expect(res.status).toBe(1);
    expect(lines(res.stdout, 'FAIL')).toEqual([expect.stringMatching(/\/metrics is reachable from outside/)]);
  });

  it('fails on weak or development settings', async () => {
    const res = await runAsync(check, [], {
      env: {
        APP_ENV: 'staging',
        JWT_SECRET: 'change-me-please-0123456789-abcdefgh',
        LOG_FORMAT: 'plain',
        CORS_ORIGINS: 'http://localhost:4200',
        DATABASE_URL: db.url,
      },
    });
    expect(res.status).toBe(1);
    expect(lines(res.stdout, 'FAIL')).toEqual([
      expect.stringMatching(/APP_ENV is 'staging'/),
      expect.stringMatching(/JWT_SECRET is a placeholder/),
      expect.stringMatching(/LOG_FORMAT=plain/),
      expect.stringMatching(/CORS_ORIGINS .*localhost/),
    ]);
  });

  it('fails when a migration is not applied', async () => {
    const [last] = await query<{ id: number; hash: string; created_at: string }>(
      db.url,
      'DELETE FROM drizzle.__drizzle_migrations WHERE id = (SELECT max(id) FROM drizzle.__drizzle_migrations) RETURNING *',
    );
    try {
      const res = await runAsync(check, [], { env });
      expect(res.status).toBe(1);
      expect(lines(res.stdout, 'FAIL')).toEqual([expect.stringMatching(/^FAIL {2}1 migration\(s\) not applied/)]);
    } finally {
      await query(db.url, 'INSERT INTO drizzle.__drizzle_migrations (id, hash, created_at) VALUES ($1, $2, $3)', [
        last.id,
        last.hash,
        last.created_at,
      ]);
    }
  });

  it('fails when the demo user and fleet are present', async () => {
    await seed(db.url, { days: 1, stepSeconds: 600 });
    const res = await runAsync(check, [], { env });
    expect(res.status).toBe(1);
    expect(lines(res.stdout, 'FAIL')).toEqual([expect.stringMatching(/^FAIL {2}demo data present \(27 rows/)]);
  });
});
