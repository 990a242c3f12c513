import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createPool, dropDatabase } from '@fleet/db';
import pg from 'pg';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { StagingWriter } from '@fleet/queue-replay';
import { seed } from '../seed/main';
import { query, summarize } from './db-compare';
import { repoRoot, run, runOk, tempDir } from './testing';

// tools/backup.sh and tools/restore.sh against the real PostgreSQL: a database filled by the project's
// demo seed (plus a staged ingestion batch) is dumped, restored into a database that did not exist,
// and every table and sequence is compared row by row (count and md5 of the ordered rows).
const backup = path.join(repoRoot, 'tools/backup.sh');
const restore = path.join(repoRoot, 'tools/restore.sh');
const today = run('date', ['+%F']).stdout.trim();

const serverUrl = () => process.env['TEST_DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** A database name the jest global setup cleans up if this process dies. */
function freshDatabaseUrl(slug: string): string {
  const u = new URL(serverUrl());
  u.pathname = `/fleet_t_${slug}_${process.pid}_${randomBytes(3).toString('hex')}`;
  return u.toString();
}

describe('backup and restore', () => {
  jest.setTimeout(240_000);
  let source: TestDatabase;
  let target: string;
  let dir: string;
  let dump: string;
  let oldDatabase: string | undefined;

  beforeAll(async () => {
    source = await createTestDatabase('ops-backup');
    dir = tempDir('backups');
    await seed(source.url, { days: 1, stepSeconds: 30 });
    // The staging table too: accepted positions must survive a restore.
    const pool = createPool({ url: source.url, max: 1, applicationName: 'ops-backup' });
    try {
      const [vehicle] = (
        await pool.query<{ id: string; organization_id: string }>('SELECT id, organization_id FROM vehicles LIMIT 1')
      ).rows;
      await new StagingWriter(pool).stage({
        protocol: 'json',
        positions: [
          { vehicleId: vehicle.id, organizationId: vehicle.organization_id, ts: Date.now(), lat: 40.4, lon: -3.7 },
        ],
      });
    } finally {
      await pool.end();
    }
    target = freshDatabaseUrl('ops_restore');
  });

  afterAll(async () => {
    await source?.drop();
    if (target) await dropDatabase(target);
    if (oldDatabase) await dropDatabase(oldDatabase);
    rmSync(dir, { recursive: true, force: true });
  });

  it('backup.sh writes backups/gps-<date>.dump that reads back, with its checksum', () => {
    const res = runOk(backup, [], { env: { DATABASE_URL: source.url, BACKUP_DIR: dir } });
    dump = path.join(dir, `gps-${today}.dump`);
    expect(res.stdout).toContain(`wrote ${dump}`);
    expect(existsSync(dump)).toBe(true);
    expect(readFileSync(`${dump}.sha256`, 'utf8')).toMatch(new RegExp(`^[0-9a-f]{64}  gps-${today}\\.dump\\n$`));
    expect(runOk('pg_restore', ['--list', dump]).stdout).toContain('TABLE DATA public positions');
    expect(readdirSync(dir).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('restore.sh restores it into a database that did not exist: every table and sequence identical', async () => {
    const res = runOk(restore, [dump, target]);
    expect(res.stdout).toMatch(/created database/);
    const [before, after] = await Promise.all([summarize(source.url), summarize(target)]);
    // The comparison is meaningful: the seeded tables are really there, with data.
    for (const table of [
      'organizations',
      'users',
      'vehicles',
      'vehicle_state',
      'geofences',
      'events',
      'ingest_staging',
    ])
      expect(before[`public.${table}`]?.rows).toBeGreaterThan(0);
    const positions = Object.entries(before)
      .filter(([name]) => name.startsWith('public.positions'))
      .reduce((n, [, s]) => n + s.rows, 0);
    expect(positions).toBeGreaterThan(10_000);
    expect(Object.keys(after).sort()).toEqual(Object.keys(before).sort());
    expect(after).toEqual(before);
  });

  it('the comparison notices a single changed row', async () => {
    const before = await summarize(target);
    await query(
      target,
      "UPDATE vehicles SET name = name || ' (edited)' WHERE id = (SELECT min(id::text)::uuid FROM vehicles)",
    );
    const after = await summarize(target);
    expect(after['public.vehicles'].rows).toBe(before['public.vehicles'].rows);
    expect(after['public.vehicles'].checksum).not.toBe(before['public.vehicles'].checksum);
  });

  it('restore.sh refuses a non-empty target without --force and leaves it untouched', async () => {
    const before = await summarize(target);
    const res = run(restore, [dump, target]);
    expect(res.status).toBe(2);
    expect(res.stderr).toMatch(/not empty .*--force/);
    expect(await summarize(target)).toEqual(before);
  });

  it('restore.sh --force swaps the dump in, closing open connections, and keeps the previous contents aside', async () => {
    const client = new pg.Client({ connectionString: target });
    client.on('error', () => undefined);
    await client.connect();
    const res = runOk(restore, ['--force', dump, target]);
    // Only its own messages (no stray count of closed sessions from psql).
    expect(res.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^restore: restoring .* into \S+_restoring_\d{14} \(beside \S+\)$/),
      expect.stringMatching(/^restore: done; the previous contents are in database /),
    ]);
    expect(await summarize(target)).toEqual(await summarize(source.url));
    await expect(client.query('SELECT 1')).rejects.toThrow();
    await client.end().catch(() => undefined);
    // The previous contents (with the edited vehicle) wait in a database of their own.
    const old = /previous contents are in database (\S+)/.exec(res.stdout)?.[1];
    expect(old).toMatch(/_old_\d{14}$/);
    const oldUrl = new URL(target);
    oldUrl.pathname = `/${old}`;
    oldDatabase = oldUrl.toString();
    await query(serverUrl(), `ALTER DATABASE "${old}" WITH ALLOW_CONNECTIONS true`);
    const edited = await query<{ n: string }>(
      oldDatabase,
      "SELECT count(*) AS n FROM vehicles WHERE name LIKE '% (edited)'",
    );
    expect(Number(edited[0].n)).toBe(1);
  });

  it('restore.sh refuses a corrupted dump before touching anything', () => {
    const bad = path.join(dir, 'gps-1999-01-01.dump');
    writeFileSync(bad, readFileSync(dump).subarray(0, 2000));
    const res = run(restore, ['--force', bad, target]);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/not a pg_dump custom-format archive|checksum/);
    rmSync(bad);
  });

  it('backup.sh keeps only the newest BACKUP_KEEP dumps', () => {
    for (const day of ['2020-01-01', '2020-01-02', '2020-01-03', '2020-01-04'])
      writeFileSync(path.join(dir, `gps-${day}.dump`), 'old');
    runOk(backup, [], { env: { DATABASE_URL: source.url, BACKUP_DIR: dir, BACKUP_KEEP: '3' } });
    expect(
      readdirSync(dir)
        .filter((f) => f.endsWith('.dump'))
        .sort(),
    ).toEqual(['gps-2020-01-03.dump', 'gps-2020-01-04.dump', `gps-${today}.dump`]);
  });

  it('backup.sh fails without leaving a dump behind when the database cannot be read', () => {
    const other = tempDir('backups-fail');
    try {
      const bad = new URL(source.url);
      bad.pathname = '/fleet_no_such_database';
      const res = run(backup, [], { env: { DATABASE_URL: bad.toString(), BACKUP_DIR: other } });
      expect(res.status).not.toBe(0);
      expect(res.stderr).toMatch(/pg_dump failed/);
      expect(readdirSync(other)).toEqual([]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });

  // No S3 here: a stand-in `aws` on PATH records what the script asks of it and answers the bucket's
  // versioning state. It checks the script's part of the contract (versioning required, key layout).
  describe('upload to S3', () => {
    let bin: string;
    const log = () => readFileSync(path.join(bin, 'calls.log'), 'utf8');
    beforeAll(() => {
      bin = tempDir('aws');
      writeFileSync(
        path.join(bin, 'aws'),
        `#!/bin/sh\necho "$*" >> "${bin}/calls.log"\ncase "$*" in *get-bucket-versioning*) echo "$FAKE_VERSIONING";; esac\n`,
      );
      chmodSync(path.join(bin, 'aws'), 0o755);
    });
    afterAll(() => rmSync(bin, { recursive: true, force: true }));
    const env = (versioning: string) => ({
      DATABASE_URL: source.url,
      BACKUP_DIR: dir,
      BACKUP_S3_URI: 's3://acme-fleet-backups/production/',
      FAKE_VERSIONING: versioning,
      PATH: `${bin}:${process.env['PATH']}`,
    });

    it('uploads the dump and its checksum to a versioned bucket', () => {
      const res = runOk(backup, [], { env: env('Enabled') });
      expect(res.stdout).toContain(`uploaded s3://acme-fleet-backups/production/gps-${today}.dump`);
      expect(log()).toContain('s3api get-bucket-versioning --bucket acme-fleet-backups');
      expect(log()).toContain(
        `s3 cp ${dir}/gps-${today}.dump s3://acme-fleet-backups/production/gps-${today}.dump --sse AES256`,
      );
      expect(log()).toContain(`s3://acme-fleet-backups/production/gps-${today}.dump.sha256`);
    });

    it('refuses a bucket without versioning, keeping the local dump', () => {
      rmSync(path.join(bin, 'calls.log'), { force: true });
      const res = run(backup, [], { env: env('Suspended') });
      expect(res.status).not.toBe(0);
      expect(res.stderr).toMatch(/does not have versioning enabled/);
      expect(log()).not.toContain('s3 cp');
      expect(existsSync(path.join(dir, `gps-${today}.dump`))).toBe(true);
    });
  });
});
