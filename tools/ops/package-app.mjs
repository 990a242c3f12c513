// Builds what a server image holds, into dist/apps/<app>: the Nx esbuild bundle, the package.json and
// pruned package-lock.json of its production dependencies (Nx generates both), and for the api the
// one-shot commands its image also runs (cli/migrate.js, cli/seed.js, cli/create-organization.js,
// migrations/). Dockerfile.server runs this script, and tools/ops/images.int-spec.ts runs the same script
// and starts what it made, so the image contents are tested on a machine without Docker.
//
//   node tools/ops/package-app.mjs api|worker|trackers
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../..');
const app = process.argv[2];
if (!['api', 'worker', 'trackers'].includes(app)) {
  console.error('usage: node tools/ops/package-app.mjs api|worker|trackers');
  process.exit(2);
}
const out = path.join(root, 'dist/apps', app);

const nx = spawnSync(
  path.join(root, 'node_modules/.bin/nx'),
  ['run', `${app}:build:production`, '--outputStyle=static'],
  {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false' },
  },
);
if (nx.status !== 0) {
  console.error(`package-app: the Nx build of ${app} failed (exit ${nx.status})`);
  process.exit(1);
}

if (app === 'api') {
  const cli = path.join(out, 'cli');
  rmSync(cli, { recursive: true, force: true });
  mkdirSync(cli, { recursive: true });
  // The CLIs bundle their npm dependencies too (the seed uses packages the api does not), except the
  // native argon2 binding, which the api's production dependencies install for the image's platform.
  // pg-native is an optional require of pg that is never installed.
  const external = ['@node-rs/argon2', 'pg-native'];
  for (const [entry, name] of [
    ['libs/db/src/cli/migrate.ts', 'migrate.js'],
    ['tools/seed/main.ts', 'seed.js'],
    ['apps/api/src/cli/create-organization.ts', 'create-organization.js'],
  ]) {
    await build({
      entryPoints: [path.join(root, entry)],
      outfile: path.join(cli, name),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      tsconfig: path.join(root, 'tsconfig.base.json'),
      external,
      logLevel: 'warning',
    });
  }
  // The migrate CLI looks for ../migrations next to its own file (libs/db's DEFAULT_MIGRATIONS_FOLDER).
  rmSync(path.join(out, 'migrations'), { recursive: true, force: true });
  cpSync(path.join(root, 'libs/db/migrations'), path.join(out, 'migrations'), { recursive: true });

  const deps = JSON.parse(readFileSync(path.join(out, 'package.json'), 'utf8')).dependencies ?? {};
  const missing = external.filter((name) => name !== 'pg-native' && !(name in deps));
  if (missing.length) {
    console.error(`the api's production dependencies lack what cli/ needs: ${missing.join(', ')}`);
    process.exit(1);
  }
}
console.log(`packaged ${app} into ${path.relative(root, out)}`);
