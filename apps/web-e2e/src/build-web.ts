import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const repoRoot = path.resolve(__dirname, '../../..');

/** Builds the web app (vite, a few seconds) into `outDir` and returns it: the suite tests what ships. */
export function buildWeb(outDir: string, env: Record<string, string> = {}): string {
  const run = spawnSync(
    process.execPath,
    [
      path.join(repoRoot, 'node_modules/vite/bin/vite.js'),
      'build',
      '-c',
      'apps/web/vite.config.mts',
      '--outDir',
      outDir,
      '--emptyOutDir',
      '--logLevel',
      'warn',
    ],
    { cwd: repoRoot, encoding: 'utf8', env: { ...process.env, ...env } },
  );
  if (run.status !== 0) throw new Error(`vite build failed:\n${run.stdout}\n${run.stderr}`);
  if (!existsSync(path.join(outDir, 'index.html'))) throw new Error(`vite build wrote no index.html to ${outDir}`);
  return outDir;
}

/** The JavaScript files the page loads before anything else (entry + modulepreload), from index.html. */
export function initialScripts(outDir: string): string[] {
  const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
  const srcs = [
    ...html.matchAll(/<script[^>]+src="([^"]+\.js)"/g),
    ...html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g),
  ];
  return [...new Set(srcs.map((m) => m[1]))];
}
