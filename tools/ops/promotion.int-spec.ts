// What CI publishes is what staging runs, and what a release tags: the image list of ci.yml's
// `images` job against the images compose staging pulls (docker-compose config, both files resolved)
// and the ones cd.yml tags `staging`; the release workflow promotes those digests, never rebuilding.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { requireProgram } from './http-client';
import { repoRoot, run } from './testing';

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
