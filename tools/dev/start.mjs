// `npm start`: sets this machine up and runs the whole platform in the foreground.
// Plain Node (no dependencies) because it runs before `npm ci` may have happened.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/fleet';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const API_PORT = Number(process.env.PORT ?? 3000);
const WORKER_PORT = Number(process.env.METRICS_PORT ?? 9464);
const APP_ENV = process.env.APP_ENV ?? 'development';
const color = process.stdout.isTTY ? (code, s) => `\x1b[${code}m${s}\x1b[0m` : (_c, s) => s;
const say = (msg) => console.log(color('1;36', '▶ ') + msg);
const fail = (msg) => {
  console.error(color('1;31', '✘ ') + msg);
  process.exit(1);
};

function run(cmd, args, options = {}) {
  const res = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...options });
  if (res.status !== 0) fail(`${cmd} ${args.join(' ')} failed (exit ${res.status})`);
}

const reachable = (url, defaultPort) =>
  new Promise((resolve) => {
    const u = new URL(url);
    const socket = net.connect(Number(u.port || defaultPort), u.hostname);
    socket.setTimeout(1500);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
const isLocal = (url) => ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(new URL(url).hostname);
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;

async function waitUntil(check, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

// 1. Dependencies.
const [major] = process.versions.node.split('.').map(Number);
if (major < 20) fail(`Node.js 20 or newer is needed (this is ${process.version})`);
const stamp = path.join(root, 'node_modules/.package-lock.json');
if (!existsSync(stamp) || statSync(path.join(root, 'package-lock.json')).mtimeMs > statSync(stamp).mtimeMs) {
  say('installing dependencies (npm ci)');
  run('npm', ['ci', '--no-audit', '--no-fund']);
}

// 2. PostgreSQL and Redis: started when they are local and stopped.
if (!(await reachable(DATABASE_URL, 5432))) {
  if (isLocal(DATABASE_URL) && has('pg_ctlcluster') && isRoot) {
    say('starting PostgreSQL');
    const versions = execFileSync('ls', ['/etc/postgresql']).toString().trim().split('\n');
    spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', versions.at(-1), 'main', 'start'], { stdio: 'inherit' });
  }
  if (!(await waitUntil(() => reachable(DATABASE_URL, 5432), 15_000)))
    fail(`PostgreSQL is not reachable at ${new URL(DATABASE_URL).host}: start it, or set DATABASE_URL`);
}
if (!(await reachable(REDIS_URL, 6379))) {
  if (isLocal(REDIS_URL) && has('redis-server')) {
    say('starting Redis');
    const port = new URL(REDIS_URL).port || '6379';
    spawnSync(
      'redis-server',
      ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', port, '--save', '', '--appendonly', 'no'],
      { stdio: 'inherit' },
    );
  }
  if (!(await waitUntil(() => reachable(REDIS_URL, 6379), 10_000)))
    fail(`Redis is not reachable at ${new URL(REDIS_URL).host}: start it, or set REDIS_URL`);
}

// 3. PostGIS: installed from Debian's packages when missing and we may.
const { default: pg } = await import('pg');
const maintenance = new URL(DATABASE_URL);
maintenance.pathname = '/postgres';
async function serverInfo() {
  const client = new pg.Client({ connectionString: maintenance.toString() });
  await client.connect();
  try {
    const version = (await client.query('SHOW server_version_num')).rows[0].server_version_num;
    const postgis = (await client.query("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'")).rowCount > 0;
    return { major: Math.floor(Number(version) / 10000), postgis };
  } finally {
    await client.end();
  }
}
const info = await serverInfo().catch((err) => fail(`cannot connect to PostgreSQL: ${err.message}`));
if (!info.postgis) {
  const pkg = `postgresql-${info.major}-postgis-3`;
  if (isLocal(DATABASE_URL) && isRoot && has('apt-get')) {
    say(`installing PostGIS (${pkg})`);
    run('apt-get', ['update', '-qq']);
    run('apt-get', ['install', '-y', '-qq', pkg], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  } else {
    fail(
      `PostGIS is missing on the PostgreSQL server: install it (Debian/Ubuntu: sudo apt-get install -y ${pkg}; macOS: brew install postgis) and run again`,
    );
  }
}

// 4. Database, migrations and demo data.
const tsx = (file, extraEnv = {}) =>
  run(process.execPath, ['--import', 'tsx', file], {
    env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.base.json', DATABASE_URL, REDIS_URL, APP_ENV, ...extraEnv },
  });
say('applying migrations');
tsx('libs/db/src/cli/migrate.ts');
if (APP_ENV !== 'production') {
  say('loading demo data');
  tsx('tools/seed/main.ts');
}

// 5. The services, each line prefixed with its name; Ctrl-C drains them all.
const children = [];
function startService(name, file, extraEnv, tint) {
  const child = spawn(process.execPath, ['--import', 'tsx', file], {
    cwd: root,
    env: {
      ...process.env,
      TSX_TSCONFIG_PATH: 'tsconfig.base.json',
      DATABASE_URL,
      REDIS_URL,
      APP_ENV,
      LOG_FORMAT: process.env.LOG_FORMAT ?? 'plain',
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Their own process group: Ctrl-C reaches only this launcher, which asks each service to drain
    // exactly once (a second signal would make a service give up draining).
    detached: true,
  });
  const prefix = color(tint, `[${name}]`.padEnd(9));
  for (const stream of [child.stdout, child.stderr]) {
    let buffer = '';
    stream.on('data', (chunk) => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop();
      for (const line of lines) console.log(`${prefix} ${line}`);
    });
  }
  child.on('exit', (code, signal) => {
    console.log(`${prefix} exited (${signal ?? code})`);
    if (!stopping) shutdown(1);
  });
  children.push(child);
  return child;
}

let stopping = false;
function shutdown(code = 0) {
  if (stopping) return;
  stopping = true;
  say('stopping (draining in-flight work)');
  const alive = children.filter((c) => c.exitCode === null && c.signalCode === null);
  let left = alive.length;
  if (!left) process.exit(code);
  for (const child of alive) {
    child.once('exit', () => --left === 0 && process.exit(code));
    child.kill('SIGTERM');
  }
}
process.on('SIGINT', () => shutdown(0));
// Should the launcher itself die, its services go with it.
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
});
process.on('SIGTERM', () => shutdown(0));

startService('api', 'apps/api/src/main.ts', { PORT: String(API_PORT) }, '1;32');
startService('worker', 'apps/worker/src/main.ts', { METRICS_PORT: String(WORKER_PORT) }, '1;35');

const ready = await waitUntil(async () => {
  try {
    return (await fetch(`http://127.0.0.1:${API_PORT}/ready`)).status === 200;
  } catch {
    return false;
  }
}, 60_000);
if (!ready) {
  console.error(color('1;31', '✘ ') + 'the API did not become ready within 60 s');
  shutdown(1);
} else {
  console.log(`
${color('1;32', '✔ Fleet is running')}
  API            http://localhost:${API_PORT}/api/v1   (health: /health, readiness: /ready, metrics: /metrics)
  Worker         http://localhost:${WORKER_PORT}/metrics
  Demo login     demo@example.com / demo-fleet-2026
  Traccar Client server URL http://<this machine>:${process.env.OSMAND_PORT ?? 5055}, device identifier demo-01 … demo-25
  Stop           Ctrl-C
`);
}
