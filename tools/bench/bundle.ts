import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(__dirname, '../..');

/**
 * Bundles a service entry point as production runs it (one esbuild bundle, workspace code inlined,
 * packages from node_modules), so a benchmark measures the service's own CPU and RSS, not tsx's
 * compiler. Returns the bundle's path.
 */
export async function bundleService(entry: string, name: string): Promise<string> {
  const outfile = path.join(root, 'dist/tools/bench', `${name}.js`);
  await build({
    entryPoints: [path.join(root, entry)],
    bundle: true,
    platform: 'node',
    target: 'node20',
    packages: 'external',
    tsconfig: path.join(root, 'tsconfig.base.json'),
    outfile,
    logLevel: 'warning',
  });
  return outfile;
}
