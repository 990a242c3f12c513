// The chart's objects for the Prometheus operator (templates/servicemonitor.yaml,
// templates/prometheusrule.yaml), rendered by the real helm: the PrometheusRule holds exactly the
// groups of deployments/prometheus/rules (read at template time), promtool checks them and runs every
// unit test of deployments/prometheus/tests against the rendered copy, and the ServiceMonitors select
// the component Services on ports they have, with the job names the rules use.
import { lstatSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, parseAllDocuments, stringify } from 'yaml';
import { repoRoot, run, tempDir } from './testing';

const chart = path.join(repoRoot, 'deployments/helm/fleet');
const helmVersion = /HELM_VERSION = '(v[^']+)'/.exec(
  readFileSync(path.join(repoRoot, 'tools/ops/ensure-helm.mjs'), 'utf8'),
)![1];
const helm =
  process.env['HELM_BIN'] ?? path.join(repoRoot, 'node_modules/.cache/fleet-ops', `helm-${helmVersion}`, 'helm');
const digests = ['api', 'worker', 'web', 'trackers'].flatMap((c, i) => [
  '--set',
  `${c}.image.digest=sha256:${'abcd'[i].repeat(64)}`,
]);
const rulesDir = path.join(repoRoot, 'deployments/prometheus/rules');
const testsDir = path.join(repoRoot, 'deployments/prometheus/tests');

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec: Record<string, unknown>;
}
interface RuleGroup {
  name: string;
  rules: Record<string, unknown>[];
}
interface ServiceMonitorSpec {
  jobLabel: string;
  selector: { matchLabels: Record<string, string> };
  endpoints: { port: string; path: string; interval: string }[];
}

function template(valuesFile: string, extra: string[] = []) {
  return run(helm, [
    'template',
    'fleet',
    chart,
    '--namespace',
    'fleet',
    '-f',
    path.join(chart, valuesFile),
    ...digests,
    ...extra,
  ]);
}
function render(valuesFile: string, extra: string[] = []): K8sObject[] {
  const res = template(valuesFile, extra);
  if (res.status !== 0) throw new Error(`helm template -f ${valuesFile} failed:\n${res.stderr}`);
  return parseAllDocuments(res.stdout)
    .map((d) => d.toJSON() as K8sObject | null)
    .filter((o): o is K8sObject => !!o);
}
const ofKind = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
const sourceGroups = (): RuleGroup[] =>
  readdirSync(rulesDir)
    .filter((f) => f.endsWith('.yml'))
    .sort()
    .flatMap((f) => (parse(readFileSync(path.join(rulesDir, f), 'utf8')) as { groups: RuleGroup[] }).groups);

