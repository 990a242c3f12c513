/**
 * `npx tsx --tsconfig tsconfig.base.json tools/bench/tracker-drain.ts` — how fast the phone's queue
 * drains: N fixes queued offline in SQLite (sql.js, the SQL the app runs on expo-sqlite), then sent
 * by the tracker's Uploader through FleetApi to the real API and worker on loopback, in batches of
 * 1,000. A script that prints figures, not a test; run it alone (no other load). Target ≥ 5,000 fixes/s.
 *
 * It creates a fresh database (fleet_bench_tracker), starts the bundled API and worker as processes,
 * and prints: the enqueue rate, the drain rate (first request → queue empty: the phone's side), and
 * the end-to-end rate (first request → last row committed in `positions`), with the check that every
 * fix is stored exactly once.
 *
 * Options: --fixes=N (10000), --batch=N (1000), --persist (save the SQLite file after each write,
 *          as a durable queue on disk does; off: in memory)
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { FleetApi } from '@fleet/api-client';
import { generateDeviceToken, hashDeviceToken } from '@fleet/auth';
import type { PositionInput } from '@fleet/contracts';
import { dropDatabase, ensureDatabase, runMigrations } from '@fleet/db';
import { bundleService } from '@fleet/runtime/testing';
import { FixQueue, fromLocation, ResponseHints, Uploader } from '@fleet/tracker';
import { SqlJsDatabase, type SqlJsPersistence } from '@fleet/tracker/testing';
import pg from 'pg';
import { fmt, serviceEnv } from './stats';

const root = path.resolve(__dirname, '../..');
const { values: args } = parseArgs({
  options: {
    fixes: { type: 'string', default: '10000' },
    batch: { type: 'string', default: '1000' },
    persist: { type: 'boolean', default: false },
  },
});
const FIXES = Number(args.fixes);
const BATCH = Number(args.batch);
const serverUrl = process.env['DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbUrl = serverUrl.replace(/\/[^/]*$/, '/fleet_bench_tracker');
const REDIS_URL = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const prefix = `bench-tracker:${process.pid}:`;

function startService(file: string, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [file], {
    cwd: root,
    env: serviceEnv({ dbUrl, redisUrl: REDIS_URL, prefix }, env),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

async function waitReady(url: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (
      await fetch(url).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready: ${url}`);
}

async function waitStored(pool: pg.Pool, vehicleId: string, count: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = Number(
      (await pool.query('SELECT count(*) AS n FROM positions WHERE vehicle_id = $1', [vehicleId])).rows[0].n,
    );
    if (n >= count) return Date.now();
    if (Date.now() > deadline) throw new Error(`only ${n} of ${count} positions stored after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Fixes one second apart, ending an hour ago, in expo-location's shape (m/s) converted as the app does. */
function fixes(count: number): PositionInput[] {
  const start = Date.now() - 3_600_000 - count * 1000;
  return Array.from({ length: count }, (_, i) => {
    const fix = fromLocation({
      coords: { latitude: 40.3 + i * 1e-5, longitude: -3.7, speed: 12.5, heading: 90, accuracy: 5, altitude: 650 },
      timestamp: start + i * 1000,
    });
    if (!fix) throw new Error('unexpected: no fix');
    return fix;
  });
}

