import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { startOwnRedis, type OwnServer } from '@fleet/runtime/testing';
import { stringify, parse } from 'yaml';
import { exposedNames, metricNames, PROMETHEUS_SYNTHETIC } from './promql';
import {
  freePort,
  repoRoot,
  run,
  selfSignedCert,
  startAppProcess,
  startBinary,
  tempDir,
  waitFor,
  type Service,
} from './testing';

// Every query of every Grafana panel and every alert/recording rule must (1) parse, checked by
// promtool's real PromQL parser, and (2) read only metrics that exist: the ones the api, worker and
// tracker gateway processes actually expose on /metrics (started here from source), the ones Debian's real exporters
// expose (postgres, redis, node, blackbox, started here), series Prometheus generates itself (`up`),
// and our own recording rules. No hand-typed list of names.

const grafana = path.join(repoRoot, 'deployments/grafana');
const rulesDir = path.join(repoRoot, 'deployments/prometheus/rules');

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { type: string; uid: string };
  gridPos?: { h: number; w: number; x: number; y: number };
  targets?: { refId: string; expr: string; datasource?: { uid: string } }[];
  panels?: Panel[];
}
interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating?: { list: unknown[] };
}

const dashboardFiles = readdirSync(path.join(grafana, 'dashboards')).filter((f) => f.endsWith('.json'));
const dashboards = dashboardFiles.map((f) => ({
  file: f,
  json: JSON.parse(readFileSync(path.join(grafana, 'dashboards', f), 'utf8')) as Dashboard,
}));
const panelsOf = (d: Dashboard): Panel[] => d.panels.flatMap((p) => [p, ...(p.panels ?? [])]);
/** Grafana's own variables, replaced by what Grafana would put there, so promtool can parse. */
const grafanaToPromql = (expr: string) =>
  expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m').replace(/\$\{?__range_s\}?/g, '300');

const queries = dashboards.flatMap(({ file, json }) =>
  panelsOf(json).flatMap((p) =>
    (p.targets ?? []).map((t) => ({ where: `${file} "${p.title}" ${t.refId}`, expr: grafanaToPromql(t.expr) })),
  ),
);
const ruleDocs = readdirSync(rulesDir)
  .filter((f) => f.endsWith('.yml'))
  .map((f) => ({
    file: f,
    doc: parse(readFileSync(path.join(rulesDir, f), 'utf8')) as {
      groups: { rules: { alert?: string; record?: string; expr: string }[] }[];
    },
  }));
const ruleExprs = ruleDocs.flatMap(({ file, doc }) =>
  doc.groups.flatMap((g) => g.rules.map((r) => ({ where: `${file} ${r.alert ?? r.record}`, expr: r.expr }))),
);
const recorded = ruleDocs.flatMap(({ doc }) => doc.groups.flatMap((g) => g.rules.flatMap((r) => r.record ?? [])));

