import { spawnSync } from 'node:child_process';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');

/**
 * Lints imports written into files of real projects with the ESLint CLI (the text goes through stdin,
 * nothing is written) and returns what the module-boundary rule says about them.
 */
async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const run = spawnSync(
    path.join(root, 'node_modules/.bin/eslint'),
    ['--stdin', '--stdin-filename', path.join(root, filePath), '--format', 'json'],
    { cwd: root, input: code, encoding: 'utf8', env: { ...process.env, NX_DAEMON: 'false' } },
  );
  if (run.status !== 0 && run.status !== 1) throw new Error(`eslint failed: ${run.stderr}`);
  const [result] = JSON.parse(run.stdout) as Array<{ messages: Array<{ ruleId: string | null; message: string }> }>;
  return result.messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message);
}

describe('module boundaries', () => {
  jest.setTimeout(120_000);

  it('refuses a lib importing app code', async () => {
    const errors = await boundaryErrors(
      'libs/metrics/src/probe.ts',
      "import { start } from '../../../apps/api/src/server';\nexport const s = start;\n",
    );
    expect(errors.length).toBeGreaterThan(0);
  });

  it('refuses a client-scoped project importing a server lib', async () => {
    const errors = await boundaryErrors(
      'apps/web/src/probe.ts',
      "import { createPool } from '@fleet/db';\nexport const p = createPool;\n",
    );
    expect(errors.join('\n')).toMatch(/scope:client/);
    // The client lib runs anywhere (web, mobile, the API's tests, benchmarks): shared, so no server lib either.
    const fromClientLib = await boundaryErrors(
      'libs/api-client/src/probe.ts',
      "import { createPool } from '@fleet/db';\nexport const p = createPool;\n",
    );
    expect(fromClientLib.join('\n')).toMatch(/scope:shared/);
  });

  it('refuses shared code importing a server lib or an I/O module', async () => {
    const serverLib = await boundaryErrors(
      'libs/contracts/src/probe.ts',
      "import { createLogger } from '@fleet/logging-json';\nexport const l = createLogger;\n",
    );
    expect(serverLib.join('\n')).toMatch(/scope:shared/);
    const io = await boundaryErrors('libs/contracts/src/probe.ts', "import pg from 'pg';\nexport const p = pg;\n");
    expect(io.join('\n')).toMatch(/pg/);
  });

  it('accepts the allowed directions: app to server lib, client to shared lib', async () => {
    expect(
      await boundaryErrors(
        'apps/api/src/probe.ts',
        "import { createPool } from '@fleet/db';\nexport const p = createPool;\n",
      ),
    ).toEqual([]);
    expect(
      await boundaryErrors(
        'libs/api-client/src/probe.ts',
        "import { ErrorBody } from '@fleet/contracts';\nexport const e = ErrorBody;\n",
      ),
    ).toEqual([]);
  });
});
