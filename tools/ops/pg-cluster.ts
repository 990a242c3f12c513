// PostgreSQL clusters of a test's own, configurable (archiving, replication, passwords), for the
// suites that stop, promote or recover a server. Like startOwnPostgres in @fleet/runtime/testing,
// but with settings, base backups and promotion.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { freePort, tempDir, waitFor } from './testing';

const PG_BIN = process.env['PG_BIN'] ?? '/usr/lib/postgresql/15/bin';
export const pgBin = (name: string) => path.join(PG_BIN, name);

/** PostgreSQL refuses to run as root: when we are root, its processes run as the `postgres` user. */
export const pgOwner =
  process.getuid?.() === 0
    ? {
        uid: Number(execFileSync('id', ['-u', 'postgres']).toString()),
        gid: Number(execFileSync('id', ['-g', 'postgres']).toString()),
      }
    : {};

/** Runs a PostgreSQL binary as the cluster's owner. */
export function pgExec(bin: string, args: string[], env: Record<string, string> = {}): string {
  return execFileSync(pgBin(bin), args, {
    ...pgOwner,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  }).toString();
}

export interface Cluster {
  port: number;
  dataDir: string;
  /** Superuser URL (`postgres`, trust or the password given at init). */
  url: string;
  start(): Promise<void>;
  /** Fast shutdown. */
  stop(): Promise<void>;
  /** SIGKILL on the postmaster: a crash. */
  kill(): Promise<void>;
  running(): boolean;
  promote(): void;
  /** Appends to postgresql.auto.conf (read at next start). */
  configure(settings: Record<string, string>): void;
  destroy(): Promise<void>;
  log(): string;
}

const accepts = (port: number, password?: string) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('error', () => resolve(false));
    socket.once('connect', () => {
      socket.destroy();
      const client = new pg.Client({
        host: '127.0.0.1',
        port,
        user: 'postgres',
        password,
        database: 'postgres',
        connectionTimeoutMillis: 1_000,
      });
      client
        .connect()
        .then(() => client.query('SELECT 1'))
        .then(
          () => resolve(true),
          () => resolve(false),
        )
        .finally(() => void client.end().catch(() => undefined));
    });
  });

function cluster(dir: string, dataDir: string, port: number, password?: string): Cluster {
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
  const auth = password ? `postgres:${encodeURIComponent(password)}@` : 'postgres@';
  return {
    port,
    dataDir,
    url: `postgres://${auth}127.0.0.1:${port}/postgres`,
    running,
    log: () => log,
    configure(settings) {
      appendFileSync(
        path.join(dataDir, 'postgresql.auto.conf'),
        Object.entries(settings)
          .map(([k, v]) => `${k} = '${v.replace(/'/g, "''")}'\n`)
          .join(''),
      );
    },
    async start() {
      child = spawn(
        pgBin('postgres'),
        [
          '-D',
          dataDir,
          '-p',
          String(port),
          '-c',
          'listen_addresses=127.0.0.1',
          '-c',
          `unix_socket_directories=${dir}`,
          '-c',
          'fsync=off',
          '-c',
          'full_page_writes=on',
        ],
        { ...pgOwner, stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
      child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
      await waitFor(
        async () => {
          if (!running()) throw new Error(`postgres on ${port} exited:\n${log}`);
          return accepts(port, password);
        },
        { timeoutMs: 30_000, what: `postgres on ${port}` },
      );
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

/** A new, stopped cluster (initdb). With `password`, TCP connections need it (scram-sha-256). */
export async function initCluster(options: { password?: string } = {}): Promise<Cluster> {
  const dir = tempDir('pgc');
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
  // Streaming replication from 127.0.0.1 (the default pg_hba only allows it over the socket and ::1).
  appendFileSync(
    path.join(dataDir, 'pg_hba.conf'),
    `host replication all 127.0.0.1/32 ${options.password ? 'scram-sha-256' : 'trust'}\n`,
  );
  return cluster(dir, dataDir, await freePort(), options.password);
}

/** A physical copy of a running cluster (pg_basebackup), stopped; `standby` makes it a streaming replica. */
export async function baseBackup(primary: Cluster, options: { standby: boolean }): Promise<Cluster> {
  const dir = tempDir('pgc');
  const dataDir = path.join(dir, 'data');
  const args = ['-h', '127.0.0.1', '-p', String(primary.port), '-U', 'postgres', '-D', dataDir, '--checkpoint=fast'];
  if (options.standby) args.push('-R');
  pgExec('pg_basebackup', args);
  return cluster(dir, dataDir, await freePort());
}
