import Ajv from 'ajv';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot, run, tempDir } from './testing';

// The chart rendered by the real helm (tools/ops/ensure-helm.mjs puts the official binary in
// node_modules/.cache; `npm test` runs it), its values checked against values.schema.json with ajv,
// and every rendered object validated against the Kubernetes API models (tools/ops/validate-manifests.mjs,
// strict: unknown fields fail). GitHub Actions also runs `helm lint` and `helm template | kubeconform -strict`.

const chart = path.join(repoRoot, 'deployments/helm/fleet');
const helmVersion = /HELM_VERSION = '(v[^']+)'/.exec(
  readFileSync(path.join(repoRoot, 'tools/ops/ensure-helm.mjs'), 'utf8'),
)![1];
const helm =
  process.env['HELM_BIN'] ?? path.join(repoRoot, 'node_modules/.cache/fleet-ops', `helm-${helmVersion}`, 'helm');
const DIGEST = {
  api: `sha256:${'a'.repeat(64)}`,
  worker: `sha256:${'b'.repeat(64)}`,
  web: `sha256:${'c'.repeat(64)}`,
  trackers: `sha256:${'d'.repeat(64)}`,
};
const ENVIRONMENTS = ['values.yaml', 'values-staging.yaml', 'values-production.yaml'];

type Values = Record<string, unknown>;
type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; annotations?: Record<string, string> };
  spec: Record<string, unknown>;
};
interface Container {
  name: string;
  image: string;
  ports?: { name: string; containerPort: number; protocol: string }[];
  args?: string[];
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string } } }[];
  readinessProbe?: { httpGet: { path: string; port?: string } };
  livenessProbe?: { httpGet: { path: string; port?: string } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: Record<string, unknown>;
}
interface PodSpec {
  containers: Container[];
  securityContext: Record<string, unknown>;
}

const readValues = (file: string) => parse(readFileSync(path.join(chart, file), 'utf8')) as Values;
const isMap = (v: unknown): v is Values => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Helm's coalescing of an override file onto the defaults: maps merge, null deletes, the rest replaces. */
function coalesce(base: Values, override: Values): Values {
  const out: Values = { ...base };
  for (const [key, value] of Object.entries(override)) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = coalesce(out[key] as Values, value);
    else out[key] = value;
  }
  return out;
}
const effectiveValues = (file: string) =>
  file === 'values.yaml' ? readValues(file) : coalesce(readValues('values.yaml'), readValues(file));

const schema = JSON.parse(readFileSync(path.join(chart, 'values.schema.json'), 'utf8')) as object;
const validate = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true }).compile(schema);
const schemaErrors = (values: Values) =>
  validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`);

const digestArgs = ['api', 'worker', 'web', 'trackers'].flatMap((c) => [
  '--set',
  `${c}.image.digest=${DIGEST[c as keyof typeof DIGEST]}`,
]);
function template(valuesFile: string, extra: string[] = []) {
  return run(helm, ['template', 'fleet', chart, '--namespace', 'fleet', '-f', path.join(chart, valuesFile), ...extra]);
}
function render(valuesFile: string, extra: string[] = []): K8sObject[] {
  const res = template(valuesFile, [...digestArgs, ...extra]);
  if (res.status !== 0) throw new Error(`helm template -f ${valuesFile} failed:\n${res.stderr}`);
  return parseAllDocuments(res.stdout)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => o !== null);
}
const find = (objects: K8sObject[], kind: string, name: string) =>
  objects.find((o) => o.kind === kind && o.metadata.name === name);
const podSpec = (o: K8sObject) => (o.spec['template'] as { spec: PodSpec }).spec;

let dir: string;
beforeAll(() => {
  const probe = run(helm, ['version', '--short']);
  if (probe.status !== 0)
    throw new Error(`helm is not at ${helm}: run \`node tools/ops/ensure-helm.mjs\` (npm test does it)`);
  dir = tempDir('helm');
});
afterAll(() => dir && rmSync(dir, { recursive: true, force: true }));

