/**
 * `nx run tools:bench-queries` — the query side against a big history, end to end through the real
 * API. A script that prints figures and exits non-zero when a target is missed, not a test.
 *
 * Data (generated once into the database `fleet_bench_queries`, reused by later runs; see
 * queries-data.ts): 1,000 vehicles, 10,000,000 positions, one vehicle with 30 days at 1 Hz. The API
 * runs as its own process, bundled as in production (so its RSS is its own), and the hot cache is
 * warmed by the real CLI (`nx run worker:cache-warm`). Targets:
 *   latest positions of 1,000 vehicles  p95 < 20 ms
 *   nearest 10 vehicles                 p95 < 10 ms
 *   a 24-hour track (86,400 fixes) simplified to ≤ 2,000 points   p95 < 150 ms
 *   a 30-day track (2,592,000 fixes) exported, API RSS stays under 300 MB
 * Then, when tools/bench/live-latency.ts exists, it runs too (the live-stream figure).
 *
 * Options: --iterations=N (300; the simplification runs N/5), --regenerate (drop and rebuild the data),
 *          --skip-export, --skip-live
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { dropDatabase } from '@fleet/db';
import { createRedis } from '@fleet/runtime';
import { bundleService, freePort } from '@fleet/runtime/testing';

import { ensureBenchData } from './queries-data';
import { fmt, percentile, rssMb, serviceEnv } from './stats';

const root = path.resolve(__dirname, '../..');
const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '300' },
    regenerate: { type: 'boolean', default: false },
    'skip-export': { type: 'boolean', default: false },
    'skip-live': { type: 'boolean', default: false },
  },
});
const ITERATIONS = Number(args.iterations);
const serverUrl = process.env['DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbUrl = serverUrl.replace(/\/[^/]*$/, '/fleet_bench_queries');
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `bench-queries:${process.pid}:`;
const SPEC = { vehicles: 1_000, positions: 10_000_000, days1Hz: 30 };
const TARGETS = { latestP95Ms: 20, nearestP95Ms: 10, simplifyP95Ms: 150, exportRssMb: 300 };

const benchEnv = (env: Record<string, string>) =>
  serviceEnv({ dbUrl, redisUrl: REDIS_URL, prefix }, { TSX_TSCONFIG_PATH: 'tsconfig.base.json', ...env });

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

interface Reply {
  status: number;
  body: Buffer;
  ms: number;
}

/** GET over a kept-alive connection; the time is until the last byte of the body. */
function get(port: number, pathname: string, token: string, onChunk?: (chunk: Buffer) => void): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.get(
      { host: '127.0.0.1', port, path: pathname, agent, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => (onChunk ? onChunk(c) : chunks.push(c)));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), ms: performance.now() - t0 }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
  });
}