describe('Helm chart: ServiceMonitor and PrometheusRule (Prometheus operator)', () => {
  jest.setTimeout(120_000);
  let production: K8sObject[];
  beforeAll(() => {
    production = render('values-production.yaml');
  });

  it('the production render has one PrometheusRule and a ServiceMonitor per component, labelled for the operator', () => {
    const [rule, ...more] = ofKind(production, 'PrometheusRule');
    expect(more).toEqual([]);
    expect(rule.apiVersion).toBe('monitoring.coreos.com/v1');
    expect(rule.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
    const monitors = ofKind(production, 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.labels?.['app.kubernetes.io/component']).sort()).toEqual([
      'api',
      'trackers',
      'worker',
    ]);
    for (const m of monitors) expect(m.metadata.labels).toMatchObject({ release: 'kube-prometheus-stack' });
  });

  it('the PrometheusRule holds exactly the groups of deployments/prometheus/rules, read at template time', () => {
    const rule = ofKind(production, 'PrometheusRule')[0];
    const rendered = (rule.spec as { groups: RuleGroup[] }).groups;
    // Order: helm reads the files sorted by name, as sourceGroups does.
    expect(rendered).toEqual(sourceGroups());
    // Not a copy in the chart: the chart's rule directory is a link to deployments/prometheus/rules.
    expect(lstatSync(path.join(chart, 'files/prometheus-rules')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path.join(chart, 'files/prometheus-rules'))).toBe('../../../prometheus/rules');
  });

  it('promtool checks the rendered rules and every unit test of deployments/prometheus/tests passes against them', () => {
    const rule = ofKind(production, 'PrometheusRule')[0];
    const dir = tempDir('prometheusrule');
    try {
      const groups = (rule.spec as { groups: RuleGroup[] }).groups;
      const rendered = path.join(dir, 'rendered-rules.yml');
      writeFileSync(rendered, stringify({ groups }));
      const check = run('promtool', ['check', 'rules', rendered]);
      expect(check.stdout + check.stderr).toMatch(/SUCCESS: \d+ rules found/);
      expect(check.status).toBe(0);
      // Each unit test against the rendered groups of the rule files it names (all of them at once
      // would make every test evaluate every rule: minutes instead of seconds).
      const tests = readdirSync(testsDir).filter((f) => f.endsWith('.yml'));
      expect(tests.length).toBeGreaterThan(0);
      const copies = tests.map((f) => {
        const doc = parse(readFileSync(path.join(testsDir, f), 'utf8')) as { rule_files: string[] };
        const names = new Set(
          doc.rule_files.flatMap((rf) =>
            (parse(readFileSync(path.resolve(testsDir, rf), 'utf8')) as { groups: RuleGroup[] }).groups.map(
              (g) => g.name,
            ),
          ),
        );
        const subset = path.join(dir, `rendered-${f}`);
        writeFileSync(subset, stringify({ groups: groups.filter((g) => names.has(g.name)) }));
        expect(groups.filter((g) => names.has(g.name))).toHaveLength(names.size);
        doc.rule_files = [subset];
        const copy = path.join(dir, f);
        writeFileSync(copy, stringify(doc));
        return copy;
      });
      const res = run('promtool', ['test', 'rules', ...copies]);
      expect(res.stdout + res.stderr).not.toMatch(/FAILED/);
      expect(res.status).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('each ServiceMonitor selects its component Service on a port that Service has, with the job name the rules use', () => {
    const services = ofKind(production, 'Service') as (K8sObject & {
      spec: { ports: { name: string }[]; selector: Record<string, string> };
    })[];
    const jobs = new Set(
      readdirSync(rulesDir).flatMap((f) =>
        [...readFileSync(path.join(rulesDir, f), 'utf8').matchAll(/job="([\w-]+)"/g)].map((m) => m[1]),
      ),
    );
    for (const monitor of ofKind(production, 'ServiceMonitor')) {
      const spec = monitor.spec as unknown as ServiceMonitorSpec;
      const selected = services.filter((s) =>
        Object.entries(spec.selector.matchLabels).every(([k, v]) => s.metadata.labels?.[k] === v),
      );
      const name = monitor.metadata.name;
      expect({ name, selected: selected.length }).toEqual({ name, selected: expect.any(Number) });
      expect(selected.length).toBeGreaterThan(0);
      for (const endpoint of spec.endpoints) {
        expect(endpoint.path).toBe('/metrics');
        // The port exists on at least one selected Service (the others are skipped by the operator).
        expect({ name, port: selected.some((s) => s.spec.ports.some((p) => p.name === endpoint.port)) }).toEqual({
          name,
          port: true,
        });
      }
      // The job label is the component: job="api" etc. in the rules match these series.
      expect(spec.jobLabel).toBe('app.kubernetes.io/component');
      const job = selected[0].metadata.labels![spec.jobLabel];
      expect(jobs.has(job) || job === 'trackers').toBe(true);
    }
    for (const job of ['api', 'worker', 'trackers'])
      expect(
        ofKind(production, 'ServiceMonitor').map((m) => m.metadata.labels?.['app.kubernetes.io/component']),
      ).toContain(job);
  });

  it('renders neither by default, each behind its own flag, and no trackers monitor without the gateway', () => {
    const defaults = render('values.yaml');
    expect(ofKind(defaults, 'ServiceMonitor')).toEqual([]);
    expect(ofKind(defaults, 'PrometheusRule')).toEqual([]);
    const rulesOnly = render('values.yaml', ['--set', 'metrics.prometheusRule.enabled=true']);
    expect(ofKind(rulesOnly, 'PrometheusRule')).toHaveLength(1);
    expect(ofKind(rulesOnly, 'ServiceMonitor')).toEqual([]);
    const noGateway = render('values-production.yaml', ['--set', 'trackers.enabled=false']);
    expect(
      ofKind(noGateway, 'ServiceMonitor')
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['fleet-api', 'fleet-worker']);
  });

  it('the schema refuses unknown keys and a malformed interval under metrics', () => {
    const unknown = template('values-production.yaml', ['--set', 'metrics.serviceMonitor.port=9090']);
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/serviceMonitor/);
    const interval = template('values-production.yaml', ['--set', 'metrics.serviceMonitor.interval=fast']);
    expect(interval.status).not.toBe(0);
  });

  it('the manifest validator checks both kinds strictly: the render passes, an unknown field or a bad duration fails', () => {
    const dir = tempDir('operator-kinds');
    try {
      const validate = (objects: K8sObject[]) => {
        const file = path.join(dir, 'manifests.yaml');
        writeFileSync(file, objects.map((o) => stringify(o)).join('---\n'));
        return run(process.execPath, [path.join(repoRoot, 'tools/ops/validate-manifests.mjs'), file]);
      };
      const ours = [...ofKind(production, 'ServiceMonitor'), ...ofKind(production, 'PrometheusRule')];
      const ok = validate(ours);
      expect(ok.stdout.trim().split('\n').at(-1)).toBe(`${ours.length} objects checked, 0 problems`);
      expect(ok.status).toBe(0);
      const monitor = structuredClone(ofKind(production, 'ServiceMonitor')[0]);
      (monitor.spec as unknown as ServiceMonitorSpec).endpoints[0] = {
        ...(monitor.spec as unknown as ServiceMonitorSpec).endpoints[0],
        scrapeEvery: '15s',
      } as never;
      const rule = structuredClone(ofKind(production, 'PrometheusRule')[0]);
      (rule.spec as { groups: RuleGroup[] }).groups[0].rules[0]['for'] = 'two minutes';
      const bad = validate([monitor, rule]);
      expect(bad.status).toBe(1);
      expect(bad.stdout).toMatch(/ServiceMonitor\/fleet-\w+: .*additional properties/);
      expect(bad.stdout).toMatch(/PrometheusRule\/fleet: \/spec\/groups\/0\/rules\/0\/for must match pattern/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
