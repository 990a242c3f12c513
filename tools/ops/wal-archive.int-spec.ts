import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { baseBackup, initCluster, type Cluster } from './pg-cluster';
import { query } from './db-compare';
import { repoRoot, run, tempDir, waitFor } from './testing';

// WAL archiving with tools/wal-archive.sh as the real archive_command of a PostgreSQL cluster of our
// own, and point-in-time recovery with tools/wal-restore.sh: rows written after the base backup come
// back from the archived segments alone.
const archiveScript = path.join(repoRoot, 'tools/wal-archive.sh');
const restoreScript = path.join(repoRoot, 'tools/wal-restore.sh');

describe('WAL archiving (archive_command) and point-in-time recovery', () => {
  jest.setTimeout(120_000);
  let primary: Cluster;
  let recovered: Cluster | undefined;
  let archive: string;

  beforeAll(async () => {
    archive = tempDir('wal-archive');
    primary = await initCluster();
    primary.configure({
      wal_level: 'replica',
      archive_mode: 'on',
      archive_command: `${archiveScript} %p %f ${archive}`,
    });
    await primary.start();
  });
  afterAll(async () => {
    await primary?.destroy();
    await recovered?.destroy();
    rmSync(archive, { recursive: true, force: true });
  });

  const archiver = async () =>
    (
      await query<{ archived_count: string; failed_count: string; last_archived_wal: string | null }>(
        primary.url,
        'SELECT archived_count, failed_count, last_archived_wal FROM pg_stat_archiver',
      )
    )[0];

  it('archives a segment once PostgreSQL switches to the next one', async () => {
    await query(primary.url, 'CREATE TABLE fixes (id int PRIMARY KEY, note text)');
    await query(primary.url, "INSERT INTO fixes SELECT g, 'before' FROM generate_series(1, 1000) g");
    const [{ segment }] = await query<{ segment: string }>(
      primary.url,
      'SELECT pg_walfile_name(pg_current_wal_lsn()) AS segment',
    );
    await query(primary.url, 'SELECT pg_switch_wal()');
    await waitFor(async () => (await archiver()).last_archived_wal === segment, {
      timeoutMs: 30_000,
      what: `segment ${segment} archived`,
    });
    const file = path.join(archive, segment);
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).size).toBe(16 * 1024 * 1024);
    expect(Number((await archiver()).failed_count)).toBe(0);
    expect(readdirSync(archive).filter((f) => f.includes('partial'))).toEqual([]);
  });

  it('recovers rows written after the base backup from the archived WAL alone', async () => {
    const base = await baseBackup(primary, { standby: false });
    await query(primary.url, "INSERT INTO fixes SELECT g, 'after' FROM generate_series(1001, 1500) g");
    const [{ segment }] = await query<{ segment: string }>(
      primary.url,
      'SELECT pg_walfile_name(pg_current_wal_lsn()) AS segment',
    );
    await query(primary.url, 'SELECT pg_switch_wal()');
    await waitFor(async () => (await archiver()).last_archived_wal === segment, {
      timeoutMs: 30_000,
      what: `segment ${segment} archived`,
    });
    // The base backup knows nothing of the 500 later rows; nothing is streamed from the primary.
    await primary.stop();
    recovered = base;
    writeFileSync(path.join(base.dataDir, 'recovery.signal'), '');
    base.configure({
      restore_command: `${restoreScript} %f %p ${archive}`,
      recovery_target_timeline: 'latest',
      recovery_target_action: 'promote',
      archive_mode: 'off',
    });
    await base.start();
    await waitFor(
      async () => (await query<{ r: boolean }>(base.url, 'SELECT pg_is_in_recovery() AS r'))[0].r === false,
      { timeoutMs: 30_000, what: 'recovery to finish' },
    );
    const rows = await query<{ note: string; n: string }>(
      base.url,
      'SELECT note, count(*) AS n FROM fixes GROUP BY note ORDER BY note',
    );
    expect(rows).toEqual([
      { note: 'after', n: '500' },
      { note: 'before', n: '1000' },
    ]);
    expect(base.log()).toMatch(/restored log file "[0-9A-F]{24}" from archive/);
  });

  it('wal-archive.sh accepts a retry of the same segment and refuses to overwrite a different one', () => {
    const dir = tempDir('wal-overwrite');
    try {
      const src = path.join(dir, 'segment');
      writeFileSync(src, 'one');
      const dest = path.join(dir, 'archive');
      run('mkdir', [dest]);
      expect(run(archiveScript, [src, '000000010000000000000042', dest]).status).toBe(0);
      expect(run(archiveScript, [src, '000000010000000000000042', dest]).status).toBe(0);
      writeFileSync(src, 'two');
      const res = run(archiveScript, [src, '000000010000000000000042', dest]);
      expect(res.status).toBe(1);
      expect(res.stderr).toMatch(/different content; not overwriting/);
      expect(readFileSync(path.join(dest, '000000010000000000000042'), 'utf8')).toBe('one');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