describe('values against values.schema.json (ajv)', () => {
  it.each(ENVIRONMENTS)('%s, merged onto the defaults as helm does, is valid', (file) => {
    expect(schemaErrors(effectiveValues(file))).toEqual([]);
  });

  it('refuses a single API or web replica, a secret as plain env, an unknown key and a mutable-looking digest', () => {
    const values = readValues('values.yaml');
    const api = values['api'] as Values;
    expect(schemaErrors(coalesce(values, { api: { replicaCount: 1 } }))).toEqual(['/api/replicaCount must be >= 2']);
    expect(schemaErrors(coalesce(values, { web: { replicaCount: 1 } }))).toEqual(['/web/replicaCount must be >= 2']);
    expect(schemaErrors(coalesce(values, { api: { env: { JWT_SECRET: 'x'.repeat(40) } } })).join('\n')).toMatch(
      /\/api\/env/,
    );
    expect(schemaErrors(coalesce(values, { api: { replicas: 3 } })).join('\n')).toMatch(
      /must NOT have additional properties/,
    );
    expect(
      schemaErrors(coalesce(values, { api: { image: { ...(api['image'] as Values), digest: 'latest' } } })),
    ).toEqual(['/api/image/digest must match pattern "^(sha256:[a-f0-9]{64})?$"']);
    expect(schemaErrors(coalesce(values, { appEnv: 'development' }))).toEqual([
      '/appEnv must be equal to one of the allowed values',
    ]);
  });
});

