// The one launcher of a private PostgreSQL server (initdb in a temporary folder, a free port, fsync
// off) for the suites that stop, crash, promote or recover a server: the shared instance is never
// disturbed. startOwnPostgres (@fleet/runtime/testing) and tools/ops/pg-cluster.ts (archiving,
// replication, base backups) are both this launcher with different settings.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { answersQueries } from '../postgres';

const PG_BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';
export const pgBin = (name: string) => path.join(PG_BIN, name);

/** PostgreSQL refuses to run as root: when we are root, its processes run as the `postgres` user. */
export const pgOwner: { uid?: number; gid?: number } =
  process.getuid?.() === 0
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
        gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
      }
    : {};

/** Runs a PostgreSQL binary (initdb, pg_ctl, pg_basebackup…) as the servers' owner; returns its stdout. */
export function pgExec(bin: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync(pgBin(bin), args, {
    ...pgOwner,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

/** A temporary folder every user can write to (the server, run as `postgres`, puts its socket there). */
export function postgresDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fleet-pg-'));
  chmodSync(dir, 0o777);
  return dir;
}

export interface PostgresServer {
  port: number;
  /** `<dir>/data`, the cluster's data folder. */
  dataDir: string;
  /** Superuser URL (`postgres`, with the password given at init if any). */
  url: string;
  start(): Promise<void>;
  /** Fast shutdown (SIGINT: clients are disconnected, it stops at once). */
  stop(): Promise<void>;
  /** SIGKILL on the postmaster: a crash. */
  kill(): Promise<void>;
  running(): boolean;
  promote(): void;
  /** Appends to postgresql.auto.conf (read at the next start). */
  configure(settings: Record<string, string>): void;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
  /** What the server printed so far. */
  log(): string;
}

export interface PostgresOptions {
  /** TCP connections need it (scram-sha-256); without it they are trusted. */
  password?: string;
  /** Settings given on the command line at every start (`-c name=value`), besides fsync=off. */
  settings?: Record<string, string>;
}

/** A server over an existing data folder, `<dir>/data` (a fresh initdb or a base backup), stopped. */
export function postgresServer(dir: string, port: number, options: PostgresOptions = {}): PostgresServer {
  const dataDir = path.join(dir, 'data');
  let child: ChildProcess | undefined;
  let log = '';
  const running = () => !!child && child.exitCode === null && child.signalCode === null;
  const waitExit = async (signal: NodeJS.Signals) => {
    const current = child;
    if (!current || !running()) return;
    const exited = new Promise((resolve) => current.once('exit', resolve));
    current.kill(signal);
    await exited;
  };
  const auth = options.password ? `postgres:${encodeURIComponent(options.password)}@` : 'postgres@';
  const url = `postgres://${auth}127.0.0.1:${port}/postgres`;
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: dir,
    fsync: 'off',
    ...options.settings,
  };
  return {
    port,
    dataDir,
    url,
    running,
    log: () => log,
    configure(values) {
      appendFileSync(
        path.join(dataDir, 'postgresql.auto.conf'),
        Object.entries(values)
          .map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'\n`)
          .join(''),
      );
    },
    async start() {
      const args = ['-D', dataDir, '-p', String(port)];
      for (const [name, value] of Object.entries(settings)) args.push('-c', `${name}=${value}`);
      const current = spawn(pgBin('postgres'), args, { ...pgOwner, stdio: ['ignore', 'pipe', 'pipe'] });
      child = current;
      current.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      current.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      const died = new Promise<never>((_, reject) =>
        current.once('exit', () => reject(new Error(`postgres on ${port} exited:\n${log}`))),
      );
      // Polled until it answers a query, or fails at once when the server exits (bad settings, a
      // port taken since freePort).
      const deadline = Date.now() + 30_000;
      const ready = (async () => {
        while (!(await answersQueries(url, { timeoutMs: 1_000 }))) {
          if (!running()) await died;
          if (Date.now() > deadline) throw new Error(`timed out after 30000 ms waiting for postgres on ${port}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      await Promise.race([ready, died]);
    },
    stop: () => waitExit('SIGINT'),
    kill: () => waitExit('SIGKILL'),
    promote: () => void pgExec('pg_ctl', ['promote', '-w', '-D', dataDir]),
    async destroy() {
      await waitExit('SIGINT');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A new, stopped server (initdb) on `port`. Streaming replication from 127.0.0.1 is allowed. */
export function initPostgres(port: number, options: PostgresOptions = {}): PostgresServer {
  const dir = postgresDir();
  const dataDir = path.join(dir, 'data');
  const args = ['-D', dataDir, '-U', 'postgres', '--no-sync', '--auth-local=trust'];
  if (options.password) {
    const pwfile = path.join(dir, 'pw');
    writeFileSync(pwfile, options.password, { mode: 0o644 });
    args.push('--auth-host=scram-sha-256', `--pwfile=${pwfile}`);
  } else {
    args.push('--auth-host=trust');
  }
  pgExec('initdb', args);
  // The default pg_hba allows replication only over the socket and ::1.
  appendFileSync(
    path.join(dataDir, 'pg_hba.conf'),
    `host replication all 127.0.0.1/32 ${options.password ? 'scram-sha-256' : 'trust'}\n`,
  );
  return postgresServer(dir, port, options);
}
