import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { requireProgram } from './http-client';
import { freePort, repoRoot, run, runOk, startBinary, tempDir, waitFor, type Service } from './testing';

// The scheduled work of the operations guide, run for real: tools/backup.sh and its success metric
// (read back through Debian's node_exporter textfile collector, and pushed to a Pushgateway-compatible
// endpoint), the compose `backup` profile's command as compose resolves it, the chart's backup and
// secret-age CronJobs as helm renders them (their script from the ConfigMap, their env from a Secret),
// and tools/check-secret-age.sh against the dates tools/rotate-secret records. The alerts on these
// metrics (BackupTooOld, BackupMissing, SecretRotationOverdue) are promtool-tested with the others
// (deployments/prometheus/tests/scheduled.test.yml, tools/ops/prometheus.int-spec.ts).

const backupScript = path.join(repoRoot, 'tools/backup.sh');
const checkScript = path.join(repoRoot, 'tools/check-secret-age.sh');
const chart = path.join(repoRoot, 'deployments/helm/fleet');
const helmVersion = /HELM_VERSION = '(v[^']+)'/.exec(
  readFileSync(path.join(repoRoot, 'tools/ops/ensure-helm.mjs'), 'utf8'),
)![1];
const helm =
  process.env['HELM_BIN'] ?? path.join(repoRoot, 'node_modules/.cache/fleet-ops', `helm-${helmVersion}`, 'helm');

let dir: string;
let db: TestDatabase;

