// `npm start` stopped by a signal stops what it started. npm runs the repository's own start script
// (package.json), with a stand-in launcher (tools/dev/testing/launcher.mjs: start.mjs's supervision over
// two stand-in services) in place of tools/dev/start.mjs, so the shared PostgreSQL and Redis are not
// touched. Before: SIGTERM to npm killed npm and the shell running the script, the launcher never
// heard of it and every service kept running; SIGHUP killed the launcher without a word to them.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { waitFor } from '@fleet/runtime/testing';
import { alive, repoRoot, tempDir } from '../ops/testing';

interface Launch {
  npm: ChildProcess;
  output(): string;
  launcherPid: number;
  servicePids: number[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const startScript = (
  JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts['start'];

describe('npm start, stopped by a signal, stops every service it started', () => {
  jest.setTimeout(60_000);
  const dirs: string[] = [];
  const pids: number[] = [];

  afterEach(() => {
    for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  async function launch(): Promise<Launch> {
    const dir = tempDir('launcher');
    dirs.push(dir);
    const script = startScript.replace('tools/dev/start.mjs', path.join(repoRoot, 'tools/dev/testing/launcher.mjs'));
    writeFileSync(
      path.join(dir, 'package.json'),
      JSON.stringify({ name: 'launcher-spec', private: true, scripts: { start: script } }),
    );
    const npm = spawn('npm', ['start'], {
      cwd: dir,
      env: { ...process.env, npm_config_update_notifier: 'false' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    npm.stdout?.on('data', (d: Buffer) => (output += d.toString()));
    npm.stderr?.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      npm.once('exit', (code, signal) => resolve({ code, signal })),
    );
    const servicePids = () => [...output.matchAll(/up pid (\d+)/g)].map((m) => Number(m[1]));
    await waitFor(() => servicePids().length === 2, { timeoutMs: 30_000, what: 'both services up' });
    const launcherPid = Number(/launcher pid (\d+)/.exec(output)?.[1]);
    pids.push(launcherPid, ...servicePids(), npm.pid as number);
    return { npm, output: () => output, launcherPid, servicePids: servicePids(), exited };
  }

  it('runs the launcher through npm (the script names tools/dev/start.mjs)', () => {
    expect(startScript).toMatch(/\bnode tools\/dev\/start\.mjs$/);
  });

  it('SIGTERM to npm: npm exits once the services have drained and exited', async () => {
    const run = await launch();
    expect(run.servicePids.every(alive)).toBe(true);
    process.kill(run.npm.pid as number, 'SIGTERM');
    await run.exited;
    // Nothing left the moment npm is done (a process manager restarting it finds the ports free).
    expect([run.launcherPid, ...run.servicePids].filter(alive)).toEqual([]);
    for (const pid of run.servicePids) expect(run.output()).toContain(`draining pid ${pid}`);
  });

  it('SIGHUP to the launcher (its terminal closed): the services drain and exit, and so does npm', async () => {
    const run = await launch();
    process.kill(run.launcherPid, 'SIGHUP');
    await run.exited;
    await waitFor(() => ![run.launcherPid, ...run.servicePids].some(alive), {
      timeoutMs: 10_000,
      what: 'the launcher and its services to exit',
    });
    for (const pid of run.servicePids) expect(run.output()).toContain(`draining pid ${pid}`);
  });

  it('npm killed by SIGHUP (which it does not pass on): the launcher stops the services and exits', async () => {
    const run = await launch();
    process.kill(run.npm.pid as number, 'SIGHUP');
    expect(await run.exited).toMatchObject({ signal: 'SIGHUP' });
    await waitFor(() => ![run.launcherPid, ...run.servicePids].some(alive), {
      timeoutMs: 10_000,
      what: 'the launcher and its services to exit',
    });
    for (const pid of run.servicePids) expect(run.output()).toContain(`draining pid ${pid}`);
  });
});
