// `npm test` on a fresh machine (CI's) installs the programs the suites run from Debian's packages:
// tools/dev/setup.mjs's DEBIAN_TOOLS, which prepareMachine installs when a command is missing. A suite
// that requires a program (requireProgram) or starts one (startBinary) must find it there, or it fails
// on every machine that did not have it by chance (amtool for the alertmanager suite, envsubst for the
// web-pod suite were missing).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { repoRoot, runOk } from '../ops/testing';

/** Programs installed otherwise, with where from. */
const ELSEWHERE: Record<string, string> = {
  // PostgreSQL's client programs: the test server's own packages (.ci/run, setup.mjs's PostGIS step).
  pg_dump: 'postgresql',
};

function specFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : specFiles(file);
    return /\.(int-)?spec\.ts$/.test(entry.name) ? [file] : [];
  });
}

/** The programs the suites name as the first argument of requireProgram / startBinary. */
function requiredPrograms(): Map<string, string> {
  const found = new Map<string, string>();
  for (const top of ['tools', 'apps', 'libs'])
    for (const file of specFiles(path.join(repoRoot, top)))
      for (const m of readFileSync(file, 'utf8').matchAll(/\b(?:requireProgram|startBinary)\(\s*'([^']+)'/g))
        found.set(m[1], path.relative(repoRoot, file));
  return found;
}

describe('the programs the suites run are installed by npm test', () => {
  const tools = JSON.parse(
    runOk(process.execPath, [
      '--input-type=module',
      '-e',
      "const m = await import('./tools/dev/setup.mjs'); console.log(JSON.stringify(m.DEBIAN_TOOLS));",
    ]).stdout,
  ) as [command: string, pkg: string][];

  it('finds the programs (the scan is not empty)', () => {
    const programs = requiredPrograms();
    expect([...programs.keys()]).toEqual(expect.arrayContaining(['amtool', 'nginx', 'docker-compose']));
  });

  it('every program a suite requires or starts is in DEBIAN_TOOLS (or installed with PostgreSQL)', () => {
    const commands = new Set(tools.map(([command]) => command));
    const missing = [...requiredPrograms()]
      .filter(([program]) => !commands.has(path.basename(program)) && !(program in ELSEWHERE))
      .map(([program, file]) => `${program} (${file})`);
    expect(missing).toEqual([]);
  });

  it("names each program's Debian package: amtool from prometheus-alertmanager, envsubst from gettext-base", () => {
    expect(tools).toEqual(
      expect.arrayContaining([
        ['amtool', 'prometheus-alertmanager'],
        ['envsubst', 'gettext-base'],
      ]),
    );
  });
});
