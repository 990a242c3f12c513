// Fails when the drizzle schema has changes that no committed migration covers: drizzle-kit generates
// into a scratch copy of the migrations folder, and any new file there is a migration someone forgot.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '../..');
const committed = path.join(root, 'libs/db/migrations');
// drizzle-kit only copes with a relative output folder.
const scratch = `tmp/migrations-check-${process.pid}`;
try {
  cpSync(committed, path.join(root, scratch), { recursive: true });
  const before = new Set(readdirSync(path.join(root, scratch)));
  const output = execFileSync(
    path.join(root, 'node_modules/.bin/drizzle-kit'),
    ['generate', '--dialect', 'postgresql', '--schema', 'libs/db/src/schema.ts', '--out', scratch, '--name', 'pending'],
    { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' },
  );
  const added = readdirSync(path.join(root, scratch)).filter((f) => !before.has(f));
  if (added.length) {
    console.error(
      `pending migration: the schema changed but no migration was committed (${added.join(', ')}). Run: npx nx run db:generate`,
    );
    process.exit(1);
  }
  // drizzle-kit can exit 0 after an error: only its own "nothing to do" counts as up to date.
  if (!/No schema changes/.test(output)) {
    console.error(`drizzle-kit did not confirm the schema is covered:\n${output}`);
    process.exit(1);
  }
  console.log('migrations: up to date with the schema');
} finally {
  rmSync(path.join(root, scratch), { recursive: true, force: true });
}
