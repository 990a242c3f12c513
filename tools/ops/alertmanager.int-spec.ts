// Alert routing (deployments/alertmanager/alertmanager.yml) with Debian's real binaries (package
// `prometheus-alertmanager`): amtool checks the file and answers which receiver each alert of
// deployments/prometheus/rules reaches; then an Alertmanager runs the same file (only the secret
// directory and the pager's address pointed at this test) and the notifications that arrive at a
// local pager and chat endpoint are checked, inhibitions included.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { parse } from 'yaml';
import { requireProgram } from './http-client';
import { freePort, repoRoot, run, startBinary, tempDir, waitFor, type Service } from './testing';

const config = path.join(repoRoot, 'deployments/alertmanager/alertmanager.yml');
const rulesDir = path.join(repoRoot, 'deployments/prometheus/rules');
const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';

interface Rule {
  alert?: string;
  labels?: Record<string, string>;
}
const alerts = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.yml'))
  .flatMap((f) =>
    (parse(readFileSync(path.join(rulesDir, f), 'utf8')) as { groups: { rules: Rule[] }[] }).groups.flatMap((g) =>
      g.rules.filter((r) => r.alert),
    ),
  );

/** amtool's answer: the receivers an alert with these labels is routed to. */
function routesTo(file: string, labels: Record<string, string>): string {
  const res = run('amtool', [
    'config',
    'routes',
    'test',
    `--config.file=${file}`,
    ...Object.entries(labels).map(([k, v]) => `${k}=${v}`),
  ]);
  if (res.status !== 0) throw new Error(`amtool config routes test failed:\n${res.stderr}`);
  return res.stdout.trim();
}

beforeAll(() => {
  requireProgram(
    'amtool',
    ['--version'],
    "install Debian's prometheus-alertmanager (apt-get install -y prometheus-alertmanager)",
  );
});

describe('alertmanager.yml (amtool)', () => {
  it('amtool check-config accepts it: one route tree, the inhibition, the pager and chat receivers', () => {
    const res = run('amtool', ['check-config', config]);
    expect(res.stdout).toMatch(/SUCCESS/);
    expect(res.stdout).toContain('1 inhibit rules');
    expect(res.stdout).toContain('2 receivers');
    expect(res.status).toBe(0);
  });

  it('amtool check-config refuses a route to a receiver that does not exist (the check can fail)', () => {
    const dir = tempDir('amtool');
    try {
      const broken = path.join(dir, 'alertmanager.yml');
      writeFileSync(broken, readFileSync(config, 'utf8').replace('  - receiver: pager\n', '  - receiver: pagr\n'));
      const res = run('amtool', ['check-config', broken]);
      expect(res.status).not.toBe(0);
      expect(res.stdout + res.stderr).toMatch(/undefined receiver "pagr"/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('routes critical to the pager and warning to chat (amtool config routes test)', () => {
    expect(routesTo(config, { alertname: 'TrackersDown', severity: 'critical' })).toBe('pager');
    expect(routesTo(config, { alertname: 'IngestConsumerLagHigh', severity: 'warning' })).toBe('chat');
    const verified = run('amtool', [
      'config',
      'routes',
      'test',
      `--config.file=${config}`,
      '--verify.receivers=pager',
      'severity=warning',
    ]);
    expect(verified.status).not.toBe(0);
  });

  it('sends every alert of the Prometheus rules to the receiver of its severity', () => {
    expect(alerts.length).toBeGreaterThanOrEqual(20);
    for (const rule of alerts) {
      const severity = rule.labels?.['severity'];
      expect({ alert: rule.alert, severity }).toEqual({
        alert: rule.alert,
        severity: expect.stringMatching(/^(critical|warning)$/),
      });
      expect({ alert: rule.alert, receiver: routesTo(config, { alertname: rule.alert!, ...rule.labels }) }).toEqual({
        alert: rule.alert,
        receiver: severity === 'critical' ? 'pager' : 'chat',
      });
    }
  });

  it("Prometheus sends to it: prometheus.yml's alerting target is the compose service, on Alertmanager's port", () => {
    const prometheus = parse(readFileSync(path.join(repoRoot, 'deployments/prometheus/prometheus.yml'), 'utf8')) as {
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
    };
    expect(prometheus.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets))).toEqual([
      'alertmanager:9093',
    ]);
    requireProgram(
      'docker-compose',
      ['version'],
      "install Debian's docker-compose (apt-get install -y docker-compose)",
    );
    const res = run('docker-compose', ['--project-name', 'fleet', '-f', 'docker-compose.yml', 'config'], {
      env: { FLEET_TAG: '', FLEET_IMAGE_PREFIX: '', FLEET_ALERT_WEBHOOKS_DIR: '' },
    });
    expect(res.status).toBe(0);
    const service = (parse(res.stdout) as { services: Record<string, { command: string[]; volumes: string[] }> })
      .services['alertmanager'];
    expect(service.command).toContain('--config.file=/etc/alertmanager/alertmanager.yml');
    const mounts = service.volumes.map((v) => (typeof v === 'string' ? v : `${(v as { source: string }).source}:`));
    expect(mounts).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/deployments\/alertmanager\/alertmanager\.yml:\/etc\/alertmanager\/alertmanager\.yml/),
        expect.stringMatching(/deployments\/alertmanager\/webhooks:\/etc\/alertmanager\/webhooks/),
      ]),
    );
  });
});

