// CI runs `nx affected -t lint typecheck test build` (ci.yml, job main): a change reaches a test only
// when nx counts the file as an input of the project that holds the test. The deployment files live
// outside every project's root, so they are inputs of the `tools` project's test target (nx.json
// namedInputs.deployment, tools/project.json): a change to any of them runs the operations suites
// (promtool, compose, nginx, helm, amtool, actionlint, images) and misses the Nx cache.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { minimatch } from 'minimatch';
import { repoRoot, run, runAsync } from './testing';

// NX_BASE/NX_HEAD (set by nrwl/nx-set-shas in CI) would be ignored next to --files; removed so the
// answer depends on the files given and nothing else, on a developer's tree as on a clean CI clone.
const env = { NX_DAEMON: 'false', NX_NO_CLOUD: 'true', NX_TUI: 'false', NX_BASE: undefined, NX_HEAD: undefined };
const nx = path.join(repoRoot, 'node_modules/.bin/nx');

/**
 * A deployment file of each kind, with the suite in tools/ops that checks it. The last test below
 * checks that every tracked deployment file matches the same inputs.
 */
const CHECKED_BY: [file: string, suite: string][] = [
  ['docker-compose.yml', 'compose.int-spec.ts'],
  ['deployments/compose.staging.yml', 'compose.int-spec.ts'],
  ['deployments/prometheus/rules/ingestion.yml', 'prometheus.int-spec.ts'],
  ['deployments/alertmanager/alertmanager.yml', 'alertmanager.int-spec.ts'],
  ['deployments/gateway/nginx.conf', 'gateway.int-spec.ts'],
  ['deployments/grafana/dashboards/api.json', 'dashboards.int-spec.ts'],
  ['deployments/helm/fleet/templates/api.yaml', 'helm.int-spec.ts'],
  ['.github/workflows/ci.yml', 'workflows.int-spec.ts'],
  ['.github/workflows/cd.yml', 'workflows.int-spec.ts'],
  ['.github/workflows/release.yml', 'promotion.int-spec.ts'],
  ['Dockerfile.server', 'images.int-spec.ts'],
  ['Dockerfile.frontend', 'compose.int-spec.ts'],
  ['apps/web/Dockerfile', 'images.int-spec.ts'],
];

interface TargetConfig {
  inputs?: (string | Record<string, unknown>)[];
}
const nxJson = JSON.parse(readFileSync(path.join(repoRoot, 'nx.json'), 'utf8')) as {
  namedInputs: Record<string, string[]>;
  targetDefaults: Record<string, TargetConfig>;
};

async function affected(file: string): Promise<string[]> {
  const res = await runAsync(nx, ['show', 'projects', '--affected', `--files=${file}`], { env, timeoutMs: 120_000 });
  if (res.status !== 0)
    throw new Error(`nx show projects --affected --files=${file} exited ${res.status}\n${res.stderr}`);
  return res.stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

describe('CI sees deployment changes (nx affected)', () => {
  jest.setTimeout(300_000);
  let tools: { root: string; targets: Record<string, TargetConfig> };
  beforeAll(() => {
    const res = run(nx, ['show', 'project', 'tools', '--json'], { env });
    if (res.status !== 0) throw new Error(res.stderr);
    tools = JSON.parse(res.stdout) as typeof tools;
  });

  it('every suite named here is a test of the tools project', () => {
    for (const [, suite] of CHECKED_BY) expect(existsSync(path.join(repoRoot, tools.root, 'ops', suite))).toBe(true);
  });

  // One nx run per file (each builds the project graph: a few seconds), two at a time.
  it('`nx show projects --affected --files=<file>` names tools for each deployment file', async () => {
    const answers: Record<string, string[]> = {};
    const queue = [...CHECKED_BY.map(([file]) => file)];
    await Promise.all(
      [0, 1].map(async () => {
        for (let file = queue.shift(); file; file = queue.shift()) answers[file] = await affected(file);
      }),
    );
    for (const [file] of CHECKED_BY)
      expect({ file, tools: answers[file].includes('tools') }).toEqual({ file, tools: true });
    // Precise, not everything: a compose change is not a change of the api's code.
    expect(answers['docker-compose.yml']).not.toContain('api');
  });

  it("the tools test target keeps every input of the workspace's test default besides the deployment files", () => {
    const inputs = tools.targets['test'].inputs ?? [];
    for (const input of nxJson.targetDefaults['test'].inputs ?? []) expect(inputs).toContainEqual(input);
    expect(inputs).toContain('deployment');
  });

  it('every tracked deployment file in the repository matches one of those inputs', () => {
    const patterns = nxJson.namedInputs['deployment'].map((p) => p.replace('{workspaceRoot}/', ''));
    const tracked = run('git', ['ls-files', 'deployments', '.github/workflows', 'docker-compose.yml', '.dockerignore'])
      .stdout.split('\n')
      .concat(run('git', ['ls-files', 'Dockerfile*', 'apps/*/Dockerfile*']).stdout.split('\n'))
      .filter(Boolean);
    expect(tracked.length).toBeGreaterThan(30);
    const unmatched = tracked.filter((file) => !patterns.some((p) => minimatch(file, p, { dot: true })));
    expect(unmatched).toEqual([]);
  });
});