beforeAll(async () => {
  requireProgram('pg_dump', ['--version'], 'install postgresql-client');
  dir = tempDir('scheduled');
  db = await createTestDatabase('ops-scheduled');
}, 60_000);
afterAll(async () => {
  await db?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A metric's value in Prometheus' text format (no labels). */
function metric(text: string, name: string): number | undefined {
  const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : undefined;
}
const now = () => Math.floor(Date.now() / 1000);

describe('tools/backup.sh: the success metric', () => {
  jest.setTimeout(60_000);
  let textfile: string;
  let exporter: Service | undefined;
  afterAll(() => exporter?.stop());

  it('after a good backup writes fleet_backup_last_success_timestamp_seconds, read by node_exporter', async () => {
    textfile = path.join(dir, 'textfile');
    mkdirSync(textfile);
    const backups = path.join(dir, 'backups');
    const before = now();
    const res = runOk(backupScript, [], {
      env: { DATABASE_URL: db.url, BACKUP_DIR: backups, BACKUP_METRICS_FILE: path.join(textfile, 'fleet_backup.prom') },
    });
    expect(res.stdout).toContain(`metrics written to ${path.join(textfile, 'fleet_backup.prom')}`);
    const text = readFileSync(path.join(textfile, 'fleet_backup.prom'), 'utf8');
    expect(run('promtool', ['check', 'metrics'], { input: text }).status).toBe(0);
    const [dump] = readdirSync(backups).filter((f) => f.endsWith('.dump'));
    expect(metric(text, 'fleet_backup_last_size_bytes')).toBe(statSync(path.join(backups, dump)).size);
    // Nothing half-written beside it: the file is renamed into place.
    expect(readdirSync(textfile)).toEqual(['fleet_backup.prom']);

    const port = await freePort();
    exporter = await startBinary(
      'prometheus-node-exporter',
      [
        '--collector.disable-defaults',
        '--collector.textfile',
        `--collector.textfile.directory=${textfile}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { port },
    );
    const scraped = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const at = metric(scraped, 'fleet_backup_last_success_timestamp_seconds');
    expect(at).toBeGreaterThanOrEqual(before);
    expect(at).toBeLessThanOrEqual(now());
    expect(scraped).toMatch(/^node_textfile_scrape_error 0$/m);
  });

  it('a failed backup leaves the last success as it was (the alert sees its age) and exits non-zero', () => {
    const file = path.join(textfile, 'fleet_backup.prom');
    const old = 'fleet_backup_last_success_timestamp_seconds 1000\n';
    writeFileSync(file, old);
    const bad = new URL(db.url);
    bad.pathname = '/fleet_no_such_database';
    const res = run(backupScript, [], {
      env: { DATABASE_URL: bad.toString(), BACKUP_DIR: path.join(dir, 'backups'), BACKUP_METRICS_FILE: file },
    });
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/pg_dump failed/);
    expect(readFileSync(file, 'utf8')).toBe(old);
  });

  it('BACKUP_METRICS_PUSH_URL: PUTs the same metrics to a Pushgateway-compatible endpoint', async () => {
    const received: { method?: string; url?: string; body: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({ method: req.method, url: req.url, body });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics/job/fleet_backup`;
      // Async: the script's curl talks to this process's server.
      const res = await new Promise<{ status: number | null; out: string }>((resolve) => {
        const child = spawn(backupScript, [], {
          env: {
            ...process.env,
            DATABASE_URL: db.url,
            BACKUP_DIR: path.join(dir, 'push'),
            BACKUP_METRICS_PUSH_URL: url,
          },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.on('close', (status) => resolve({ status, out }));
      });
      expect(res.out).toContain(`metrics pushed to ${url}`);
      expect(res.status).toBe(0);
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({ method: 'PUT', url: '/metrics/job/fleet_backup' });
      expect(metric(received[0].body, 'fleet_backup_last_success_timestamp_seconds')).toBeGreaterThan(now() - 60);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('the compose `backup` profile', () => {
  jest.setTimeout(60_000);
  interface Svc {
    image?: string;
    entrypoint?: string[];
    command?: string[];
    environment?: Record<string, string>;
    volumes?: string[];
    profiles?: string[];
    secrets?: { source: string }[];
  }
  const config = (files: string[], env: Record<string, string> = {}) => {
    const res = run('docker-compose', ['--project-name', 'fleet', ...files, '--profile', 'backup', 'config'], {
      env: { POSTGRES_PASSWORD: '', FLEET_TAG: '', FLEET_IMAGE_PREFIX: '', APP_ENV: '', ...env },
    });
    if (res.status !== 0) throw new Error(`docker-compose config failed:\n${res.stderr}`);
    return (parse(res.stdout) as { services: Record<string, Svc> }).services;
  };
  const mountsOf = (s: Svc) => (s.volumes ?? []).map((v) => v.split(':'));

  it('runs tools/backup.sh with PostgreSQL’s own pg_dump, its metric in the directory node_exporter reads', () => {
    requireProgram('docker-compose', ['version'], 'install docker-compose (apt-get install -y docker-compose)');
    const services = config(['-f', 'docker-compose.yml']);
    const backup = services['backup'];
    expect(backup.profiles).toEqual(['backup']);
    expect(backup.image).toBe(services['postgres'].image);
    expect(mountsOf(backup)).toContainEqual([backupScript, '/opt/fleet/backup.sh', 'ro']);
    const metricsFile = backup.environment!['BACKUP_METRICS_FILE'];
    const volume = mountsOf(backup).find(([, target]) => metricsFile.startsWith(`${target}/`))!;
    const exporter = services['node_exporter'];
    const flag = (exporter.command ?? []).find((c) => c.startsWith('--collector.textfile.directory='))!;
    const exporterMount = mountsOf(exporter).find(([source]) => source === volume[0])!;
    expect(flag).toBe(`--collector.textfile.directory=${exporterMount[1]}`);
    expect(backup.environment!['BACKUP_KEEP']).toBe('14');
  });

  it('its command, run as compose resolves it, backs up at start and writes the metric', async () => {
    const backup = config(['-f', 'docker-compose.yml'])['backup'];
    // docker-compose 1.29 prints `$$` for a literal `$`; the container's bash receives one.
    const script = backup.command![0].replaceAll('$$', '$').replaceAll('/opt/fleet/backup.sh', backupScript);
    const root = path.join(dir, 'compose');
    const remap = (v: string) => (v.startsWith('/') ? path.join(root, v) : v);
    mkdirSync(path.join(root, 'textfile'), { recursive: true });
    const env = Object.fromEntries(Object.entries(backup.environment!).map(([k, v]) => [k, remap(v)]));
    const child = spawn(backup.entrypoint![0], [...backup.entrypoint!.slice(1), script], {
      env: { ...process.env, ...env, DATABASE_URL: db.url },
      stdio: 'ignore',
      detached: true,
    });
    try {
      const file = env['BACKUP_METRICS_FILE'];
      await waitFor(async () => existsSync(file), { timeoutMs: 30_000, what: 'the backup metric' });
      expect(metric(readFileSync(file, 'utf8'), 'fleet_backup_last_success_timestamp_seconds')).toBeGreaterThan(
        now() - 60,
      );
      expect(readdirSync(env['BACKUP_DIR']).filter((f) => f.endsWith('.dump'))).toHaveLength(1);
      // Still running: it sleeps until the next one.
      expect(child.exitCode).toBeNull();
    } finally {
      process.kill(-child.pid!, 'SIGKILL');
    }
  });

  it('in staging reads the database URL from its secret file', () => {
    const backup = config(['-f', 'docker-compose.yml', '-f', 'deployments/compose.staging.yml'], {
      FLEET_IMAGE_PREFIX: 'ghcr.io/acme/fleet',
      FLEET_PUBLIC_URL: 'https://staging.fleet.test',
    })['backup'];
    expect(backup.environment).toMatchObject({ DATABASE_URL: '', DATABASE_URL_FILE: '/run/secrets/database_url' });
    expect(backup.secrets?.map((s) => s.source)).toEqual(['database_url']);
    expect(backup.command![0]).toContain('DATABASE_URL_FILE');
  });
});

describe('tools/check-secret-age.sh', () => {
  jest.setTimeout(60_000);
  const day = 86_400;
  const check = (args: string[], env: Record<string, string> = {}) => run(checkScript, args, { env });
  const envFile = (name: string, text: string) => {
    const file = path.join(dir, name);
    writeFileSync(file, text, { mode: 0o600 });
    return file;
  };

  it('passes after tools/rotate-secret recorded each rotation, fails once one is older than its policy', () => {
    const file = envFile(
      'fleet.env',
      `JWT_SECRET=${'x'.repeat(48)}\nDATABASE_URL=postgres://u:p@h/d\nMAP_TOKEN=pk.one\n`,
    );
    // Before any recorded rotation the ages are unknown: the check fails and says why.
    const unknown = check(['--env-file', file]);
    expect(unknown.status).toBe(1);
    expect(unknown.stdout).toMatch(/JWT_SECRET: no JWT_SECRET_ROTATED_AT recorded/);

    runOk(path.join(repoRoot, 'tools/rotate-secret'), ['jwt', 'publish', '--env-file', file]);
    runOk(path.join(repoRoot, 'tools/rotate-secret'), ['map-token', 'publish', '--env-file', file], {
      input: 'pk.two\n',
    });
    // The database password's date, as db-password writes it (its own suite runs the real rotation).
    writeFileSync(file, `${readFileSync(file, 'utf8')}DATABASE_URL_ROTATED_AT=2026-01-01T00:00:00Z\n`);
    const at = Date.parse('2026-01-01T00:00:00Z') / 1000;

    const ok = check(['--env-file', file], { NOW: String(at + 10 * day) });
    expect(ok.stdout).toMatch(/JWT_SECRET: ok/);
    expect(ok.stdout).toMatch(/DATABASE_URL: ok, rotated 2026-01-01T00:00:00Z \(10 days ago\), policy 90 days/);
    // JWT and map token were rotated just now, "now" being in January: in the future, never overdue.
    expect(ok.status).toBe(0);

    const late = check(['--env-file', file], { NOW: String(at + 91 * day) });
    expect(late.status).toBe(1);
    expect(late.stdout).toMatch(/DATABASE_URL: OVERDUE, rotated 2026-01-01T00:00:00Z \(91 days ago\), policy 90 days/);
    expect(late.stdout).not.toContain('x'.repeat(48)); // never a secret value
    // A shorter policy of its own.
    const strict = check(['--env-file', file], { NOW: String(at + 10 * day), SECRET_MAX_AGE_DAYS: 'DATABASE_URL=7' });
    expect(strict.status).toBe(1);
    expect(strict.stdout.trim().split('\n')).toHaveLength(1);
  });

  it('writes the ages as metrics promtool accepts, and refuses a malformed policy or date', () => {
    const metrics = path.join(dir, 'secret_age.prom');
    const res = check([], {
      NOW: String(Date.parse('2026-03-01T00:00:00Z') / 1000),
      SECRET_MAX_AGE_DAYS: 'JWT_SECRET=30,MAP_TOKEN=365',
      JWT_SECRET_ROTATED_AT: '2026-02-15T00:00:00Z',
      SECRET_AGE_METRICS_FILE: metrics,
    });
    expect(res.status).toBe(1); // MAP_TOKEN has no date
    const text = readFileSync(metrics, 'utf8');
    expect(run('promtool', ['check', 'metrics'], { input: text }).status).toBe(0);
    expect(text).toContain(
      `fleet_secret_rotated_timestamp_seconds{secret="JWT_SECRET"} ${Date.parse('2026-02-15T00:00:00Z') / 1000}`,
    );
    expect(text).toContain(`fleet_secret_max_age_seconds{secret="JWT_SECRET"} ${30 * day}`);
    expect(text).toContain(`fleet_secret_max_age_seconds{secret="MAP_TOKEN"} ${365 * day}`);
    expect(text).not.toMatch(/rotated_timestamp_seconds\{secret="MAP_TOKEN"\}/);

    const policy = check([], { SECRET_MAX_AGE_DAYS: 'JWT_SECRET=ninety' });
    expect(policy.status).toBe(2);
    expect(policy.stderr).toMatch(/'JWT_SECRET=ninety' is not KEY=days/);
    const date = check([], { SECRET_MAX_AGE_DAYS: 'JWT_SECRET=30', JWT_SECRET_ROTATED_AT: 'last tuesday' });
    expect(date.status).toBe(2);
    expect(date.stderr).toMatch(/JWT_SECRET_ROTATED_AT is not a UTC date/);
  });
});

describe('the chart’s CronJobs (helm template), run as rendered', () => {
  jest.setTimeout(90_000);
  interface EnvVar {
    name: string;
    value?: string;
    valueFrom?: { secretKeyRef: { name: string; key: string; optional?: boolean } };
  }
  interface Container {
    image: string;
    command: string[];
    env: EnvVar[];
    securityContext: Record<string, unknown>;
    resources: { limits: Record<string, string> };
    volumeMounts: { name: string; mountPath: string }[];
  }
  interface Obj {
    kind: string;
    metadata: { name: string; annotations?: Record<string, string> };
    spec: Record<string, unknown>;
    data?: Record<string, string>;
  }
  let objects: Obj[];
  const find = (kind: string, name: string) => objects.find((o) => o.kind === kind && o.metadata.name === name)!;
  const podOf = (cron: Obj) =>
    (cron.spec['jobTemplate'] as { spec: { template: { spec: { containers: Container[]; volumes: unknown[] } } } }).spec
      .template.spec;

  /** The container's env with secretKeyRefs taken from `secret` (a missing optional key stays unset). */
  function envOf(c: Container, secret: Record<string, string>, remap: (v: string) => string) {
    const env: Record<string, string> = { PATH: process.env['PATH']! };
    for (const e of c.env) {
      if (e.value !== undefined) env[e.name] = remap(e.value);
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && ref.key in secret) env[e.name] = secret[ref.key];
      else if (ref && !ref.optional) throw new Error(`no key ${ref.key} in the Secret`);
    }
    return env;
  }
  /** The container's command with its script from the ConfigMap, mount paths moved under `root`. */
  function runContainer(cron: Obj, root: string, secret: Record<string, string>) {
    const [c] = podOf(cron).containers;
    const scripts = find('ConfigMap', 'fleet-scripts').data!;
    const mount = c.volumeMounts.find((m) => m.name === 'scripts')!;
    for (const m of c.volumeMounts) mkdirSync(path.join(root, m.mountPath), { recursive: true });
    for (const [name, text] of Object.entries(scripts)) writeFileSync(path.join(root, mount.mountPath, name), text);
    const remap = (v: string) => (c.volumeMounts.some((m) => v.startsWith(m.mountPath)) ? path.join(root, v) : v);
    return run(c.command[0], c.command.slice(1).map(remap), { env: envOf(c, secret, remap) });
  }

  beforeAll(() => {
    if (run(helm, ['version', '--short']).status !== 0)
      throw new Error(`helm is not at ${helm}: run \`node tools/ops/ensure-helm.mjs\` (npm test does it)`);
    const res = runOk(helm, ['template', 'fleet', chart, '-f', path.join(chart, 'values-production.yaml')]);
    objects = parseAllDocuments(res.stdout)
      .map((d) => d.toJSON() as Obj | null)
      .filter((o): o is Obj => o !== null);
    const file = path.join(dir, 'production.yaml');
    writeFileSync(file, res.stdout);
    const check = run(process.execPath, [path.join(repoRoot, 'tools/ops/validate-manifests.mjs'), file]);
    expect(check.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ objects checked, 0 problems$/);
  });

  it('the production render has a daily backup CronJob on a kept volume, hardened, shipping tools/backup.sh as is', () => {
    const cron = find('CronJob', 'fleet-backup');
    expect(cron.spec).toMatchObject({ schedule: '0 2 * * *', concurrencyPolicy: 'Forbid' });
    const pod = podOf(cron);
    const [c] = pod.containers;
    expect(c.command).toEqual(['bash', '/opt/fleet/backup.sh']);
    expect(c.image).toMatch(/postgres:15/);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
    expect(c.resources.limits['memory']).toBeDefined();
    expect(c.env.find((e) => e.name === 'DATABASE_URL')?.valueFrom?.secretKeyRef).toEqual({
      name: 'fleet-production-secrets',
      key: 'DATABASE_URL',
    });
    expect(c.env.find((e) => e.name === 'BACKUP_KEEP')?.value).toBe('14');
    expect(pod.volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'fleet-backups' } });
    expect(find('PersistentVolumeClaim', 'fleet-backups').metadata.annotations).toEqual({
      'helm.sh/resource-policy': 'keep',
    });
    const scripts = find('ConfigMap', 'fleet-scripts').data!;
    expect(scripts['backup.sh']).toBe(readFileSync(backupScript, 'utf8'));
    expect(scripts['check-secret-age.sh']).toBe(readFileSync(checkScript, 'utf8'));
  });

  it('the backup container, run as rendered against a real database, writes a dump and keeps `keep` of them', () => {
    const root = path.join(dir, 'cron-backup');
    const backups = path.join(root, 'backups');
    mkdirSync(backups, { recursive: true });
    for (const d of ['2026-01-01', '2026-01-02']) writeFileSync(path.join(backups, `gps-${d}.dump`), 'old');
    const cron = find('CronJob', 'fleet-backup');
    const res = runContainer(cron, root, { DATABASE_URL: db.url });
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const dumps = readdirSync(backups).filter((f) => f.endsWith('.dump'));
    expect(dumps).toHaveLength(3);
    expect(runOk('pg_restore', ['--list', path.join(backups, dumps.sort().at(-1)!)]).stdout).toContain('TABLE');

    const keepOne = JSON.parse(JSON.stringify(cron)) as Obj;
    podOf(keepOne).containers[0].env.find((e) => e.name === 'BACKUP_KEEP')!.value = '1';
    expect(runContainer(keepOne, root, { DATABASE_URL: db.url }).status).toBe(0);
    expect(readdirSync(backups).filter((f) => f.endsWith('.dump'))).toEqual([dumps.sort().at(-1)]);
  });

  it('the secret-age container fails on an overdue or unrecorded secret and passes on fresh ones', () => {
    const cron = find('CronJob', 'fleet-secret-age');
    const [c] = podOf(cron).containers;
    expect(c.command).toEqual(['bash', '/opt/fleet/check-secret-age.sh']);
    expect(c.env.filter((e) => e.valueFrom).map((e) => [e.name, e.valueFrom!.secretKeyRef])).toEqual([
      ['DATABASE_URL_ROTATED_AT', { name: 'fleet-production-secrets', key: 'DATABASE_URL_ROTATED_AT', optional: true }],
      ['JWT_SECRET_ROTATED_AT', { name: 'fleet-production-secrets', key: 'JWT_SECRET_ROTATED_AT', optional: true }],
      ['MAP_TOKEN_ROTATED_AT', { name: 'fleet-production-secrets', key: 'MAP_TOKEN_ROTATED_AT', optional: true }],
    ]);
    const root = path.join(dir, 'cron-secret-age');
    const fresh = new Date(Date.now() - 86_400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const secret = {
      DATABASE_URL_ROTATED_AT: fresh,
      JWT_SECRET_ROTATED_AT: '2020-01-01T00:00:00Z',
      MAP_TOKEN_ROTATED_AT: fresh,
    };
    const overdue = runContainer(cron, root, secret);
    expect(overdue.status).toBe(1);
    expect(overdue.stdout).toMatch(/JWT_SECRET: OVERDUE/);
    const { MAP_TOKEN_ROTATED_AT: _dropped, ...withoutMapToken } = { ...secret, JWT_SECRET_ROTATED_AT: fresh };
    const missing = runContainer(cron, root, withoutMapToken);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toMatch(/MAP_TOKEN: no MAP_TOKEN_ROTATED_AT recorded/);
    expect(runContainer(cron, root, { ...secret, JWT_SECRET_ROTATED_AT: fresh }).status).toBe(0);
  });
});
