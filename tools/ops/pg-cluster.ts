// PostgreSQL clusters of a test's own for the suites that stop, promote or recover a server: the
// launcher of @fleet/runtime/testing (initdb, free port, fsync off; configurable, crashable,
// promotable), plus base backups. Full-page writes stay on, as pg_basebackup and crash recovery need.
import path from 'node:path';
import {
  freePort,
  initPostgres,
  pgExec,
  postgresDir,
  postgresServer,
  type PostgresServer,
} from '@fleet/runtime/testing';

export { pgBin, pgExec, pgOwner } from '@fleet/runtime/testing';
export type Cluster = PostgresServer;

/** A new, stopped cluster (initdb). With `password`, TCP connections need it (scram-sha-256). */
export async function initCluster(options: { password?: string } = {}): Promise<Cluster> {
  return initPostgres(await freePort(), options);
}

/** A physical copy of a running cluster (pg_basebackup), stopped; `standby` makes it a streaming replica. */
export async function baseBackup(primary: Cluster, options: { standby: boolean }): Promise<Cluster> {
  const dir = postgresDir();
  const args = ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', path.join(dir, 'data')];
  args.push('--checkpoint=fast');
  if (options.standby) args.push('-R');
  pgExec('pg_basebackup', args);
  return postgresServer(dir, await freePort());
}
