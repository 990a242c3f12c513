// What CI publishes is what staging runs, and what a release tags: the image list of ci.yml's
// `images` job against the images compose staging pulls (docker-compose config, both files resolved)
// and the ones cd.yml tags `staging`; the release workflow promotes those digests, never rebuilding.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { requireProgram } from './http-client';
import { repoRoot, run, tempDir } from './testing';

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  env?: Record<string, string>;
  with?: Record<string, unknown>;
}
interface Job {
  if?: string;
  needs?: string | string[];
  permissions?: Record<string, string>;
  strategy?: { matrix: { include: { image: string; dockerfile: string }[] } };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
}
const workflow = (file: string) =>
  parse(readFileSync(path.join(repoRoot, '.github/workflows', file), 'utf8')) as Workflow;
const script = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');

const PREFIX = 'ghcr.io/acme/fleet';

/** The images ci.yml builds, signs and pushes (its `images` matrix). */
function published(): string[] {
  return workflow('ci.yml')
    .jobs['images'].strategy!.matrix.include.map((i) => i.image)
    .sort();
}

describe('compose staging pulls only images CI publishes', () => {
  let services: Record<string, { image?: string; build?: unknown }>;
  beforeAll(() => {
    requireProgram(
      'docker-compose',
      ['version'],
      "install Debian's docker-compose (apt-get install -y docker-compose)",
    );
    const res = run(
      'docker-compose',
      ['--project-name', 'fleet', '-f', 'docker-compose.yml', '-f', 'deployments/compose.staging.yml', 'config'],
      // FLEET_TAG empty: what the staging file names, not a tag a developer's shell may carry.
      { env: { FLEET_IMAGE_PREFIX: PREFIX, FLEET_PUBLIC_URL: 'https://staging.fleet.test', FLEET_TAG: '' } },
    );
    if (res.status !== 0) throw new Error(`docker-compose config failed:\n${res.stderr}`);
    services = (parse(res.stdout) as { services: typeof services }).services;
  });

  it('CI publishes the api, worker, trackers and frontend images', () => {
    expect(published()).toEqual(['api', 'frontend', 'trackers', 'worker']);
  });

  it('every image from FLEET_IMAGE_PREFIX is one CI publishes and CD tags `staging`, at that tag', () => {
    const ours = Object.entries(services).filter(([, s]) => s.image?.startsWith(`${PREFIX}/`));
    expect(ours.length).toBeGreaterThan(0);
    const tagged = [
      ...script(workflow('cd.yml').jobs['staging']).matchAll(/--tag "\$registry\/([\w-]+):staging"/g),
    ].map((m) => m[1]);
    for (const [service, { image }] of ours) {
      const [name, tag] = image!.slice(PREFIX.length + 1).split(':');
      expect({ service, name, tag, published: published().includes(name), tagged: tagged.includes(name) }).toEqual({
        service,
        name,
        tag: 'staging',
        published: true,
        tagged: true,
      });
    }
    // And every published image is run by some service.
    expect([...new Set(ours.map(([, s]) => s.image!.slice(PREFIX.length + 1).split(':')[0]))].sort()).toEqual(
      published(),
    );
  });

  it('no service would need a build on the host: each built image resolves to a published one, none to a local tag', () => {
    for (const [service, s] of Object.entries(services)) {
      expect({ service, image: s.image }).toEqual({ service, image: expect.any(String) });
      expect({ service, image: s.image }).not.toEqual({ service, image: expect.stringMatching(/:local$|^fleet\//) });
      if (s.build)
        expect({ service, image: s.image }).toEqual({ service, image: expect.stringMatching(`^${PREFIX}/`) });
    }
  });

  it('no placeholder for a frontend image is left in compose, the workflows or the README', () => {
    for (const file of [
      'docker-compose.yml',
      'deployments/compose.staging.yml',
      '.github/workflows/ci.yml',
      '.github/workflows/cd.yml',
      'README.md',
    ])
      expect({ file, text: readFileSync(path.join(repoRoot, file), 'utf8') }).not.toEqual({
        file,
        text: expect.stringMatching(
          /until Dockerfile\.frontend|placeholder image|frontend.{0,40}not (yet )?published/i,
        ),
      });
  });
});

describe('a vX.Y.Z tag promotes the digests staging ran (release.yml), never rebuilding', () => {
  const release = workflow('release.yml');
  const steps = release.jobs['promote'].steps;
  const SHA = 'c0ffee'.padEnd(40, '0');
  const digestOf = (image: string) => `sha256:${Buffer.from(image).toString('hex').padEnd(64, '0')}`;

  /**
   * Runs the release job's shell steps as GitHub's runner does (bash -e, the step's env), with
   * `docker`, `cosign` and `git` replaced by stubs that log their arguments: inspect answers a digest
   * per image, `cosign verify` refuses what `refuse` matches.
   */
  function runRelease(options: { refuse?: RegExp } = {}) {
    const dir = tempDir('release');
    const log = path.join(dir, 'calls');
    const output = path.join(dir, 'output');
    writeFileSync(output, '');
    const stub = (name: string, body: string) => {
      writeFileSync(path.join(dir, name), `#!/bin/bash\necho "${name} $*" >> "${log}"\n${body}\n`);
      chmodSync(path.join(dir, name), 0o755);
    };
    stub(
      'docker',
      `if [[ "$2 $3" == "imagetools inspect" ]]; then img=\${4##*/}; img=\${img%%:*}; ` +
        `printf '{"digest":"sha256:%s"}' "$(printf '%s' "$img" | od -An -tx1 | tr -d ' \\n' | sed -e :a -e 's/^.\\{1,63\\}$/&0/;ta')"; fi`,
    );
    stub('cosign', options.refuse ? `[[ "$*" =~ ${options.refuse.source} ]] && exit 1; exit 0` : 'exit 0');
    stub('git', 'exit 0');
    const outputs: Record<string, string> = {};
    const env = {
      PATH: `${dir}:${process.env['PATH']}`,
      GITHUB_REPOSITORY: 'Acme/Fleet',
      GITHUB_SHA: SHA,
      GITHUB_REF_NAME: 'v1.2.3',
      GITHUB_OUTPUT: output,
      ...(release as unknown as { env: Record<string, string> }).env,
    };
    let status: number | null = 0;
    try {
      for (const step of steps) {
        if (!step.run) continue;
        const stepEnv = Object.fromEntries(
          Object.entries(step.env ?? {}).map(([k, v]) => [
            k,
            v.replace(/\$\{\{ steps\.digests\.outputs\.(\w+) \}\}/, (_, name: string) => outputs[name] ?? ''),
          ]),
        );
        const res = run('bash', ['-e', '-c', step.run], { env: { ...env, ...stepEnv } });
        status = res.status;
        if (status !== 0) break;
        for (const line of readFileSync(output, 'utf8').split('\n').filter(Boolean)) {
          const [k, v] = line.split('=');
          outputs[k] = v;
        }
      }
      const calls = existsSync(log) ? readFileSync(log, 'utf8').split('\n').filter(Boolean) : [];
      return { status, calls, outputs };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }

  it('runs on vX.Y.Z tags only, and ci.yml builds no image for a tag', () => {
    expect(release.on).toEqual({ push: { tags: ['v*.*.*'] } });
    const ci = workflow('ci.yml');
    expect(ci.jobs['images'].if).toBe("github.ref_type != 'tag'");
    expect(readFileSync(path.join(repoRoot, '.github/workflows/ci.yml'), 'utf8')).not.toContain('type=semver');
  });

  it('has no build step: no build action, no docker build or push', () => {
    for (const step of steps) {
      expect(step.uses ?? '').not.toMatch(/build-push-action|metadata-action/);
      expect(step.run ?? '').not.toMatch(/docker (build|push)\b|buildx (build|bake)\b|\bbuild-args\b/);
    }
  });

  it('tags and signs, by digest, the digests CI signed on main and staging ran', () => {
    const { status, calls, outputs } = runRelease();
    expect(status).toBe(0);
    const registry = 'ghcr.io/acme/fleet';
    const images = ['api', 'worker', 'trackers', 'frontend'];
    for (const image of images) expect(outputs[image]).toBe(digestOf(image));
    // The same identity rule as cd.yml's resolve job: CI's workflow on main.
    const cd = script(workflow('cd.yml').jobs['resolve']);
    const ciIdentity = /--certificate-identity "([^"]+)"/.exec(cd)![1].replace('${GITHUB_REPOSITORY}', 'Acme/Fleet');
    for (const image of images) {
      const ref = `${registry}/${image}@${digestOf(image)}`;
      expect(calls).toContain(
        `docker buildx imagetools inspect ${registry}/${image}:sha-${SHA} --format {{json .Manifest}}`,
      );
      expect(calls).toContainEqual(
        expect.stringMatching(`^cosign verify ${ref} .*--certificate-identity ${ciIdentity}( |$)`),
      );
      expect(calls).toContainEqual(
        expect.stringMatching(
          `^cosign verify ${ref} .*--certificate-identity https://github.com/Acme/Fleet/.github/workflows/cd.yml@refs/heads/main -a deployed=staging -a commit=${SHA}`,
        ),
      );
      expect(calls).toContain(`docker buildx imagetools create --tag ${registry}/${image}:v1.2.3 ${ref}`);
      expect(calls).toContain(`cosign sign --yes -a release=v1.2.3 -a commit=${SHA} ${ref}`);
    }
    // docker only reads and retags manifests; nothing else is tagged or signed, and nothing by tag.
    for (const c of calls.filter((c) => c.startsWith('docker ')))
      expect(c).toMatch(/^docker buildx imagetools (inspect|create) /);
    const writes = calls.filter((c) => /imagetools create|cosign sign/.test(c));
    expect(writes).toHaveLength(2 * images.length);
    for (const c of writes) expect(c).toMatch(/@sha256:[0-9a-f]{64}$/);
  });

  it('promotes nothing when a digest has no staging signature for this commit', () => {
    const { status, calls } = runRelease({ refuse: /cd\.yml@refs\/heads\/main.*deployed=staging/ });
    expect(status).not.toBe(0);
    expect(calls.filter((c) => /imagetools create|cosign sign/.test(c))).toEqual([]);
  });

  it("cd.yml's staging job signs what it ran with the annotations release.yml requires", () => {
    const staging = workflow('cd.yml').jobs['staging'];
    expect(staging.permissions).toMatchObject({ 'id-token': 'write' });
    const sign = staging.steps.find((s) => s.run?.includes('cosign sign'))!;
    expect(sign.run).toContain('cosign sign --yes -a deployed=staging -a commit="$SHA" "$registry/$ref"');
    expect(sign.env).toMatchObject({ SHA: '${{ needs.resolve.outputs.sha }}' });
    for (const image of ['api', 'worker', 'trackers', 'frontend'])
      expect(sign.run).toContain(`"${image}@$${image.toUpperCase()}"`);
    // After the rollout and the `staging` tag, never before.
    const order = staging.steps.map((s) => s.run ?? '');
    expect(order.findIndex((r) => r.includes('cosign sign'))).toBeGreaterThan(
      order.findIndex((r) => r.includes('helm upgrade')),
    );
  });
});