describe('a running Alertmanager with this file: notifications and inhibitions', () => {
  jest.setTimeout(120_000);
  let dir: string;
  let alertmanager: Service;
  let receiver: http.Server;
  const received: { path: string; authorization?: string; body: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    requireProgram(ALERTMANAGER, ['--version'], "install Debian's prometheus-alertmanager");
    dir = tempDir('alertmanager');
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        received.push({
          path: req.url ?? '',
          authorization: req.headers.authorization,
          body: JSON.parse(body) as Record<string, unknown>,
        });
        res.end('ok');
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}`;
    // The file as shipped; only where the secrets and the pager are differs.
    const shipped = readFileSync(config, 'utf8');
    expect(shipped).toContain('/etc/alertmanager/webhooks/');
    expect(shipped).toContain('url: http://pager.invalid/alertmanager');
    writeFileSync(
      path.join(dir, 'alertmanager.yml'),
      shipped
        .replaceAll('/etc/alertmanager/webhooks/', `${dir}/`)
        .replace('url: http://pager.invalid/alertmanager', `url: ${base}/pager`),
    );
    writeFileSync(path.join(dir, 'chat_url'), `${base}/chat\n`);
    writeFileSync(path.join(dir, 'pager_token'), 'pager-secret-token\n');
    const port = await freePort();
    alertmanager = await startBinary(
      ALERTMANAGER,
      [
        `--config.file=${path.join(dir, 'alertmanager.yml')}`,
        `--storage.path=${dir}/data`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--cluster.listen-address=',
      ],
      { port, readyPath: '/-/ready' },
    );
  });
  afterAll(async () => {
    await alertmanager?.stop();
    await new Promise((resolve) => receiver?.close(resolve));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const post = (labels: Record<string, string>[]) =>
    fetch(`http://127.0.0.1:${alertmanager.port}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(
        labels.map((l) => ({ labels: l, annotations: { summary: `${l['alertname']} on ${l['instance']}` } })),
      ),
    });

  it('pages the critical alert, inhibits the warning of the same alertname and instance, and chats the others', async () => {
    const res = await post([
      { alertname: 'TrackersDown', instance: 'trackers:9465', severity: 'critical' },
      { alertname: 'TrackersDown', instance: 'trackers:9465', severity: 'warning' },
      { alertname: 'TrackersDown', instance: 'trackers-2:9465', severity: 'warning' },
      { alertname: 'IngestConsumerLagHigh', instance: 'trackers:9465', severity: 'warning' },
    ]);
    expect(res.status).toBe(200);

    // What Alertmanager itself reports: receivers and the inhibition, immediately.
    const listed = (await (await fetch(`http://127.0.0.1:${alertmanager.port}/api/v2/alerts`)).json()) as {
      labels: Record<string, string>;
      receivers: { name: string }[];
      status: { state: string; inhibitedBy: string[] };
    }[];
    const state = Object.fromEntries(
      listed.map((a) => [
        `${a.labels['alertname']}/${a.labels['instance']}/${a.labels['severity']}`,
        [a.receivers.map((r) => r.name).join(','), a.status.state, a.status.inhibitedBy.length],
      ]),
    );
    expect(state).toEqual({
      'TrackersDown/trackers:9465/critical': ['pager', 'active', 0],
      'TrackersDown/trackers:9465/warning': ['chat', 'suppressed', 1],
      'TrackersDown/trackers-2:9465/warning': ['chat', 'active', 0],
      'IngestConsumerLagHigh/trackers:9465/warning': ['chat', 'active', 0],
    });

    // The notifications themselves (group_wait: 10 s for the pager, 30 s for chat).
    await waitFor(async () => received.filter((r) => r.path === '/chat').length >= 2, {
      timeoutMs: 60_000,
      what: 'the chat notifications',
    });
    const pager = received.filter((r) => r.path === '/pager');
    expect(pager).toHaveLength(1);
    expect(pager[0].authorization).toBe('Bearer pager-secret-token');
    expect((pager[0].body['alerts'] as { labels: Record<string, string> }[]).map((a) => a.labels)).toEqual([
      { alertname: 'TrackersDown', instance: 'trackers:9465', severity: 'critical' },
    ]);
    const chat = received
      .filter((r) => r.path === '/chat')
      .map((r) => JSON.stringify(r.body))
      .join('\n');
    expect(chat).toContain('TrackersDown on trackers-2:9465');
    expect(chat).toContain('IngestConsumerLagHigh on trackers:9465');
    // The inhibited warning never reached chat.
    expect(chat).not.toContain('TrackersDown on trackers:9465');
  });
});
