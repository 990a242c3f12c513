import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { initPostgres, type PostgresServer } from './testing/postgres-server';

/** A free TCP port on loopback. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function waitFor(
  check: () => Promise<boolean> | boolean,
  options: { timeoutMs: number; what: string },
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await Promise.resolve(check()).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const portOpen = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

export interface OwnServer {
  port: number;
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it for good and removes its files. */
  destroy(): Promise<void>;
}

async function killAndWait(child: ChildProcess | undefined, signal: NodeJS.Signals = 'SIGTERM') {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/**
 * A redis-server of the test's own on a free port, for tests that stop or flush Redis: the shared
 * instance is never disturbed.
 */
export async function startOwnRedis(): Promise<OwnServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: 'ignore',
    });
    await waitFor(() => portOpen(port), { timeoutMs: 5_000, what: `redis-server on ${port}` });
  };
  await start();
  const stop = () => killAndWait(child);
  return { port, url: `redis://127.0.0.1:${port}`, start, stop, destroy: stop };
}

/**
 * A PostgreSQL server of the test's own (initdb in a temp dir, fsync off) on a free port, started,
 * for tests that stop it. Runs as the `postgres` OS user when we are root, as PostgreSQL requires.
 */
export async function startOwnPostgres(): Promise<PostgresServer> {
  // Nothing here needs to survive a crash or feed a base backup: no durability at all.
  const server = initPostgres(await freePort(), { settings: { full_page_writes: 'off', synchronous_commit: 'off' } });
  await server.start();
  return server;
}

export {
  initPostgres,
  pgBin,
  pgExec,
  pgOwner,
  postgresDir,
  postgresServer,
  type PostgresOptions,
  type PostgresServer,
} from './testing/postgres-server';

const repoRoot = path.resolve(__dirname, '../../..');
const sourceEnv = (env: Record<string, string>) => ({
  ...process.env,
  TSX_TSCONFIG_PATH: 'tsconfig.base.json',
  ...env,
});

export interface SourceProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  exited: Promise<number | null>;
}

/** Starts a TypeScript entry point of this repository as a process of its own, through tsx, as `npm start` does. */
export function spawnSource(file: string, env: Record<string, string>, args: string[] = []): SourceProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: repoRoot,
    env: sourceEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

/** Runs a TypeScript entry point of this repository to completion (a CLI). */
export function runSource(file: string, env: Record<string, string>, args: string[] = []): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', 'tsx', file, ...args], {
    cwd: repoRoot,
    env: sourceEnv(env),
    encoding: 'utf8',
  });
}

/**
 * Bundles a service entry point (repo-relative) as production runs it: one esbuild bundle, workspace
 * code inlined, packages from node_modules. It starts in a fraction of a second, unlike through tsx,
 * and a benchmark measures the service's own CPU and RSS. Written to `dist/<outDir>/<name>.js`;
 * returns that path.
 */
export async function bundleService(entry: string, options: { outDir: string; name: string }): Promise<string> {
  // esbuild is a dev dependency: loaded only by the suites and tools that bundle.
  const { build } = await import('esbuild');
  const outfile = path.join(repoRoot, 'dist', options.outDir, `${options.name}.js`);
  await build({
    entryPoints: [path.join(repoRoot, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    packages: 'external',
    tsconfig: path.join(repoRoot, 'tsconfig.base.json'),
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
