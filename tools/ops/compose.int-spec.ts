import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { requireProgram } from './http-client';
import { repoRoot, run } from './testing';

// `docker-compose config` (Debian's docker-compose 1.29, the oldest syntax we promise) resolves and
// validates both files; the checks below read what it resolved, not the files as written.

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string; args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | null>;
  depends_on?: Record<string, { condition: string }>;
  healthcheck?: { test: string[] | string };
  ports?: (string | Port)[];
  volumes?: (string | Mount)[];
  secrets?: { source: string }[];
  restart?: string;
}
interface Port {
  published: number;
  target: number;
  host_ip?: string;
}
interface Mount {
  type: string;
  source: string;
  target: string;
}
interface Resolved {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
  secrets?: Record<string, { file: string }>;
}

const STAGING_ENV = { FLEET_IMAGE_PREFIX: 'ghcr.io/acme/fleet', FLEET_PUBLIC_URL: 'https://staging.fleet.test' };
const files = {
  local: ['-f', 'docker-compose.yml'],
  staging: ['-f', 'docker-compose.yml', '-f', 'deployments/compose.staging.yml'],
};

function config(which: keyof typeof files, env: Record<string, string> = {}) {
  // Variables a developer's shell may carry must not change what the test sees.
  const clean = { POSTGRES_PASSWORD: '', FLEET_TAG: '', FLEET_IMAGE_PREFIX: '', APP_ENV: '', ...env };
  return run('docker-compose', ['--project-name', 'fleet', ...files[which], 'config'], { env: clean });
}
function resolved(which: keyof typeof files, env: Record<string, string> = {}): Resolved {
  const res = config(which, env);
  if (res.status !== 0) throw new Error(`docker-compose config failed:\n${res.stderr}`);
  return parse(res.stdout) as Resolved;
}

// docker-compose 1.29 prints short forms ("src:dst:ro", "127.0.0.1:9090:9090/tcp"); v2 prints long ones.
function mounts(service: Service): Mount[] {
  return (service.volumes ?? []).map((v) => {
    if (typeof v !== 'string') return v;
    const [source, target] = v.split(':');
    return { type: source.startsWith('/') ? 'bind' : 'volume', source, target };
  });
}
function ports(service: Service): Port[] {
  return (service.ports ?? []).map((p) => {
    if (typeof p !== 'string') return { ...p, published: Number(p.published) };
    const parts = p.replace(/\/\w+$/, '').split(':');
    const [target, published, host] = parts.reverse();
    return { target: Number(target), published: Number(published), ...(host ? { host_ip: host } : {}) };
  });
}

beforeAll(() =>
  requireProgram('docker-compose', ['version'], "install Debian's docker-compose (apt-get install -y docker-compose)"),
);