describe('the chart, rendered by helm', () => {
  jest.setTimeout(60_000);

  it.each(ENVIRONMENTS)('passes helm lint --strict with %s', (file) => {
    const res = run(helm, ['lint', chart, '--strict', '-f', path.join(chart, file)]);
    expect({ status: res.status, out: res.stdout.split('\n').filter((l) => /\[(ERROR|WARNING)\]/.test(l)) }).toEqual({
      status: 0,
      out: [],
    });
  });

  it('refuses to render values the schema rejects', () => {
    const res = template('values-production.yaml', ['--set', 'api.replicaCount=1']);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/replicaCount/);
  });

  it.each(ENVIRONMENTS)('renders only objects valid against the Kubernetes API models (strict) with %s', (file) => {
    const res = template(file, digestArgs);
    expect(res.status).toBe(0);
    const out = path.join(dir, `${file}.rendered.yaml`);
    writeFileSync(out, res.stdout);
    const check = run(process.execPath, [path.join(repoRoot, 'tools/ops/validate-manifests.mjs'), out]);
    expect(check.stdout.trim().split('\n').at(-1)).toMatch(/^\d+ objects checked, 0 problems$/);
    expect(check.status).toBe(0);
  });

  it('the manifest validator is strict: an unknown field or a wrong type fails', () => {
    const res = template('values-production.yaml', digestArgs);
    const out = path.join(dir, 'broken.yaml');
    writeFileSync(
      out,
      res.stdout.replace(
        'terminationGracePeriodSeconds: 40',
        'terminationGracePeriodSeconds: 40\n      restartPolicyy: Always',
      ),
    );
    const check = run(process.execPath, [path.join(repoRoot, 'tools/ops/validate-manifests.mjs'), out]);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain('\'"restartPolicyy"\' does not exist');
    writeFileSync(out, res.stdout.replace('periodSeconds: 5', "periodSeconds: '5'"));
    expect(run(process.execPath, [path.join(repoRoot, 'tools/ops/validate-manifests.mjs'), out]).stdout).toMatch(
      /periodSeconds must be integer/,
    );
  });

  it.each(['values-staging.yaml', 'values-production.yaml'])(
    '%s: hardened pods with probes, resources and secrets only from the existing Secret',
    (file) => {
      const values = effectiveValues(file);
      const objects = render(file);
      const secretName = (values['secrets'] as { existingSecret: string }).existingSecret;
      const workloads = objects.filter((o) => o.kind === 'Deployment' || o.kind === 'Job');
      expect(workloads.map((o) => o.metadata.name).sort()).toEqual([
        'fleet-api',
        'fleet-migrate',
        'fleet-trackers',
        'fleet-web',
        'fleet-worker',
      ]);
      for (const w of workloads) {
        const spec = podSpec(w);
        expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
        for (const c of spec.containers) {
          expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
          expect(c.resources?.requests?.['memory']).toBeDefined();
          expect(c.resources?.limits?.['memory']).toBeDefined();
          // Images by digest: what CD promotes is exactly what was tested.
          expect(c.image).toMatch(/@sha256:[a-f0-9]{64}$/);
          for (const e of c.env ?? []) {
            if (/DATABASE_URL|REDIS_URL|JWT_SECRET/.test(e.name)) {
              expect(e.value).toBeUndefined();
              expect(e.valueFrom?.secretKeyRef?.name).toBe(secretName);
            }
          }
          // The chart never seeds: no demo data outside laptops and staging's compose.
          expect([...(c.command ?? []), ...(c.args ?? [])].join(' ')).not.toMatch(/seed/);
        }
      }
      for (const name of ['fleet-api', 'fleet-worker', 'fleet-trackers']) {
        const [c] = podSpec(find(objects, 'Deployment', name)!).containers;
        expect(c.readinessProbe?.httpGet.path).toBe('/ready');
        expect(c.livenessProbe?.httpGet.path).toBe('/health');
        expect(c.env?.find((e) => e.name === 'APP_ENV')?.value).toBe(values['appEnv']);
      }
      for (const name of ['fleet-api', 'fleet-worker', 'fleet-web', 'fleet-trackers'])
        expect(find(objects, 'PodDisruptionBudget', name)).toBeDefined();
    },
  );

  it('runs migrations in a pre-install/pre-upgrade hook Job with the api image, before any pod', () => {
    const objects = render('values-production.yaml');
    const job = find(objects, 'Job', 'fleet-migrate')!;
    expect(job.metadata.annotations?.['helm.sh/hook']).toBe('pre-install,pre-upgrade');
    const [c] = podSpec(job).containers;
    expect(c.args).toEqual(['node', 'cli/migrate.js']);
    expect(c.image).toBe(`ghcr.io/example/fleet/api@${DIGEST.api}`);
    expect(c.env?.find((e) => e.name === 'APP_ENV')?.value).toBe('production');
  });

  it('scales the API on CPU and memory (HPA, at least 2 pods) in staging, plus p95 latency through KEDA in production', () => {
    const staging = render('values-staging.yaml');
    const hpa = find(staging, 'HorizontalPodAutoscaler', 'fleet-api')!;
    expect(hpa.spec['minReplicas']).toBeGreaterThanOrEqual(2);
    expect((hpa.spec['metrics'] as { resource: { name: string } }[]).map((m) => m.resource.name)).toEqual([
      'cpu',
      'memory',
    ]);
    expect(find(staging, 'ScaledObject', 'fleet-api')).toBeUndefined();

    const production = render('values-production.yaml');
    // KEDA owns the API's HPA there: two HPAs on one Deployment would fight.
    expect(find(production, 'HorizontalPodAutoscaler', 'fleet-api')).toBeUndefined();
    const scaled = find(production, 'ScaledObject', 'fleet-api')!;
    expect(scaled.spec['minReplicaCount']).toBeGreaterThanOrEqual(2);
    const triggers = scaled.spec['triggers'] as { type: string; metadata: Record<string, string> }[];
    expect(triggers.map((t) => t.type)).toEqual(['cpu', 'memory', 'prometheus']);
    expect(triggers[2].metadata['query']).toMatch(/histogram_quantile\(0\.95, .*http_request_duration_seconds_bucket/);
    const pdb = find(production, 'PodDisruptionBudget', 'fleet-api')!;
    expect(pdb.spec['minAvailable']).toBe(2);
  });

  it('routes only /api and / through the ingress (no /metrics), and exposes the OsmAnd port on its own Service', () => {
    const objects = render('values-production.yaml');
    const ingress = find(objects, 'Ingress', 'fleet')!;
    const paths = (ingress.spec['rules'] as { http: { paths: { path: string }[] } }[])[0].http.paths.map((p) => p.path);
    expect(paths).toEqual(['/api/v1/live', '/api', '/']);
    // The organization's live stream goes to the API's live workers (LIVE_PORT), on the API Service.
    const live = (ingress.spec['rules'] as { http: { paths: Record<string, unknown>[] } }[])[0].http.paths[0];
    expect(live).toMatchObject({
      pathType: 'Exact',
      backend: { service: { name: 'fleet-api', port: { name: 'live' } } },
    });
    const api = find(objects, 'Service', 'fleet-api')!;
    expect(api.spec['ports']).toContainEqual({ name: 'live', port: 3001, targetPort: 'live', protocol: 'TCP' });
    const [c] = podSpec(find(objects, 'Deployment', 'fleet-api')!).containers;
    expect(c.ports).toContainEqual({ name: 'live', containerPort: 3001, protocol: 'TCP' });
    expect(c.env?.find((e) => e.name === 'LIVE_PORT')?.value).toBe('3001');
    const osmand = find(objects, 'Service', 'fleet-api-osmand')!;
    expect(osmand.spec['ports']).toEqual([{ name: 'osmand', port: 5055, targetPort: 'osmand', protocol: 'TCP' }]);
  });
});