async function main() {
  await dropDatabase(dbUrl);
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  const org = await pool.query<{ id: string }>(
    "INSERT INTO organizations (name, slug) VALUES ('Bench', 'bench-tracker') RETURNING id",
  );
  const token = generateDeviceToken();
  const vehicle = await pool.query<{ id: string }>(
    'INSERT INTO vehicles (organization_id, name, device_identifier, device_token_hash) VALUES ($1, $2, $3, $4) RETURNING id',
    [org.rows[0].id, 'Phone', 'bench-phone', hashDeviceToken(token)],
  );
  const vehicleId = vehicle.rows[0].id;
  const ports = {
    api: 3950 + (process.pid % 40),
    osmand: 5950 + (process.pid % 40),
    worker: 9950 + (process.pid % 40),
  };
  const api = startService(
    await bundleService('apps/api/src/main.ts', { outDir: 'tools/bench', name: 'tracker-api' }),
    {
      PORT: String(ports.api),
      OSMAND_PORT: String(ports.osmand),
      HOST: '127.0.0.1',
    },
  );
  const worker = startService(
    await bundleService('apps/worker/src/main.ts', { outDir: 'tools/bench', name: 'tracker-worker' }),
    { METRICS_PORT: String(ports.worker), HOST: '127.0.0.1' },
  );
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-tracker-'));
  const file = path.join(dir, 'queue.sqlite');
  const persistence: SqlJsPersistence | undefined = args.persist
    ? {
        load: () => (existsSync(file) ? readFileSync(file) : undefined),
        save: (bytes) => {
          writeFileSync(`${file}.tmp`, bytes);
          renameSync(`${file}.tmp`, file);
        },
      }
    : undefined;
  try {
    await waitReady(`http://127.0.0.1:${ports.api}/ready`);
    await waitReady(`http://127.0.0.1:${ports.worker}/ready`);
    const queue = await FixQueue.open(await SqlJsDatabase.open(persistence));
    const all = fixes(FIXES);
    const q0 = performance.now();
    // As the app does: a kept fix at a time would be one transaction each; a backlog arrives in chunks.
    for (let i = 0; i < all.length; i += 100) await queue.enqueueMany(all.slice(i, i + 100));
    const enqueueMs = performance.now() - q0;

    const hints = new ResponseHints();
    const client = new FleetApi({
      baseUrl: `http://127.0.0.1:${ports.api}`,
      getToken: () => token,
      fetch: hints.wrap(fetch),
    });
    const uploader = new Uploader({ queue, api: client, hints, batchSize: BATCH });
    const started = Date.now();
    const t0 = performance.now();
    const result = await uploader.drain();
    const drainMs = performance.now() - t0;
    const committedAt = await waitStored(pool, vehicleId, FIXES, 120_000);
    const check = await pool.query<{ rows: string; distinct: string }>(
      'SELECT count(*) AS rows, count(DISTINCT ts) AS distinct FROM positions WHERE vehicle_id = $1',
      [vehicleId],
    );

    console.log(
      `bench-tracker-drain: ${FIXES.toLocaleString('en-US')} fixes, batches of ${BATCH}, queue ${args.persist ? 'saved to a file after each write' : 'in memory'}, ${os.cpus().length} cores`,
    );
    console.log(
      `  enqueue             ${fmt(FIXES / (enqueueMs / 1000), 0)} fixes/s (${fmt(enqueueMs, 0)} ms, chunks of 100)`,
    );
    console.log(
      `  drain (phone side)  ${fmt(FIXES / (drainMs / 1000), 0)} fixes/s (${fmt(drainMs, 0)} ms, ${result.requests} requests, ${result.retries} retries, end: ${result.end})`,
    );
    console.log(
      `  end to end          ${fmt(FIXES / ((committedAt - started) / 1000), 0)} fixes/s (first request → last row committed, ${fmt((committedAt - started) / 1000, 2)} s)`,
    );
    console.log(
      `  stored              ${check.rows[0].rows} rows, ${check.rows[0].distinct} distinct timestamps (expected ${FIXES} each)`,
    );
    console.log(
      `  target              ≥ 5,000 fixes/s end to end: ${FIXES / ((committedAt - started) / 1000) >= 5000 ? 'met' : 'NOT met'}`,
    );
  } finally {
    api.kill('SIGTERM');
    worker.kill('SIGTERM');
    await pool.end();
    rmSync(dir, { recursive: true, force: true });
    await new Promise((r) => setTimeout(r, 500));
    await dropDatabase(dbUrl).catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