async function waitReady(port: number) {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (
      await fetch(`http://127.0.0.1:${port}/ready`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('the API did not become ready');
}

/** `n` sequential requests after `warmup` unmeasured ones; each reply is checked. Sorted latencies. */
async function measure(n: number, warmup: number, request: (i: number) => Promise<Reply>, check: (r: Reply) => void) {
  for (let i = 0; i < warmup; i++) check(await request(i));
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const reply = await request(warmup + i);
    check(reply);
    times.push(reply.ms);
  }
  return times.sort((a, b) => a - b);
}

function expectStatus(r: Reply, what: string) {
  if (r.status !== 200) throw new Error(`${what}: HTTP ${r.status} ${r.body.toString().slice(0, 300)}`);
}

async function main() {
  const lines: string[] = [];
  const say = (line = '') => {
    lines.push(line);
    console.log(line);
  };
  if (args.regenerate) await dropDatabase(dbUrl);
  const data = await ensureBenchData(dbUrl, SPEC, (l) => console.log(l));

  // The API runs as production runs it (bundled), so its RSS is its own.
  const bundle = await bundleService('apps/api/src/main.ts', { outDir: 'tools/bench', name: 'queries-api' });
  const port = await freePort();
  const api: ChildProcess = spawn(process.execPath, [bundle], {
    cwd: root,
    env: benchEnv({ PORT: String(port), HOST: '127.0.0.1', OSMAND_PORT: 'off', DB_POOL_MAX: '10' }),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const failures: string[] = [];
  const verdict = (ok: boolean, what: string) => {
    if (!ok) failures.push(what);
    return ok ? 'ok' : 'MISSED';
  };
  try {
    await waitReady(port);
    const warm = spawnSync(process.execPath, ['--import', 'tsx', 'apps/worker/src/cli/cache-warm.ts'], {
      cwd: root,
      env: benchEnv({}),
      encoding: 'utf8',
    });
    if (warm.status !== 0) throw new Error(`cache-warm failed: ${warm.stderr}`);
    const login = await fetch(`http://127.0.0.1:${port}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: data.email, password: data.password }),
    });
    const token = ((await login.json()) as { accessToken: string }).accessToken;

    const rssAfter: Record<string, number> = { start: rssMb(api.pid) };
    say(
      `bench-queries: ${data.positions.toLocaleString('en-US')} positions, ${SPEC.vehicles} vehicles, ` +
        `${require('node:os').cpus().length} cores; ${warm.stdout.trim()}`,
    );

    // 1. Latest position of every vehicle, from the hot cache.
    const latest = await measure(
      ITERATIONS,
      20,
      () => get(port, '/api/v1/positions/latest', token),
      (r) => {
        expectStatus(r, 'latest');
        const n = (JSON.parse(r.body.toString()) as { features: unknown[] }).features.length;
        if (n !== SPEC.vehicles) throw new Error(`latest: ${n} features, expected ${SPEC.vehicles}`);
      },
    );
    rssAfter['latest'] = rssMb(api.pid);
    const latestP95 = percentile(latest, 95);
    say(
      `latest (${SPEC.vehicles} vehicles)      p50 ${fmt(percentile(latest, 50), 2)} ms  p95 ${fmt(latestP95, 2)} ms  ` +
        `p99 ${fmt(percentile(latest, 99), 2)} ms   target p95 < ${TARGETS.latestP95Ms} ms: ${verdict(latestP95 < TARGETS.latestP95Ms, 'latest')}`,
    );

    // 2. Nearest 10 to points spread over the fleet's area.
    let seed = 7;
    const rnd = () => ((seed = (seed * 16_807) % 2_147_483_647) - 1) / 2_147_483_646;
    const points = Array.from({ length: ITERATIONS + 50 }, () => ({ lat: 40 + rnd(), lon: -4.2 + rnd() }));
    const nearest = await measure(
      ITERATIONS,
      50,
      (i) => get(port, `/api/v1/positions/nearest?lat=${points[i].lat}&lon=${points[i].lon}&limit=10`, token),
      (r) => {
        expectStatus(r, 'nearest');
        const n = (JSON.parse(r.body.toString()) as { items: unknown[] }).items.length;
        if (n !== 10) throw new Error(`nearest: ${n} items, expected 10`);
      },
    );
    rssAfter['nearest'] = rssMb(api.pid);
    const nearestP95 = percentile(nearest, 95);
    say(
      `nearest 10                  p50 ${fmt(percentile(nearest, 50), 2)} ms  p95 ${fmt(nearestP95, 2)} ms  ` +
        `p99 ${fmt(percentile(nearest, 99), 2)} ms   target p95 < ${TARGETS.nearestP95Ms} ms: ${verdict(nearestP95 < TARGETS.nearestP95Ms, 'nearest')}`,
    );

    // 3. The last 24 hours of the 1 Hz vehicle (86,400 fixes) simplified to at most 2,000 points.
    const dayTo = new Date(data.anchor.getTime() + 1000);
    const dayFrom = new Date(dayTo.getTime() - 86_400_000);
    const dayPath = `/api/v1/vehicles/${data.fastVehicleId}/history?from=${dayFrom.toISOString()}&to=${dayTo.toISOString()}&maxPoints=2000`;
    let kept = 0;
    const simplify = await measure(
      Math.max(20, Math.round(ITERATIONS / 5)),
      5,
      () => get(port, dayPath, token),
      (r) => {
        expectStatus(r, 'simplify');
        kept = (JSON.parse(r.body.toString()) as { features: unknown[] }).features.length;
        if (kept > 2000 || kept < 1000) throw new Error(`simplify: ${kept} points, expected at most 2,000`);
      },
    );
    rssAfter['simplify'] = rssMb(api.pid);
    const simplifyP95 = percentile(simplify, 95);
    say(
      `24 h track → ${kept} points  p50 ${fmt(percentile(simplify, 50), 1)} ms  p95 ${fmt(simplifyP95, 1)} ms  ` +
        `p99 ${fmt(percentile(simplify, 99), 1)} ms   target p95 < ${TARGETS.simplifyP95Ms} ms: ${verdict(simplifyP95 < TARGETS.simplifyP95Ms, 'simplify')}`,
    );

    say(
      `API RSS                     ${Object.entries(rssAfter)
        .map(([phase, mb]) => `${phase === 'start' ? 'at start' : `after ${phase}`} ${fmt(mb, 0)} MB`)
        .join(', ')}`,
    );

    // 4. The whole 30 days, raw, streamed, with the API's RSS sampled every 50 ms.
    if (!args['skip-export']) {
      const to = new Date(data.anchor.getTime() + 1000);
      const from = new Date(to.getTime() - SPEC.days1Hz * 86_400_000);
      const before = rssMb(api.pid);
      let peak = before;
      const sampler = setInterval(() => (peak = Math.max(peak, rssMb(api.pid))), 50);
      let bytes = 0;
      let features = 0;
      let firstByteMs = 0;
      const t0 = performance.now();
      const reply = await get(
        port,
        `/api/v1/vehicles/${data.fastVehicleId}/history?from=${from.toISOString()}&to=${to.toISOString()}`,
        token,
        (chunk) => {
          if (!bytes) firstByteMs = performance.now() - t0;
          bytes += chunk.length;
          // One feature per line after the opening one.
          for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) features++;
        },
      );
      clearInterval(sampler);
      peak = Math.max(peak, rssMb(api.pid));
      expectStatus(reply, 'export');
      features -= 2; // the line breaks before the closing bracket and after it
      const expected = SPEC.days1Hz * 86_400;
      if (features !== expected) throw new Error(`export: ${features} features, expected ${expected}`);
      say(
        `30-day export (GeoJSON)     ${features.toLocaleString('en-US')} fixes, ${fmt(bytes / 1e6, 0)} MB in ${fmt(reply.ms / 1000, 1)} s ` +
          `(first byte after ${fmt(firstByteMs, 0)} ms); API RSS ${fmt(before, 0)} MB before, peak ${fmt(peak, 0)} MB   ` +
          `target < ${TARGETS.exportRssMb} MB: ${verdict(peak < TARGETS.exportRssMb, 'export RSS')}`,
      );
    }
  } finally {
    api.kill('SIGTERM');
    agent.destroy();
    await new Promise((r) => setTimeout(r, 300));
    // The run's Redis keys (hot cache, sign-in counters) go with it.
    const redis = createRedis({ url: REDIS_URL });
    const keys: string[] = [];
    for await (const batch of redis.scanStream({ match: `${prefix}*`, count: 1000 })) keys.push(...(batch as string[]));
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
  }

  // The live-stream latency benchmark of the same acceptance point, when it is there.
  const live = path.join(__dirname, 'live-latency.ts');
  if (!args['skip-live'] && existsSync(live)) {
    say('');
    say('live latency (tools/bench/live-latency.ts):');
    const run = spawnSync(process.execPath, ['--import', 'tsx', live], {
      cwd: root,
      env: { ...process.env, TSX_TSCONFIG_PATH: 'tsconfig.base.json' },
      stdio: 'inherit',
    });
    if (run.status !== 0) failures.push('live latency');
  }

  if (failures.length) {
    console.error(`bench-queries: targets missed: ${failures.join(', ')}`);
    process.exit(1);
  }
  console.log('bench-queries: every target met');
}

main().catch((err: unknown) => {
  console.error(`bench-queries failed: ${err instanceof Error ? err.stack : String(err)}`);
  process.exit(1);
});
