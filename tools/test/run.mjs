// The whole test suite, as README.md gives it: static checks (lint, types, formatting, pending
// migrations), then every jest project (unit and integration, against real PostgreSQL+PostGIS and
// Redis). The last line is the totals, read from jest's own JSON report.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { prepareMachine } from '../dev/setup.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const env = {
  ...process.env,
  NX_DAEMON: 'false',
  NX_NO_CLOUD: 'true',
  NX_TUI: 'false',
  FORCE_COLOR: process.env.FORCE_COLOR ?? '0',
};
const bin = (name) => path.join(root, 'node_modules/.bin', name);
const args = process.argv.slice(2);
const skipChecks = args.includes('--no-checks');
const jestArgs = args.filter((a) => a !== '--no-checks');

function step(name, cmd, cmdArgs) {
  console.log(`\n▶ ${name}`);
  const started = Date.now();
  const run = spawnSync(cmd, cmdArgs, { cwd: root, env, stdio: 'inherit' });
  const ok = run.status === 0;
  console.log(`${ok ? '✔' : '✘'} ${name} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  return ok;
}

// On a fresh machine `npm test` sets itself up like `npm start`: dependencies, services, PostGIS.
await prepareMachine({
  databaseUrl: process.env.TEST_DATABASE_SERVER_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  // …and the tools the operations and browser suites run for real (nginx, promtool, chromium, helm).
  testTools: true,
});

const checks = [];
if (!skipChecks) {
  checks.push([
    'lint and typecheck',
    step('lint and typecheck', bin('nx'), [
      'run-many',
      '-t',
      'lint',
      'typecheck',
      '--outputStyle=static',
      ...(process.env.CI ? ['--skip-nx-cache'] : []),
    ]),
  ]);
  checks.push([
    'formatting',
    step('formatting (prettier --check)', bin('prettier'), ['--check', '--log-level=warn', '.']),
  ]);
  checks.push([
    'pending migrations',
    step('pending migrations', process.execPath, ['tools/check/pending-migrations.mjs']),
  ]);
}

const report = path.join(root, 'tmp/test-results/jest.json');
// The totals line is also kept in a file, so a wrapper (.ci/run) can end its output with it.
const totalsFile = path.join(root, 'tmp/test-results/totals.txt');
mkdirSync(path.dirname(report), { recursive: true });
rmSync(report, { force: true });
rmSync(totalsFile, { force: true });
step('jest (all projects)', bin('jest'), [
  '-c',
  'jest.config.ts',
  '--maxWorkers=2',
  '--json',
  `--outputFile=${report}`,
  ...jestArgs,
]);

if (!existsSync(report)) {
  console.error('jest wrote no report: it could not run');
  writeFileSync(totalsFile, '0 passed, 1 failed\n');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const results = JSON.parse(readFileSync(report, 'utf8'));
const failedChecks = checks.filter(([, ok]) => !ok).map(([name]) => name);
console.log('');
for (const [name, ok] of checks) console.log(`check ${name}: ${ok ? 'ok' : 'FAILED'}`);
console.log(
  `jest: ${results.numTotalTestSuites} suites, ${results.numFailedTestSuites} failed suites${results.numRuntimeErrorTestSuites ? `, ${results.numRuntimeErrorTestSuites} suites that could not run` : ''}`,
);
const passed = results.numPassedTests;
const failed = results.numFailedTests + results.numRuntimeErrorTestSuites;
const skipped = results.numPendingTests + results.numTodoTests;
const totals = `${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`;
writeFileSync(totalsFile, `${totals}\n`);
console.log(totals);
process.exit(failed === 0 && failedChecks.length === 0 && results.success ? 0 : 1);