describe('grafana provisioning', () => {
  it('provisions the Prometheus datasource every dashboard refers to, and the dashboards folder', () => {
    const ds = parse(readFileSync(path.join(grafana, 'provisioning/datasources/prometheus.yml'), 'utf8')) as {
      datasources: { uid: string; type: string; url: string }[];
    };
    expect(ds.datasources).toEqual([
      expect.objectContaining({ uid: 'prometheus', type: 'prometheus', url: 'http://prometheus:9090' }),
    ]);
    const providers = parse(readFileSync(path.join(grafana, 'provisioning/dashboards/dashboards.yml'), 'utf8')) as {
      providers: { type: string; options: { path: string } }[];
    };
    expect(providers.providers[0]).toMatchObject({ type: 'file', options: { path: '/var/lib/grafana/dashboards' } });
    for (const { file, json } of dashboards) {
      for (const p of panelsOf(json).filter((panel) => panel.type !== 'row')) {
        expect([file, p.title, p.datasource?.uid]).toEqual([file, p.title, 'prometheus']);
        expect([file, p.title, p.targets?.length]).toEqual([file, p.title, expect.any(Number)]);
      }
    }
  });

  it('has the API, ingestion, trackers, database and Redis dashboards, with unique uids and panel ids', () => {
    expect(dashboards.map((d) => d.json.uid).sort()).toEqual([
      'fleet-api',
      'fleet-database',
      'fleet-ingestion',
      'fleet-redis',
      'fleet-trackers',
    ]);
    for (const { json } of dashboards) {
      const ids = panelsOf(json).map((p) => p.id);
      expect(new Set(ids).size).toBe(ids.length);
    }
    const api = dashboards.find((d) => d.json.uid === 'fleet-api')!.json;
    const apiExprs = panelsOf(api).flatMap((p) => (p.targets ?? []).map((t) => t.expr));
    for (const q of ['0.5', '0.95', '0.99'])
      expect(apiExprs.some((e) => e.startsWith(`histogram_quantile(${q}, sum by (le, route)`))).toBe(true);
  });

  it('every panel query and every rule expression parses (promtool check rules)', () => {
    const tmp = tempDir('promql');
    try {
      const all = [...queries, ...ruleExprs];
      const file = path.join(tmp, 'exprs.yml');
      writeFileSync(
        file,
        stringify({ groups: [{ name: 'parse', rules: all.map((q, i) => ({ record: `q_${i}`, expr: q.expr })) }] }),
      );
      const res = run('promtool', ['check', 'rules', file]);
      expect(res.stdout + res.stderr).toContain(`SUCCESS: ${all.length} rules found`);
      // And the check does fail on a broken query.
      writeFileSync(
        file,
        stringify({ groups: [{ name: 'parse', rules: [{ record: 'q', expr: 'sum(rate(x[5m])' }] }] }),
      );
      expect(run('promtool', ['check', 'rules', file]).status).not.toBe(0);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('metric names used by dashboards and rules exist', () => {
  jest.setTimeout(120_000);
  const services: Service[] = [];
  let testDb: TestDatabase;
  let redis: OwnServer;
  let tlsServer: https.Server | undefined;
  let tmp: string;
  const sources = new Map<string, Set<string>>();

  const scrape = async (source: string, url: string) => {
    const text = await (await fetch(url)).text();
    sources.set(source, new Set(exposedNames(text)));
  };

  beforeAll(async () => {
    tmp = tempDir('exporters');
    testDb = await createTestDatabase('ops-dashboards');
    redis = await startOwnRedis();
    const env = { DATABASE_URL: testDb.url, REDIS_URL: redis.url, REDIS_KEY_PREFIX: 'ops-dash:' };
    // The API and the gateway as deployed: a cluster primary serving the sum of its workers' metrics
    // (and its own, such as the restarts of its workers).
    // Each one started is kept for afterAll even when another fails to start (else it outlives the run).
    const started = await Promise.allSettled([
      startAppProcess('api', { ...env, API_WORKERS: '2' }),
      startAppProcess('worker', env),
      startAppProcess('trackers', { ...env, TRACKER_WORKERS: '2' }),
    ]);
    for (const s of started) if (s.status === 'fulfilled') services.push(s.value);
    const failed = started.find((s) => s.status === 'rejected');
    if (failed) throw failed.reason;
    const [api, worker, trackers] = services;
    await waitFor(async () => (await fetch(`http://127.0.0.1:${api.port}/metrics`)).status === 200, {
      timeoutMs: 30_000,
      what: 'api /metrics',
    });
    await scrape('api', `http://127.0.0.1:${api.port}/metrics`);
    await scrape('worker', `http://127.0.0.1:${worker.port}/metrics`);
    // The primary answers 503 while a listener process is still starting: scrape once all have answered.
    await waitFor(async () => (await fetch(`http://127.0.0.1:${trackers.port}/metrics`)).status === 200, {
      timeoutMs: 30_000,
      what: 'trackers /metrics',
    });
    await scrape('trackers', `http://127.0.0.1:${trackers.port}/metrics`);

    // A key in Redis so the exporter reports its keyspace (redis_db_keys).
    run('redis-cli', ['-p', String(redis.port), 'SET', 'ops-dash:probe', '1']);
    const pgPort = await freePort();
    const dsn = new URL(testDb.url);
    dsn.searchParams.set('sslmode', 'disable');
    services.push(
      await startBinary('prometheus-postgres-exporter', [`--web.listen-address=127.0.0.1:${pgPort}`], {
        port: pgPort,
        env: { DATA_SOURCE_NAME: dsn.toString() },
      }),
    );
    const redisPort = await freePort();
    services.push(
      await startBinary(
        'prometheus-redis-exporter',
        ['-redis.addr', redis.url, '-web.listen-address', `127.0.0.1:${redisPort}`],
        { port: redisPort },
      ),
    );
    const nodePort = await freePort();
    services.push(
      await startBinary('prometheus-node-exporter', [`--web.listen-address=127.0.0.1:${nodePort}`], {
        port: nodePort,
      }),
    );
    const blackboxPort = await freePort();
    services.push(
      await startBinary(
        'prometheus-blackbox-exporter',
        [
          `--config.file=${path.join(repoRoot, 'deployments/prometheus/blackbox.yml')}`,
          `--web.listen-address=127.0.0.1:${blackboxPort}`,
        ],
        { port: blackboxPort },
      ),
    );
    await scrape('postgres_exporter', `http://127.0.0.1:${pgPort}/metrics`);
    await scrape('redis_exporter', `http://127.0.0.1:${redisPort}/metrics`);
    await scrape('node_exporter', `http://127.0.0.1:${nodePort}/metrics`);
    const { cert, key } = selfSignedCert(tmp, 30);
    const server = https.createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (_q, r) => r.end());
    tlsServer = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const target = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    await scrape(
      'blackbox_exporter',
      `http://127.0.0.1:${blackboxPort}/probe?module=tls_expiry&target=${encodeURIComponent(target)}`,
    );
    sources.set('prometheus', new Set([...PROMETHEUS_SYNTHETIC, ...recorded]));
    // The scheduled jobs write their metrics as text (node_exporter's textfile directory, or a push):
    // the names they declare with `# TYPE`, read from the scripts themselves.
    sources.set(
      'scheduled jobs',
      new Set(
        ['tools/backup.sh', 'tools/check-secret-age.sh'].flatMap((file) =>
          [...readFileSync(path.join(repoRoot, file), 'utf8').matchAll(/# TYPE (\w+) /g)].map((m) => m[1]),
        ),
      ),
    );
    // On Kubernetes the backup alert also reads the CronJob's last success from kube-state-metrics,
    // which a cluster runs and this stack does not: named here rather than scraped.
    sources.set('kube-state-metrics', new Set(['kube_cronjob_status_last_successful_time']));
  });

  afterAll(async () => {
    await Promise.all(services.map((s) => s.stop()));
    await new Promise((resolve) => (tlsServer ? tlsServer.close(resolve) : resolve(undefined)));
    await redis?.destroy();
    await testDb?.drop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the processes really expose what the pipeline and the HTTP layer define', () => {
    // Sanity of the sources themselves: a scrape that returned nothing would make every check vacuous.
    expect(sources.get('api')).toContain('http_request_duration_seconds_bucket');
    expect(sources.get('api')).toContain('positions_received_total');
    expect(sources.get('worker')).toContain('ingest_staging_backlog');
    for (const name of [
      'tracker_connections',
      'tracker_connections_closed_total',
      'tracker_ack_latency_seconds_bucket',
      'tracker_workers',
      'positions_accepted_total',
    ])
      expect(sources.get('trackers')).toContain(name);
    expect(sources.get('postgres_exporter')).toContain('pg_up');
    expect(sources.get('redis_exporter')).toContain('redis_up');
    expect(sources.get('node_exporter')).toContain('node_filesystem_avail_bytes');
    expect(sources.get('blackbox_exporter')).toContain('probe_ssl_earliest_cert_expiry');
  });

  it('every metric a dashboard panel or a rule reads is exported by someone', () => {
    const known = new Set([...sources.values()].flatMap((s) => [...s]));
    const used = new Set([...queries, ...ruleExprs].flatMap((q) => metricNames(q.expr)));
    expect(used.size).toBeGreaterThan(60);
    const unknown = [...queries, ...ruleExprs].flatMap((q) =>
      metricNames(q.expr)
        .filter((name) => !known.has(name))
        .map((name) => `${q.where}: ${name}`),
    );
    expect(unknown).toEqual([]);
    // The check bites: a misspelt name is reported.
    expect(metricNames('rate(positions_storred_total[5m])').filter((n) => !known.has(n))).toEqual([
      'positions_storred_total',
    ]);
  });

  it('each dashboard reads the metrics of its own source', () => {
    const uses = (uid: string, source: string) => {
      const d = dashboards.find((x) => x.json.uid === uid)!.json;
      const names = panelsOf(d).flatMap((p) => (p.targets ?? []).flatMap((t) => metricNames(grafanaToPromql(t.expr))));
      return names.filter((n) => sources.get(source)!.has(n)).length;
    };
    expect(uses('fleet-api', 'api')).toBeGreaterThan(10);
    expect(uses('fleet-ingestion', 'worker')).toBeGreaterThan(10);
    expect(uses('fleet-ingestion', 'api')).toBeGreaterThan(3);
    expect(uses('fleet-trackers', 'trackers')).toBeGreaterThan(10);
    expect(uses('fleet-database', 'postgres_exporter')).toBeGreaterThan(10);
    expect(uses('fleet-redis', 'redis_exporter')).toBeGreaterThan(8);
  });
});

describe('the Trackers dashboard', () => {
  const trackers = dashboards.find((d) => d.json.uid === 'fleet-trackers')!.json;
  const exprs = panelsOf(trackers).flatMap((p) => (p.targets ?? []).map((t) => t.expr));

  it('shows connections, frames, decode errors, ACK latency and positions by protocol', () => {
    const byProtocol = (metric: string) =>
      exprs.some((e) => new RegExp(`sum by \\([^)]*\\bprotocol\\b[^)]*\\) \\((rate\\()?${metric}\\b`).test(e));
    for (const metric of [
      'tracker_connections',
      'tracker_connections_opened_total',
      'tracker_connections_closed_total',
      'tracker_frames_total',
      'tracker_decode_errors_total',
      'positions_accepted_total',
    ])
      expect([metric, byProtocol(metric)]).toEqual([metric, true]);
    expect(exprs.some((e) => e.includes('sum by (protocol, type) (rate(tracker_frames_total'))).toBe(true);
    for (const q of ['0.5', '0.99'])
      expect(
        exprs.some((e) =>
          e.startsWith(`histogram_quantile(${q}, sum by (le, protocol) (rate(tracker_ack_latency_seconds_bucket`),
        ),
      ).toBe(true);
  });

  it("reads only the gateway's own series (positions from the api are on the Ingestion dashboard)", () => {
    for (const e of exprs.filter((x) => /positions_\w+_total/.test(x))) expect(e).toContain('service="trackers"');
  });
});
