import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import { freePort, repoRoot, run, runOk, tempDir, waitFor } from './testing';

// No Docker engine here, so this builds what each image (api, worker, trackers) holds with the very script Dockerfile.server
// runs for it (tools/ops/package-app.mjs), installs the production dependencies as the runtime stage does
// (npm ci --omit=dev), and runs the result outside the repository (so nothing
// resolves from the workspace's node_modules) through the images' entrypoint, with their HEALTHCHECK
// commands. CI builds the real images (.github/workflows/ci.yml, job `images`).

type App = 'api' | 'worker' | 'trackers';
let dir: string;
const appDir = (app: App) => path.join(dir, app);
// One Dockerfile for the server images: shared build and runtime stages, then a small stage per app
// (`app-api`, `app-worker`, `app-trackers`: its ports and HEALTHCHECK), the one the APP build argument picks.
const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile.server'), 'utf8');
/** The lines of `app`'s own stage (up to the next FROM). */
function appStage(app: App): string {
  const stage = dockerfile.split(/^FROM /m).find((part) => part.startsWith(`runtime AS app-${app}\n`));
  if (!stage) throw new Error(`Dockerfile.server has no stage app-${app}`);
  return stage;
}
const serverUrl = process.env['TEST_DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
// Named like createTestDatabase's databases, so a run that dies leaves nothing the next setup keeps.
const dbName = `fleet_t_images_${process.pid}_${randomBytes(3).toString('hex')}`;
const dbUrl = (() => {
  const u = new URL(serverUrl);
  u.pathname = `/${dbName}`;
  return u.toString();
})();
const STRONG_SECRET = randomBytes(36).toString('base64');
const children: ChildProcess[] = [];

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** The Dockerfile's HEALTHCHECK command, run as Docker runs it (a shell, in the image's folder). */
function healthcheck(app: App, env: Record<string, string>): number | null {
  const match = /HEALTHCHECK[^\n]*\\\n\s+CMD (.+)\n/.exec(appStage(app));
  if (!match) throw new Error(`Dockerfile.server's stage app-${app} has no HEALTHCHECK ... CMD`);
  return spawnSync('sh', ['-c', match[1]], { cwd: appDir(app), env: { ...process.env, ...env }, timeout: 10_000 })
    .status;
}

/** `docker run IMAGE [command]`: the entrypoint, then the command (the image's CMD unless given). */
function runImage(app: App, env: Record<string, string>, command?: string[]) {
  const cmd = command ?? (JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]) as string[]);
  return { args: [path.join(appDir(app), 'fleet-entrypoint'), ...cmd], env: { PATH: process.env['PATH']!, ...env } };
}