describe('docker-compose.yml (local stack)', () => {
  let stack: Resolved;
  beforeAll(() => {
    stack = resolved('local');
  });

  it('passes docker-compose config, with every service of the platform', () => {
    expect(Object.keys(stack.services).sort()).toEqual(
      [
        'alertmanager',
        'api',
        'backup',
        'blackbox_exporter',
        'dev-certs',
        'frontend',
        'gateway',
        'grafana',
        'migrate',
        'node_exporter',
        'postgres',
        'postgres_exporter',
        'prometheus',
        'redis',
        'redis_exporter',
        'seed',
        'trackers',
        'worker',
      ].sort(),
    );
  });

  it('starts in order: migrate after a healthy PostgreSQL, api/worker/trackers/seed after migrate succeeded, the gateway last', () => {
    const s = stack.services;
    // service -> condition (compose v2 adds `required` and `restart` to each entry).
    const waitsFor = (name: string) =>
      Object.fromEntries(Object.entries(s[name].depends_on ?? {}).map(([dep, d]) => [dep, d.condition]));
    expect(waitsFor('migrate')).toEqual({ postgres: 'service_healthy' });
    for (const name of ['api', 'worker', 'trackers'])
      expect(waitsFor(name)).toEqual({ migrate: 'service_completed_successfully', redis: 'service_healthy' });
    expect(waitsFor('seed')).toEqual({ migrate: 'service_completed_successfully' });
    expect(waitsFor('gateway')).toEqual({
      'dev-certs': 'service_completed_successfully',
      api: 'service_healthy',
      frontend: 'service_healthy',
    });
    for (const name of ['migrate', 'seed', 'dev-certs']) expect(s[name].restart).toBe('no');
    // Every long-running service whose health others wait on has a check (api/worker/trackers: the image's HEALTHCHECK).
    for (const name of ['postgres', 'redis', 'frontend', 'gateway', 'prometheus', 'alertmanager', 'grafana'])
      expect(s[name].healthcheck?.test).toBeDefined();
    const serverImages = readFileSync(path.join(repoRoot, 'Dockerfile.server'), 'utf8');
    for (const app of ['api', 'worker', 'trackers'])
      expect(serverImages.split(/^FROM /m).find((stage) => stage.startsWith(`runtime AS app-${app}\n`))).toMatch(
        /^HEALTHCHECK /m,
      );
  });

  it('keeps data in volumes (PostgreSQL, Redis with append-only persistence, Prometheus, Grafana)', () => {
    const mount = (service: string) => mounts(stack.services[service]).find((v) => v.type === 'volume');
    expect(mount('postgres')?.target).toBe('/var/lib/postgresql/data');
    expect(mount('redis')?.target).toBe('/data');
    expect(stack.services['redis'].command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
    expect(Object.keys(stack.volumes ?? {}).sort()).toEqual([
      'alertdata',
      'backups',
      'grafanadata',
      'pgdata',
      'promdata',
      'redisdata',
      'textfile',
    ]);
    expect(stack.services['postgres'].image).toMatch(/^postgis\/postgis:15-/);
  });

  it('mounts only files that exist in the repository, at the paths the services read', () => {
    for (const [name, service] of Object.entries(stack.services))
      for (const v of mounts(service))
        if (v.type === 'bind' && v.source.startsWith(repoRoot))
          expect({ service: name, source: v.source, exists: existsSync(v.source) }).toMatchObject({ exists: true });
    const binds = (name: string) =>
      Object.fromEntries(mounts(stack.services[name]).map((v) => [v.target, path.relative(repoRoot, v.source)]));
    expect(binds('gateway')).toEqual({
      '/etc/nginx/nginx.conf': 'deployments/gateway/nginx.conf',
      '/etc/nginx/certs': 'deployments/gateway/certs',
    });
    expect(binds('grafana')).toMatchObject({
      '/etc/grafana/provisioning': 'deployments/grafana/provisioning',
      '/var/lib/grafana/dashboards': 'deployments/grafana/dashboards',
    });
    expect(binds('prometheus')).toMatchObject({ '/etc/prometheus': 'deployments/prometheus' });
  });

  it('gives every Prometheus scrape target a service on that port, and Grafana its datasource', () => {
    const prometheus = parse(readFileSync(path.join(repoRoot, 'deployments/prometheus/prometheus.yml'), 'utf8')) as {
      scrape_configs: {
        job_name: string;
        static_configs?: { targets: string[] }[];
        relabel_configs?: { replacement?: string }[];
      }[];
    };
    const exposed: Record<string, number> = {
      api: 3000,
      worker: 9464,
      trackers: 9465,
      postgres_exporter: 9187,
      redis_exporter: 9121,
      node_exporter: 9100,
      blackbox_exporter: 9115,
      gateway: 443,
      prometheus: 9090,
      localhost: 9090,
    };
    const targets = prometheus.scrape_configs.flatMap((c) => [
      ...(c.static_configs ?? []).flatMap((s) => s.targets),
      ...(c.relabel_configs ?? []).flatMap((r) => (r.replacement?.includes(':') ? [r.replacement] : [])),
    ]);
    expect(targets.length).toBeGreaterThan(0);
    for (const target of targets) {
      const [host, port] = new URL(target.includes('://') ? target : `tcp://${target}`).host.split(':');
      expect({ target, service: host === 'localhost' || host in stack.services }).toEqual({ target, service: true });
      expect({ target, port: Number(port || 443) }).toEqual({ target, port: exposed[host] });
    }
    expect(ports(stack.services['grafana'])).toEqual([expect.objectContaining({ published: 3000, target: 3000 })]);
    const datasource = readFileSync(
      path.join(repoRoot, 'deployments/grafana/provisioning/datasources/prometheus.yml'),
      'utf8',
    );
    expect(datasource).toContain('url: http://prometheus:9090');
  });

  it('publishes only the gateway (80, 443, 5055), the trackers TCP ports, Grafana, and Prometheus on loopback', () => {
    const published = Object.entries(stack.services).flatMap(([name, s]) =>
      ports(s).map((p) => `${name}:${p.host_ip ?? '*'}:${p.published}`),
    );
    expect(published.sort()).toEqual(
      [
        'gateway:*:80',
        'gateway:*:443',
        'gateway:*:5055',
        'trackers:*:5013',
        'trackers:*:5023',
        'trackers:*:5027',
        'grafana:*:3000',
        'prometheus:127.0.0.1:9090',
      ].sort(),
    );
  });

  it("runs the tracker gateway on Traccar's port numbers, each published as itself, its metrics port not at all", () => {
    const trackers = stack.services['trackers'];
    const env = trackers.environment ?? {};
    expect(env).toMatchObject({ TELTONIKA_PORT: '5027', GT06_PORT: '5023', H02_PORT: '5013', PORT: '9465' });
    // The same database, Redis and environment as the api: it stages through the same pipeline.
    for (const name of ['APP_ENV', 'DATABASE_URL', 'REDIS_URL', 'LOG_FORMAT'])
      expect([name, env[name]]).toEqual([name, stack.services['api'].environment?.[name]]);
    const published = ports(trackers).map((p) => [p.published, p.target]);
    expect(published.sort()).toEqual(
      [env['TELTONIKA_PORT'], env['GT06_PORT'], env['H02_PORT']].map((p) => [Number(p), Number(p)]).sort(),
    );
    // And the image listens where compose publishes (its stage's EXPOSE).
    const stage = readFileSync(path.join(repoRoot, 'Dockerfile.server'), 'utf8')
      .split(/^FROM /m)
      .find((part) => part.startsWith('runtime AS app-trackers\n'))!;
    expect(/^EXPOSE (.+)$/m.exec(stage)![1].split(' ').map(Number).sort()).toEqual([5013, 5023, 5027, 9465]);
  });

  it('has the api and worker images expose every port compose has them listen on (the api: its live port too)', () => {
    const exposed = (app: string) => {
      const stage = readFileSync(path.join(repoRoot, 'Dockerfile.server'), 'utf8')
        .split(/^FROM /m)
        .find((part) => part.startsWith(`runtime AS app-${app}\n`))!;
      return /^EXPOSE (.+)$/m
        .exec(stage)![1]
        .split(' ')
        .map(Number)
        .sort((a, b) => a - b);
    };
    const env = (name: string) => stack.services[name].environment ?? {};
    const api = env('api');
    expect(api['LIVE_PORT']).toBe('3001');
    expect(exposed('api')).toEqual(
      [api['PORT'], api['LIVE_PORT'], api['OSMAND_PORT']].map(Number).sort((a, b) => a - b),
    );
    expect(exposed('worker')).toEqual([Number(env('worker')['METRICS_PORT'])]);
  });

  it('runs migrate and seed from the api image', () => {
    const s = stack.services;
    expect(s['migrate'].image).toBe(s['api'].image);
    expect(s['seed'].image).toBe(s['api'].image);
    expect(s['migrate'].command).toEqual(['node', 'cli/migrate.js']);
    expect(s['seed'].command).toEqual(['node', 'cli/seed.js']);
    // One Dockerfile for both server images, the APP argument picking which; the web app has its own.
    for (const app of ['api', 'worker', 'trackers']) {
      expect(s[app].build?.dockerfile).toBe('Dockerfile.server');
      expect(s[app].build?.args?.['APP']).toBe(app);
    }
    expect(s['frontend'].build?.dockerfile).toBe('Dockerfile.frontend');
  });
});

describe('deployments/compose.staging.yml (on top of docker-compose.yml)', () => {
  let stack: Resolved;
  beforeAll(() => {
    stack = resolved('staging', STAGING_ENV);
  });

  it('passes docker-compose config, and names what is missing when the registry is not set', () => {
    const res = config('staging', { FLEET_PUBLIC_URL: 'https://x.test' });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/set FLEET_IMAGE_PREFIX/);
  });

  it('runs the images CI tagged `staging`, never building them on the host', () => {
    for (const name of ['api', 'migrate', 'seed'])
      expect(stack.services[name].image).toBe('ghcr.io/acme/fleet/api:staging');
    expect(stack.services['worker'].image).toBe('ghcr.io/acme/fleet/worker:staging');
    expect(stack.services['trackers'].image).toBe('ghcr.io/acme/fleet/trackers:staging');
    expect(stack.services['frontend'].image).toBe('ghcr.io/acme/fleet/frontend:staging');
  });

  it('runs everything with APP_ENV=staging, the seed included, and secrets only from files', () => {
    for (const name of ['api', 'worker', 'trackers', 'migrate', 'seed']) {
      const env = stack.services[name].environment ?? {};
      expect(env['APP_ENV']).toBe('staging');
      // The local default (with its password) is switched off; the entrypoint reads the file.
      expect(env['DATABASE_URL']).toBe('');
      expect(env['DATABASE_URL_FILE']).toBe('/run/secrets/database_url');
      expect(stack.services[name].secrets?.map((s) => s.source)).toContain('database_url');
    }
    const api = stack.services['api'].environment ?? {};
    expect(api['JWT_SECRET_FILE']).toBe('/run/secrets/jwt_secret');
    expect(api['CORS_ORIGINS']).toBe(STAGING_ENV.FLEET_PUBLIC_URL);
    expect(stack.services['postgres'].environment).toMatchObject({
      POSTGRES_PASSWORD: '',
      POSTGRES_PASSWORD_FILE: '/run/secrets/postgres_password',
    });
    expect(stack.services['grafana'].environment).toMatchObject({
      GF_SECURITY_ADMIN_PASSWORD: '',
      GF_SECURITY_ADMIN_PASSWORD__FILE: '/run/secrets/grafana_admin_password',
    });
    expect(Object.keys(stack.secrets ?? {}).sort()).toEqual(
      ['database_url', 'grafana_admin_password', 'jwt_secret', 'jwt_secret_previous', 'postgres_password'].sort(),
    );
    const text = JSON.stringify(stack);
    expect(text).not.toContain('fleet-local-only');
  });

  it('never makes a self-signed certificate: the dev-certs step only checks the real one is there', () => {
    const command = stack.services['dev-certs'].command as string[];
    expect(command.join(' ')).not.toMatch(/openssl|dev-certs /);
    expect(command.join(' ')).toMatch(/test -s \/certs\/local\.crt/);
  });

  it("mounts the ACME webroot where the gateway's nginx.conf serves /.well-known/acme-challenge/ from", () => {
    const conf = readFileSync(path.join(repoRoot, 'deployments/gateway/nginx.conf'), 'utf8');
    const root = /location \/\.well-known\/acme-challenge\/ \{\s*root (\S+);/.exec(conf)?.[1];
    expect(root).toBe('/var/www/acme');
    const webroot = mounts(stack.services['gateway']).find((m) => m.target === root);
    expect(webroot?.source).toBe(path.join(repoRoot, 'deployments/gateway/acme'));
    expect(existsSync(webroot!.source)).toBe(true);
  });
});