describe('the tracker gateway in the chart', () => {
  jest.setTimeout(60_000);
  const env = (c: Container) => Object.fromEntries((c.env ?? []).map((e) => [e.name, e.value]));

  it('runs the trackers image with its ports, workers and probes on the metrics port, hardened like the others', () => {
    const objects = render('values-production.yaml');
    const values = effectiveValues('values-production.yaml')['trackers'] as { workers: number; replicaCount: number };
    const deployment = find(objects, 'Deployment', 'fleet-trackers')!;
    expect(deployment.spec['replicas']).toBe(values.replicaCount);
    const [c] = podSpec(deployment).containers;
    expect(c.image).toBe(`ghcr.io/example/fleet/trackers@${DIGEST.trackers}`);
    expect(c.ports).toEqual([
      { name: 'metrics', containerPort: 9465, protocol: 'TCP' },
      { name: 'teltonika', containerPort: 5027, protocol: 'TCP' },
      { name: 'gt06', containerPort: 5023, protocol: 'TCP' },
      { name: 'h02', containerPort: 5013, protocol: 'TCP' },
    ]);
    expect(env(c)).toMatchObject({
      PORT: '9465',
      TELTONIKA_PORT: '5027',
      GT06_PORT: '5023',
      H02_PORT: '5013',
      TRACKER_WORKERS: String(values.workers),
      SHUTDOWN_GRACE_MS: '30000',
    });
    expect(c.readinessProbe?.httpGet).toEqual({ path: '/ready', port: 'metrics' });
    expect(c.livenessProbe?.httpGet).toEqual({ path: '/health', port: 'metrics' });
    // The same database and Redis as the api, from the same Secret; no JWT secret (it signs nothing).
    const secretRefs = (c.env ?? []).flatMap((e) => (e.valueFrom?.secretKeyRef ? [e.name] : []));
    expect(secretRefs.sort()).toEqual(['DATABASE_URL', 'REDIS_URL']);
    expect(
      (deployment.spec['template'] as { metadata: { annotations: Record<string, string> } }).metadata.annotations,
    ).toMatchObject({ 'prometheus.io/scrape': 'true', 'prometheus.io/port': '9465' });
  });

  it('exposes the three TCP ports on a LoadBalancer Service and the metrics port on a ClusterIP one', () => {
    const objects = render('values-production.yaml');
    const devices = find(objects, 'Service', 'fleet-trackers-devices')!;
    expect(devices.spec['type']).toBe('LoadBalancer');
    expect(devices.spec['externalTrafficPolicy']).toBe('Cluster');
    expect(devices.spec['ports']).toEqual([
      { name: 'teltonika', port: 5027, targetPort: 'teltonika', protocol: 'TCP' },
      { name: 'gt06', port: 5023, targetPort: 'gt06', protocol: 'TCP' },
      { name: 'h02', port: 5013, targetPort: 'h02', protocol: 'TCP' },
    ]);
    const metrics = find(objects, 'Service', 'fleet-trackers')!;
    expect(metrics.spec['type']).toBe('ClusterIP');
    expect(metrics.spec['ports']).toEqual([{ name: 'metrics', port: 9465, targetPort: 'metrics', protocol: 'TCP' }]);
    // Both select the gateway's pods only.
    for (const s of [devices, metrics])
      expect(s.spec['selector']).toMatchObject({ 'app.kubernetes.io/component': 'trackers' });
  });

  it('takes the Service type, annotations, traffic policy, source ranges and ports from values', () => {
    const objects = render('values.yaml', [
      '--set',
      'trackers.service.type=NodePort',
      '--set',
      'trackers.service.externalTrafficPolicy=Local',
      '--set',
      'trackers.service.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-type=nlb',
      '--set',
      'trackers.protocols.h02.port=5113',
    ]);
    const devices = find(objects, 'Service', 'fleet-trackers-devices')!;
    expect(devices.spec['type']).toBe('NodePort');
    expect(devices.spec['externalTrafficPolicy']).toBe('Local');
    expect(devices.metadata.annotations).toEqual({ 'service.beta.kubernetes.io/aws-load-balancer-type': 'nlb' });
    expect(devices.spec['ports']).toContainEqual({ name: 'h02', port: 5113, targetPort: 'h02', protocol: 'TCP' });
    const [c] = podSpec(find(objects, 'Deployment', 'fleet-trackers')!).containers;
    expect(env(c)['H02_PORT']).toBe('5113');

    const ranged = render('values.yaml', [
      '--set',
      'trackers.service.loadBalancerSourceRanges={10.0.0.0/8,192.0.2.0/24}',
    ]);
    expect(find(ranged, 'Service', 'fleet-trackers-devices')!.spec['loadBalancerSourceRanges']).toEqual([
      '10.0.0.0/8',
      '192.0.2.0/24',
    ]);
    const internal = render('values.yaml', ['--set', 'trackers.service.type=ClusterIP']);
    expect(find(internal, 'Service', 'fleet-trackers-devices')!.spec['externalTrafficPolicy']).toBeUndefined();
  });

  it('a protocol turned off is neither listened on (its variable is `off`) nor exposed', () => {
    const objects = render('values.yaml', ['--set', 'trackers.protocols.gt06.enabled=false']);
    const [c] = podSpec(find(objects, 'Deployment', 'fleet-trackers')!).containers;
    expect(env(c)).toMatchObject({ TELTONIKA_PORT: '5027', GT06_PORT: 'off', H02_PORT: '5013' });
    expect(c.ports?.map((p) => p.name)).toEqual(['metrics', 'teltonika', 'h02']);
    const ports = find(objects, 'Service', 'fleet-trackers-devices')!.spec['ports'] as { name: string }[];
    expect(ports.map((p) => p.name)).toEqual(['teltonika', 'h02']);
  });

  it('renders nothing of the gateway when disabled', () => {
    const objects = render('values-production.yaml', ['--set', 'trackers.enabled=false']);
    expect(objects.filter((o) => o.metadata.name.startsWith('fleet-trackers'))).toEqual([]);
    expect(find(objects, 'Deployment', 'fleet-api')).toBeDefined();
  });

  it("the schema refuses every protocol off, zero workers, and the chart's own variables in env", () => {
    const values = readValues('values.yaml');
    const off = { enabled: false, port: 1 };
    expect(
      schemaErrors(coalesce(values, { trackers: { protocols: { teltonika: off, gt06: off, h02: off } } })).join('\n'),
    ).toMatch(/\/trackers\/protocols must match a schema in anyOf/);
    expect(schemaErrors(coalesce(values, { trackers: { workers: 0 } }))).toEqual(['/trackers/workers must be >= 1']);
    expect(schemaErrors(coalesce(values, { trackers: { env: { GT06_PORT: '1' } } })).join('\n')).toMatch(
      /\/trackers\/env/,
    );
    expect(schemaErrors(coalesce(values, { trackers: { env: { TRACKER_IDLE_TIMEOUT_S: '300' } } }))).toEqual([]);
    const res = template('values.yaml', ['--set', 'trackers.service.externalTrafficPolicy=Nearest']);
    expect(res.status).not.toBe(0);
    expect(res.stderr).toMatch(/externalTrafficPolicy/);
  });
});