function startImage(app: App, env: Record<string, string>) {
  const { args, env: fullEnv } = runImage(app, env);
  const child = spawn('sh', args, { cwd: appDir(app), env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

function runImageToEnd(app: App, env: Record<string, string>, command: string[]) {
  const { args, env: fullEnv } = runImage(app, env, command);
  return run('sh', args, { cwd: appDir(app), env: fullEnv, timeoutMs: 120_000 });
}

beforeAll(() => {
  dir = tempDir('images');
  for (const app of ['api', 'worker', 'trackers'] as const) {
    runOk(process.execPath, ['tools/ops/package-app.mjs', app], { timeoutMs: 240_000 });
    cpSync(path.join(repoRoot, 'dist/apps', app), appDir(app), { recursive: true });
    // The runtime stage: production dependencies from the pruned lockfile (from npm's cache when it has them).
    runOk('npm', ['ci', '--omit=dev', '--prefer-offline', '--no-audit', '--no-fund'], {
      cwd: appDir(app),
      timeoutMs: 240_000,
    });
    copyFileSync(path.join(repoRoot, 'tools/ops/docker-entrypoint.sh'), path.join(appDir(app), 'fleet-entrypoint'));
  }
  writeFileSync(path.join(dir, 'database_url'), `${dbUrl}\n`);
  writeFileSync(path.join(dir, 'jwt_secret'), `${STRONG_SECRET}\n`);
  writeFileSync(path.join(dir, 'weak_secret'), 'short\n');
}, 600_000);

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await query(serverUrl, `DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('server images (contents built and run as the Dockerfiles do)', () => {
  jest.setTimeout(120_000);

  it('hold production dependencies only: no compiler, test runner or build tool', () => {
    for (const app of ['api', 'worker', 'trackers'] as const) {
      const installed = readdirSync(path.join(appDir(app), 'node_modules'));
      expect(installed).toEqual(expect.arrayContaining(['express', 'pg', 'ioredis']));
      for (const dev of ['typescript', 'jest', 'nx', '@nx', 'esbuild', 'tsx', 'drizzle-kit'])
        expect(installed).not.toContain(dev);
      // @swc/helpers is a runtime dependency of pdfkit's fontkit (PDF reports); the compiler is not.
      const swc = installed.includes('@swc') ? readdirSync(path.join(appDir(app), 'node_modules', '@swc')) : [];
      expect(swc.filter((name) => name !== 'helpers')).toEqual([]);
      expect(Object.keys(JSON.parse(readFileSync(path.join(appDir(app), 'package.json'), 'utf8')))).not.toContain(
        'devDependencies',
      );
    }
    // What this suite built is what the Dockerfile builds, and what it runs is what the image runs.
    expect(dockerfile).toContain('RUN node tools/ops/package-app.mjs "${APP}"\n');
    expect(dockerfile).toContain('COPY --from=build /repo/dist/apps/${APP}/ ./\n');
    expect(dockerfile).toMatch(/^RUN npm ci --omit=dev /m);
    expect(dockerfile).toContain(
      'COPY --from=build /repo/tools/ops/docker-entrypoint.sh /usr/local/bin/fleet-entrypoint',
    );
    expect(dockerfile).toContain('ENTRYPOINT ["/bin/sh", "/usr/local/bin/fleet-entrypoint"]');
    // The unprivileged node user (uid 1000), by number so Kubernetes' runAsNonRoot can verify it.
    expect(dockerfile).toMatch(/^USER 1000:1000$/m);
    // The image is the stage of the app asked for, each on its own port.
    expect(dockerfile.trimEnd().split('\n').at(-1)).toBe('FROM app-${APP}');
    expect(appStage('api')).toMatch(/^ENV PORT=3000$/m);
    expect(appStage('worker')).toMatch(/^ENV METRICS_PORT=9464$/m);
    expect(appStage('trackers')).toMatch(/^ENV PORT=9465 TELTONIKA_PORT=5027 GT06_PORT=5023 H02_PORT=5013$/m);
    expect(appStage('trackers')).toMatch(/^EXPOSE 9465 5027 5023 5013$/m);
  });

  it('migrate (the one-shot of compose and the Helm hook) creates the database and applies every migration, twice safely', async () => {
    for (let i = 0; i < 2; i++) {
      const res = runImageToEnd('api', { DATABASE_URL_FILE: path.join(dir, 'database_url') }, [
        'node',
        'cli/migrate.js',
      ]);
      expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: '' });
      expect(res.stdout).toContain(`migrations applied to ${dbName}`);
    }
    const applied = await query<{ n: string }>(dbUrl, 'SELECT count(*) AS n FROM drizzle.__drizzle_migrations');
    const committed = readdirSync(path.join(repoRoot, 'libs/db/migrations')).filter((f) => f.endsWith('.sql'));
    expect(Number(applied[0].n)).toBe(committed.length);
  });

  it('seed loads the demo organization in staging and refuses production', async () => {
    const refused = runImageToEnd('api', { APP_ENV: 'production', DATABASE_URL: dbUrl }, ['node', 'cli/seed.js']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/refused: APP_ENV=production/);
    expect((await query<{ n: string }>(dbUrl, 'SELECT count(*) AS n FROM users'))[0].n).toBe('0');

    const res = runImageToEnd('api', { APP_ENV: 'staging', DATABASE_URL: dbUrl }, ['node', 'cli/seed.js']);
    expect(res.status).toBe(0);
    const [counts] = await query<{ users: string; vehicles: string; positions: string }>(
      dbUrl,
      'SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM vehicles) AS vehicles, (SELECT count(*) FROM positions) AS positions',
    );
    expect(counts.users).toBe('1');
    expect(counts.vehicles).toBe('25');
    expect(Number(counts.positions)).toBeGreaterThan(100_000);
  });

  it('create-organization makes an organization and its first admin, and refuses bad arguments naming them', async () => {
    const cli = ['node', 'cli/create-organization.js'];
    const bad = runImageToEnd('api', { DATABASE_URL: dbUrl }, [...cli, '--name', 'Image Freight']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--admin-email: required');
    const res = runImageToEnd('api', { DATABASE_URL_FILE: path.join(dir, 'database_url') }, [
      ...cli,
      '--name',
      'Image Freight',
      '--admin-email',
      'admin@image-freight.example',
      '--json',
    ]);
    expect({ status: res.status, stderr: res.stderr }).toEqual({ status: 0, stderr: '' });
    const created = JSON.parse(res.stdout) as {
      organization: { id: string; slug: string };
      generatedPassword?: string;
    };
    expect(created.organization.slug).toBe('image-freight');
    expect(created.generatedPassword).toMatch(/^[\w-]{24}$/);
    const admins = await query<{ organization_id: string; role: string }>(
      dbUrl,
      "SELECT organization_id, role FROM users WHERE email = 'admin@image-freight.example'",
    );
    expect(admins).toEqual([{ organization_id: created.organization.id, role: 'admin' }]);
  });

  it('api refuses to start in staging with a weak secret, naming it', async () => {
    const { exited, output } = startImage('api', {
      APP_ENV: 'staging',
      DATABASE_URL_FILE: path.join(dir, 'database_url'),
      JWT_SECRET_FILE: path.join(dir, 'weak_secret'),
      PORT: String(await freePort()),
      OSMAND_PORT: 'off',
    });
    expect(await exited).not.toBe(0);
    expect(output()).toContain('JWT_SECRET');
  });

  it('api starts with secrets from files, is healthy by its HEALTHCHECK, JSON-logs, and drains on SIGTERM', async () => {
    const port = await freePort();
    const env = {
      APP_ENV: 'staging',
      DATABASE_URL_FILE: path.join(dir, 'database_url'),
      JWT_SECRET_FILE: path.join(dir, 'jwt_secret'),
      REDIS_KEY_PREFIX: `test:images:${process.pid}:`,
      PORT: String(port),
      OSMAND_PORT: String(await freePort()),
      HOST: '127.0.0.1',
      APP_VERSION: 'v9.9.9-test',
    };
    expect(healthcheck('api', { PORT: String(port) })).toBe(1); // not up yet
    const api = startImage('api', env);
    await waitFor(
      async () => {
        if (api.child.exitCode !== null) throw new Error(`api exited:\n${api.output()}`);
        return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
      },
      { timeoutMs: 30_000, what: 'api ready' },
    );
    expect(healthcheck('api', { PORT: String(port) })).toBe(0);
    const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { version: string };
    expect(health.version).toBe('v9.9.9-test');
    // Signed in with the demo account the seed made, which proves JWT_SECRET came from its file.
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'demo@example.com', password: 'demo-fleet-2026' }),
    });
    expect(login.status).toBe(200);
    api.child.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    const lines = api
      .output()
      .trim()
      .split('\n')
      .filter((l) => l.startsWith('{'));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.map((l) => JSON.parse(l) as { service: string }).every((l) => l.service === 'api')).toBe(true);
    expect(api.output()).not.toContain(STRONG_SECRET);
  });

  it('worker starts, is healthy by its HEALTHCHECK on the metrics port, serves /metrics, and stops on SIGTERM', async () => {
    const port = await freePort();
    const worker = startImage('worker', {
      APP_ENV: 'staging',
      DATABASE_URL_FILE: path.join(dir, 'database_url'),
      REDIS_KEY_PREFIX: `test:images:${process.pid}:`,
      METRICS_PORT: String(port),
      HOST: '127.0.0.1',
    });
    await waitFor(
      async () => {
        if (worker.child.exitCode !== null) throw new Error(`worker exited:\n${worker.output()}`);
        return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
      },
      { timeoutMs: 30_000, what: 'worker ready' },
    );
    expect(healthcheck('worker', { METRICS_PORT: String(port) })).toBe(0);
    expect(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).toContain('process_cpu');
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
    expect(healthcheck('worker', { METRICS_PORT: String(port) })).toBe(1);
  });

  it('trackers starts its listener processes, is healthy by its HEALTHCHECK, serves /metrics, accepts devices, and drains on SIGTERM', async () => {
    const port = await freePort();
    const teltonika = await freePort();
    const trackers = startImage('trackers', {
      APP_ENV: 'staging',
      DATABASE_URL_FILE: path.join(dir, 'database_url'),
      REDIS_KEY_PREFIX: `test:images:${process.pid}:`,
      PORT: String(port),
      TELTONIKA_PORT: String(teltonika),
      GT06_PORT: 'off',
      H02_PORT: 'off',
      // Two processes, as the image runs by default on a machine with two cores: the bundle forks itself.
      TRACKER_WORKERS: '2',
      HOST: '127.0.0.1',
    });
    await waitFor(
      async () => {
        if (trackers.child.exitCode !== null) throw new Error(`trackers exited:\n${trackers.output()}`);
        return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
      },
      { timeoutMs: 30_000, what: 'trackers ready' },
    );
    expect(healthcheck('trackers', { PORT: String(port) })).toBe(0);
    // A device connects to the Teltonika port (retried as a device would: /ready waits for every
    // listener process, so the first attempt should already succeed).
    const connect = () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(teltonika, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      });
    await waitFor(connect, { timeoutMs: 15_000, what: 'a connection to the Teltonika port' });
    await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/metrics`)).status === 200, {
      timeoutMs: 10_000,
      what: 'trackers /metrics',
    });
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/^tracker_workers\{[^}]*\} 2$/m);
    expect(metrics).toMatch(/^tracker_connections_opened_total\{[^}]*protocol="teltonika"[^}]*\} 1$/m);
    trackers.child.kill('SIGTERM');
    expect(await trackers.exited).toBe(0);
    expect(healthcheck('trackers', { PORT: String(port) })).toBe(1);
  });

  it('the one-shot commands that compose and the chart run exist in the api image', () => {
    const compose = readFileSync(path.join(repoRoot, 'docker-compose.yml'), 'utf8');
    const job = readFileSync(path.join(repoRoot, 'deployments/helm/fleet/templates/migrate-job.yaml'), 'utf8');
    for (const file of ['cli/migrate.js', 'cli/seed.js']) {
      expect(existsSync(path.join(appDir('api'), file))).toBe(true);
      expect(compose).toContain(`['node', '${file}']`);
    }
    expect(job).toContain('cli/migrate.js');
    expect(existsSync(path.join(appDir('api'), 'migrations/meta/_journal.json'))).toBe(true);
  });
});
