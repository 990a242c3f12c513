import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * What the "API only through the client" rule says about code written into a file of a real project,
 * linted as the Nx target does (`eslint` run from the project's folder with its own config) or from
 * the workspace root. Nothing is written: the text goes through stdin.
 */
function apiCallErrors(filePath: string, code: string, cwd = '.'): string[] {
  const run = spawnSync(
    path.join(root, 'node_modules/.bin/eslint'),
    ['--stdin', '--stdin-filename', path.join(root, filePath), '--format', 'json'],
    { cwd: path.join(root, cwd), input: code, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } },
  );
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return result.messages.filter((m) => m.ruleId === 'no-restricted-syntax').map((m) => m.message);
}

const HAND_WRITTEN = [
  "export const a = fetch('/anything');",
  'export const b = window.fetch(`x`);',
  "export const c = '/api/v1/vehicles';",
  'export const d = (id: string) => `/api/v1/vehicles/${id}`;',
].join('\n');

describe('the apps speak to the API only through @fleet/api-client', () => {
  jest.setTimeout(120_000);

  it('refuses fetch and API paths in the web app, from the root and from its own folder', () => {
    expect(apiCallErrors('apps/web/src/pages/probe.tsx', HAND_WRITTEN)).toHaveLength(4);
    expect(apiCallErrors('apps/web/src/pages/probe.tsx', HAND_WRITTEN, 'apps/web')).toHaveLength(4);
  });

  it('refuses them in the mobile app too', () => {
    expect(apiCallErrors('apps/mobile/src/probe.ts', HAND_WRITTEN)).toHaveLength(4);
  });

  it('accepts the client, tests and their fixtures, the API itself and the client lib', () => {
    const throughClient = 'export const list = (api: { listVehicles(): unknown }) => api.listVehicles();\n';
    expect(apiCallErrors('apps/web/src/pages/probe.tsx', throughClient, 'apps/web')).toEqual([]);
    expect(apiCallErrors('apps/web/src/pages/probe.spec.tsx', HAND_WRITTEN, 'apps/web')).toEqual([]);
    expect(apiCallErrors('apps/web/src/testing/probe.ts', HAND_WRITTEN, 'apps/web')).toEqual([]);
    expect(apiCallErrors('apps/api/src/probe.ts', HAND_WRITTEN)).toEqual([]);
    expect(apiCallErrors('libs/api-client/src/probe.ts', HAND_WRITTEN)).toEqual([]);
  });
});
