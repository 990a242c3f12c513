// Test support for the operations suites: real binaries (promtool, exporters, PostgreSQL, the api,
// worker and tracker gateway entry points) started as processes of their own, always on free ports, always stopped.
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, spawnSource, waitFor } from '@fleet/runtime/testing';

export const repoRoot = path.resolve(__dirname, '../..');

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command to completion from the repository root. */
export function run(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; input?: string; timeoutMs?: number } = {},
): RunResult {
  const res = spawnSync(cmd, args, {
    cwd: options.cwd ?? repoRoot,
    env: { ...process.env, ...options.env },
    input: options.input,
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 120_000,
  });
  if (res.error) throw res.error;
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

/** Fails with the command's output when it did not exit 0. */
export function runOk(...args: Parameters<typeof run>): RunResult {
  const res = run(...args);
  if (res.status !== 0) {
    throw new Error(`${args[0]} ${args[1].join(' ')} exited ${res.status}\n${res.stdout}\n${res.stderr}`);
  }
  return res;
}

/** Like run, without blocking the event loop (servers of the test keep answering meanwhile). */
export function runAsync(
  cmd: string,
  args: string[],
  options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      cwd: options.cwd ?? repoRoot,
      env: { ...process.env, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 180_000);
    child.once('error', reject);
    child.once('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** A temporary directory every user can write to (PostgreSQL runs as `postgres` when we are root). */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `fleet-${prefix}-`));
  chmodSync(dir, 0o777);
  return dir;
}

export interface Service {
  port: number;
  child: ChildProcess;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** stdout alone (where JSON logs go). */
  stdout(): string;
  stop(): Promise<void>;
}

async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM') {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}

/** A binary that serves HTTP on `port` once ready (an exporter, Prometheus). */
export async function startBinary(
  cmd: string,
  args: string[],
  options: { port: number; env?: Record<string, string>; readyPath?: string },
): Promise<Service> {
  const child = spawn(cmd, args, { env: { ...process.env, ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => {
    output += d.toString();
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${cmd} exited early:\n${output}`);
      const res = await fetch(`http://127.0.0.1:${options.port}${options.readyPath ?? '/metrics'}`);
      return res.status === 200;
    },
    { timeoutMs: 15_000, what: `${cmd} on ${options.port}` },
  ).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { port: options.port, child, output: () => output, stdout: () => stdout, stop: () => stopChild(child) };
}

/**
 * The real api, worker or tracker gateway, from source, as `npm start` runs them; resolves when /ready
 * answers 200. The gateway's device listeners take free ports (0) unless `env` names them.
 */
export async function startAppProcess(
  app: 'api' | 'worker' | 'trackers',
  env: Record<string, string>,
  options: { port?: number } = {},
): Promise<Service> {
  const port = options.port ?? (await freePort());
  const portEnv: Record<string, string> = {
    api: { PORT: String(port), OSMAND_PORT: 'off' },
    worker: { METRICS_PORT: String(port) },
    trackers: { PORT: String(port), TELTONIKA_PORT: '0', GT06_PORT: '0', H02_PORT: '0' },
  }[app];
  const { child, output } = spawnSource(`apps/${app}/src/main.ts`, {
    APP_ENV: 'test',
    HOST: '127.0.0.1',
    LOG_FORMAT: 'json',
    ...portEnv,
    ...env,
  });
  let stdout = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new Error(`${app} exited early:\n${output()}`);
      return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
    },
    { timeoutMs: 40_000, what: `${app} ready` },
  ).catch((err: unknown) => {
    child.kill('SIGKILL');
    throw err;
  });
  return { port, child, output, stdout: () => stdout, stop: () => stopChild(child) };
}

/** A self-signed certificate for `localhost` valid for `days` days. */
export function selfSignedCert(dir: string, days: number): { cert: string; key: string } {
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      String(days),
      '-subj',
      '/CN=localhost',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

export { createFleet, type TestVehicle } from '@fleet/db/testing';

/** Is the process alive? A zombie (exited, not yet reaped by its new parent) counts as gone. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

export { freePort, waitFor };
