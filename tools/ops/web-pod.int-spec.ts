import { spawn, type ChildProcess } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { requireProgram } from './http-client';
import { freePort, repoRoot, run, runOk, tempDir, waitFor } from './testing';

// The web pod as the Helm chart runs it, without a cluster or Docker: the chart rendered by helm gives
// the container's env, volumes, uid and read-only root; Dockerfile.frontend's runtime stage gives the
// files (its COPY lines), ENTRYPOINT and CMD. They are assembled into a root directory owned by root
// (read-only for the pod's uid) with the pod's emptyDirs writable, plus Debian's nginx, sh and envsubst
// with their libraries, and run with `chroot --userspec` as that uid. The built SPA is a stand-in page.

const chart = path.join(repoRoot, 'deployments/helm/fleet');
const helmVersion = /HELM_VERSION = '(v[^']+)'/.exec(
  readFileSync(path.join(repoRoot, 'tools/ops/ensure-helm.mjs'), 'utf8'),
)![1];
const helm =
  process.env['HELM_BIN'] ?? path.join(repoRoot, 'node_modules/.cache/fleet-ops', `helm-${helmVersion}`, 'helm');

const TILE_URL = 'https://tiles.example.com/styles/streets/{z}/{x}/{y}.png?key={accessToken}';
const TRACKER_URL = 'https://trackers.example.com:5055';
const MAP_TOKEN = 'pk.test-token-123';
const INDEX = '<!doctype html><title>fleet</title><div id="root">fleet web app</div>';

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } };
}
interface Container {
  name: string;
  env?: EnvVar[];
  ports?: { containerPort: number }[];
  securityContext?: { readOnlyRootFilesystem?: boolean };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface WebDeployment {
  kind: string;
  metadata: { name: string };
  spec: {
    template: {
      spec: {
        securityContext: { runAsUser: number; runAsGroup: number; fsGroup?: number };
        containers: Container[];
        volumes: { name: string; emptyDir?: object }[];
      };
    };
  };
}

function renderWeb(extra: string[]): WebDeployment {
  const res = run(helm, [
    'template',
    'fleet',
    chart,
    '-f',
    path.join(chart, 'values-production.yaml'),
    '--set',
    `web.image.digest=sha256:${'c'.repeat(64)}`,
    ...extra,
  ]);
  if (res.status !== 0) throw new Error(`helm template failed:\n${res.stderr}`);
  const objects = parseAllDocuments(res.stdout).map((d) => d.toJSON() as WebDeployment | null);
  const web = objects.find((o) => o?.kind === 'Deployment' && o.metadata.name === 'fleet-web');
  if (!web) throw new Error('no Deployment fleet-web in the render');
  return web;
}

const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile.frontend'), 'utf8');
const runtimeStage = (() => {
  const stage = dockerfile.split(/^FROM /m).find((part) => /^\S+ AS runtime\n/.test(part));
  if (!stage) throw new Error('Dockerfile.frontend has no runtime stage');
  return stage;
})();
const jsonInstruction = (name: string) => {
  const m = new RegExp(`^${name} (\\[.*\\])$`, 'm').exec(runtimeStage);
  if (!m) throw new Error(`Dockerfile.frontend's runtime stage has no ${name} [...]`);
  return JSON.parse(m[1]) as string[];
};

/** Copies a program and the shared libraries it loads into `root`, at the same paths. */
function installProgram(root: string, program: string) {
  const libs = runOk('ldd', [program]).stdout.match(/\/\S+/g) ?? [];
  for (const file of [program, ...libs]) {
    mkdirSync(path.join(root, path.dirname(file)), { recursive: true });
    copyFileSync(file, path.join(root, file));
    chmodSync(path.join(root, file), 0o755);
  }
}

/** Everything under `dir` owned by root, directories 0755 and files 0644 unless executable. */
function rootOwned(dir: string) {
  runOk('chown', ['-R', '0:0', dir]);
  runOk('chmod', ['-R', 'u=rwX,go=rX', dir]);
}

let dir: string;
let root: string;
let port: number;
let deployment: WebDeployment;
let container: Container;
let nginx: ChildProcess | undefined;
const output = () => readFileSync(path.join(dir, 'web.out'), 'utf8');

/**
 * Builds the image's root filesystem: the runtime stage's COPY lines (the build stage's output is a
 * stand-in index.html), then Debian's programs; the config's port changed to a free one.
 */
function buildRoot() {
  root = path.join(dir, 'root');
  for (const m of runtimeStage.matchAll(/^COPY (.+)$/gm)) {
    const words = m[1].split(/\s+/);
    const from = words.find((w) => w.startsWith('--from='));
    const [src, dest] = words.filter((w) => !w.startsWith('--'));
    const target = path.join(root, dest);
    if (from) {
      mkdirSync(path.join(target, 'assets'), { recursive: true });
      writeFileSync(path.join(target, 'index.html'), INDEX);
      writeFileSync(path.join(target, 'assets/app-1a2b3c.js'), 'console.log("fleet");');
      continue;
    }
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(path.join(repoRoot, src), target);
    if (words.includes('--chmod=0755')) chmodSync(target, 0o755);
  }
  const template = runtimeStage.match(/^COPY \S+\.template (\S+)$/m)![1];
  const templatePath = path.join(root, template);
  const text = readFileSync(templatePath, 'utf8');
  if (!text.includes('  listen 8080;\n  listen [::]:8080;\n'))
    throw new Error('default.conf.template no longer listens on 8080 as this test expects');
  writeFileSync(templatePath, text.replace('  listen 8080;\n  listen [::]:8080;\n', `  listen 127.0.0.1:${port};\n`));
  // What the base image has and the repository does not: nginx's mime.types, a shell, envsubst, nginx.
  mkdirSync(path.join(root, 'etc/nginx'), { recursive: true });
  copyFileSync('/etc/nginx/mime.types', path.join(root, 'etc/nginx/mime.types'));
  for (const program of ['/bin/sh', '/usr/bin/envsubst', '/usr/sbin/nginx']) installProgram(root, program);
  // /bin/sh is a link on Debian (dash): the copy is the program itself.
  rootOwned(root);
}

/** The pod's emptyDirs: fresh, owned by root with the pod's fsGroup, writable by the group (as kubelet does). */
function mountEmptyDirs(writable: boolean) {
  const podSpec = deployment.spec.template.spec;
  for (const mount of container.volumeMounts ?? []) {
    const volume = podSpec.volumes.find((v) => v.name === mount.name);
    const target = path.join(root, mount.mountPath);
    rmSync(target, { recursive: true, force: true });
    mkdirSync(target, { recursive: true });
    if (volume?.emptyDir && writable) {
      chownSync(target, 0, podSpec.securityContext.fsGroup ?? 0);
      chmodSync(target, 0o2775);
    }
  }
  // /dev is the container runtime's, not the image's: nginx's access log is /dev/stdout.
  mkdirSync(path.join(root, 'dev'), { recursive: true });
  writeFileSync(path.join(root, 'dev/stdout'), '');
  chmodSync(path.join(root, 'dev/stdout'), 0o666);
}

/** The container's environment: plain values, and secretKeyRefs from `secret` (a missing optional key is unset). */
function containerEnv(secret: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' };
  for (const m of runtimeStage.matchAll(/^ENV (.+)$/gm))
    for (const pair of m[1].matchAll(/(\w+)="([^"]*)"/g)) env[pair[1]] = pair[2];
  for (const e of container.env ?? []) {
    if (e.value !== undefined) env[e.name] = e.value;
    const ref = e.valueFrom?.secretKeyRef;
    if (ref) {
      if (ref.key in secret) env[e.name] = secret[ref.key];
      else if (!ref.optional) throw new Error(`the Secret has no key ${ref.key} and the ref is not optional`);
    }
  }
  return env;
}

/** `docker run` of the image as the pod runs it: ENTRYPOINT + CMD, as the pod's uid and gid, in `root`. */
function startPod(env: Record<string, string>): ChildProcess {
  const { runAsUser, runAsGroup } = deployment.spec.template.spec.securityContext;
  const out = openSync(path.join(dir, 'web.out'), 'w');
  const child = spawn(
    'chroot',
    [`--userspec=${runAsUser}:${runAsGroup}`, root, ...jsonInstruction('ENTRYPOINT'), ...jsonInstruction('CMD')],
    { env, stdio: ['ignore', out, out] },
  );
  closeSync(out);
  return child;
}

async function stop(child: ChildProcess | undefined) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

beforeAll(async () => {
  requireProgram('nginx', ['-v'], "install Debian's nginx (apt-get install -y nginx; `npm test` does it)");
  requireProgram('envsubst', ['--version'], 'install gettext-base (apt-get install -y gettext-base)');
  if (process.getuid?.() !== 0) throw new Error('this suite needs root (chroot, chown), as npm test runs in CI');
  if (run(helm, ['version', '--short']).status !== 0)
    throw new Error(`helm is not at ${helm}: run \`node tools/ops/ensure-helm.mjs\` (npm test does it)`);
  dir = tempDir('web-pod');
  port = await freePort();
  deployment = renderWeb([
    '--set-string',
    `web.mapTileUrl=${TILE_URL}`,
    '--set-string',
    `web.trackerServerUrl=${TRACKER_URL}`,
  ]);
  container = deployment.spec.template.spec.containers[0];
  buildRoot();
}, 60_000);

afterAll(async () => {
  await stop(nginx);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the web pod (Helm chart + Dockerfile.frontend, run with a read-only root as its uid)', () => {
  jest.setTimeout(30_000);

  it('takes the map settings from values and MAP_TOKEN from the Secret (optional key), hardened', () => {
    const env = Object.fromEntries((container.env ?? []).map((e) => [e.name, e]));
    expect(env['MAP_TILE_URL']).toEqual({ name: 'MAP_TILE_URL', value: TILE_URL });
    expect(env['TRACKER_SERVER_URL']).toEqual({ name: 'TRACKER_SERVER_URL', value: TRACKER_URL });
    expect(env['MAP_TOKEN']).toEqual({
      name: 'MAP_TOKEN',
      valueFrom: { secretKeyRef: { name: 'fleet-production-secrets', key: 'MAP_TOKEN', optional: true } },
    });
    expect(container.securityContext?.readOnlyRootFilesystem).toBe(true);
    expect(deployment.spec.template.spec.securityContext.runAsUser).toBe(1000);
    expect(container.ports?.[0].containerPort).toBe(8080);
  });

  it('serves a deep link as index.html and /config.json with the values, as uid 1000 with a read-only root', async () => {
    mountEmptyDirs(true);
    nginx = startPod(containerEnv({ MAP_TOKEN }));
    const child = nginx;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the pod exited ${child.exitCode}:\n${output()}`);
        return (await fetch(`http://127.0.0.1:${port}/`).catch(() => ({ status: 0 }))).status === 200;
      },
      { timeoutMs: 15_000, what: 'the web pod serving' },
    );

    const deep = await fetch(`http://127.0.0.1:${port}/history?vehicle=42`);
    expect(deep.status).toBe(200);
    expect(await deep.text()).toBe(INDEX);
    expect(deep.headers.get('cache-control')).toBe('no-cache');
    const asset = await fetch(`http://127.0.0.1:${port}/assets/app-1a2b3c.js`);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    expect((await fetch(`http://127.0.0.1:${port}/assets/missing.js`)).status).toBe(404);

    const config = await fetch(`http://127.0.0.1:${port}/config.json`);
    expect(config.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await config.json()).toEqual({ mapTileUrl: TILE_URL, mapToken: MAP_TOKEN, trackerServerUrl: TRACKER_URL });

    // nginx runs as the pod's uid, and the image's files stayed as they were.
    const pid = readFileSync(path.join(root, 'tmp/nginx.pid'), 'utf8').trim();
    expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(/^Uid:\s+1000\s/m);
    expect(() => writeFileSync(path.join(root, 'etc/nginx/probe'), '')).not.toThrow(); // we are root...
    rmSync(path.join(root, 'etc/nginx/probe'));
    const asPod = run('chroot', ['--userspec=1000:1000', root, '/bin/sh', '-c', ': > /etc/nginx/probe']);
    expect(asPod.status).not.toBe(0); // ...the pod is not
    await stop(nginx);
  });

