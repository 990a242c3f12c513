import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { freePort, repoRoot, run, runOk, selfSignedCert, startBinary, tempDir, type Service } from './testing';

// Everything here runs Debian's real binaries: promtool (package `prometheus`) and the blackbox
// exporter (`prometheus-blackbox-exporter`); tools/dev/setup.mjs installs them.
const dir = path.join(repoRoot, 'deployments/prometheus');
const ruleFiles = readdirSync(path.join(dir, 'rules'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => path.join(dir, 'rules', f));
const testFiles = readdirSync(path.join(dir, 'tests'))
  .filter((f) => f.endsWith('.yml'))
  .map((f) => path.join(dir, 'tests', f));

interface RuleGroup {
  name: string;
  rules: { alert?: string; record?: string; expr: string; labels?: Record<string, string> }[];
}
interface RuleTest {
  name?: string;
  alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[];
}

const alertsIn = (file: string) =>
  (parse(readFileSync(file, 'utf8')) as { groups: RuleGroup[] }).groups.flatMap((g) =>
    g.rules.filter((r) => r.alert).map((r) => r.alert!),
  );

describe('prometheus configuration and rules (promtool)', () => {
  jest.setTimeout(60_000);

  it('promtool check config accepts prometheus.yml and loads every rule file', () => {
    const res = runOk('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')]);
    const out = res.stdout + res.stderr;
    expect(out).toMatch(/SUCCESS: .*prometheus\.yml is valid/);
    // The relative rule_files glob really picked up every file (a wrong glob matches nothing, silently).
    for (const file of ruleFiles) expect(out).toContain(`rules/${path.basename(file)}`);
  });

  it('promtool check rules accepts every rule file', () => {
    const res = runOk('promtool', ['check', 'rules', ...ruleFiles]);
    expect(res.stdout).not.toMatch(/FAILED/);
    expect((res.stdout.match(/SUCCESS: \d+ rules found/g) ?? []).length).toBe(ruleFiles.length);
  });

  it('promtool test rules passes every alert unit test', () => {
    const res = run('promtool', ['test', 'rules', ...testFiles]);
    expect(res.stdout + res.stderr).not.toMatch(/FAILED/);
    expect(res.status).toBe(0);
  });

  it('every alert has a unit test where it fires and one where it stays quiet', () => {
    const alerts = ruleFiles.flatMap(alertsIn);
    expect(alerts.length).toBeGreaterThanOrEqual(20);
    const fires = new Set<string>();
    const quiet = new Set<string>();
    for (const file of testFiles) {
      const doc = parse(readFileSync(file, 'utf8')) as { rule_files: string[]; tests: RuleTest[] };
      for (const rf of doc.rule_files) expect(ruleFiles).toContain(path.resolve(path.dirname(file), rf));
      for (const t of doc.tests)
        for (const a of t.alert_rule_test ?? []) (a.exp_alerts?.length ? fires : quiet).add(a.alertname);
    }
    expect(alerts.filter((a) => !fires.has(a))).toEqual([]);
    expect(alerts.filter((a) => !quiet.has(a))).toEqual([]);
  });

  it('every alert has a severity, a summary and a runbook entry that exists', () => {
    const runbook = readFileSync(path.join(repoRoot, 'docs/runbooks/alerts.md'), 'utf8');
    const anchors = new Set(
      [...runbook.matchAll(/^#+ (.+)$/gm)].map((m) =>
        m[1]
          .trim()
          .toLowerCase()
          .replace(/[^a-z0-9]+/g, ''),
      ),
    );
    for (const file of ruleFiles) {
      for (const group of (parse(readFileSync(file, 'utf8')) as { groups: RuleGroup[] }).groups) {
        for (const rule of group.rules.filter((r) => r.alert)) {
          const r = rule as unknown as {
            alert: string;
            labels: Record<string, string>;
            annotations: Record<string, string>;
          };
          expect([r.alert, r.labels?.['severity']]).toEqual([r.alert, expect.stringMatching(/^(critical|warning)$/)]);
          expect(r.annotations?.['summary']).toBeTruthy();
          const anchor = r.annotations['runbook_url']?.split('#')[1];
          expect([r.alert, anchor]).toEqual([r.alert, r.alert.toLowerCase()]);
          expect([r.alert, anchors.has(anchor)]).toEqual([r.alert, true]);
        }
      }
    }
  });

  it('a rule that drifts from its tests is caught (the check can fail)', () => {
    const tmp = tempDir('promtool');
    try {
      mkdirSync(path.join(tmp, 'rules'));
      mkdirSync(path.join(tmp, 'tests'));
      for (const f of ruleFiles) copyFileSync(f, path.join(tmp, 'rules', path.basename(f)));
      for (const f of testFiles) copyFileSync(f, path.join(tmp, 'tests', path.basename(f)));
      const file = path.join(tmp, 'rules/ingestion.yml');
      const rules = readFileSync(file, 'utf8');
      expect(rules).toContain('max(ingest_consumer_lag) > 10000');
      writeFileSync(file, rules.replace('max(ingest_consumer_lag) > 10000', 'max(ingest_consumer_lag) > 30000'));
      const res = run('promtool', ['test', 'rules', path.join(tmp, 'tests/ingestion.test.yml')]);
      expect(res.status).not.toBe(0);
      expect(res.stdout + res.stderr).toMatch(/FAILED[\s\S]*IngestConsumerLagHigh/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('blackbox exporter TLS probe (real exporter, real TLS server)', () => {
  jest.setTimeout(60_000);
  let tmp: string;
  let server: https.Server;
  let blackbox: Service;

  beforeAll(async () => {
    tmp = tempDir('blackbox');
    const { cert, key } = selfSignedCert(tmp, 3);
    server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (_req, res) => res.end('ok'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = await freePort();
    blackbox = await startBinary(
      'prometheus-blackbox-exporter',
      [`--config.file=${path.join(dir, 'blackbox.yml')}`, `--web.listen-address=127.0.0.1:${port}`],
      { port },
    );
  });
  afterAll(async () => {
    await blackbox?.stop();
    await new Promise((resolve) => server?.close(resolve));
    rmSync(tmp, { recursive: true, force: true });
  });

  const probe = async (module: string) => {
    const target = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const text = await (
      await fetch(`http://127.0.0.1:${blackbox.port}/probe?module=${module}&target=${encodeURIComponent(target)}`)
    ).text();
    const value = (name: string) => {
      const m = new RegExp(`^${name} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : undefined;
    };
    return { success: value('probe_success'), expiry: value('probe_ssl_earliest_cert_expiry') };
  };

  it('reports the expiry of a certificate that expires in 3 days, so the 7-day alert would fire', async () => {
    const { success, expiry } = await probe('tls_expiry');
    expect(success).toBe(1);
    const days = (expiry! - Date.now() / 1000) / 86_400;
    expect(days).toBeGreaterThan(2.9);
    expect(days).toBeLessThan(3.1);
    expect(expiry! - Date.now() / 1000 < 7 * 86_400).toBe(true); // the alert's own condition
  });

  it('the verified module refuses the same self-signed certificate', async () => {
    expect((await probe('https_2xx')).success).toBe(0);
  });
});