  it('without the Secret key MAP_TOKEN is empty and the pod still serves', async () => {
    mountEmptyDirs(true);
    nginx = startPod(containerEnv({}));
    const child = nginx;
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`the pod exited ${child.exitCode}:\n${output()}`);
        return (await fetch(`http://127.0.0.1:${port}/config.json`).catch(() => ({ status: 0 }))).status === 200;
      },
      { timeoutMs: 15_000, what: 'the web pod serving' },
    );
    expect(await (await fetch(`http://127.0.0.1:${port}/config.json`)).json()).toEqual({
      mapTileUrl: TILE_URL,
      mapToken: '',
      trackerServerUrl: TRACKER_URL,
    });
    await stop(nginx);
  });

  it('stops with an error instead of serving without the SPA fallback when the config dir is not writable', async () => {
    mountEmptyDirs(false);
    const child = startPod(containerEnv({ MAP_TOKEN }));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output()).toMatch(/cannot write \/etc\/nginx\/conf\.d/);
  });

  it('refuses a value that would break out of the JSON or nginx string', async () => {
    mountEmptyDirs(true);
    const child = startPod({ ...containerEnv({ MAP_TOKEN }), MAP_TOKEN: 'abc";return 302 x' });
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(1);
    expect(output()).toMatch(/MAP_TOKEN must not contain quotes/);
  });

  it('the schema accepts the map settings and refuses a URL with a quote', () => {
    const ok = run(helm, ['lint', chart, '--strict', '--set-string', `web.mapTileUrl=${TILE_URL}`]);
    expect(ok.status).toBe(0);
    const bad = run(helm, ['template', 'fleet', chart, '--set-string', 'web.mapTileUrl=https://x.example/"a']);
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/mapTileUrl/);
  });
});
