/**
 * `npx tsx --tsconfig tsconfig.base.json tools/bench/worker-write.ts` — the worker's write statement
 * alone (`writeBatch` of @fleet/queue-replay, as the ingest consumer calls it), without the gateway,
 * Redis or the HTTP path: staged rows like the tracker gateway's (1,000 Teltonika-like records of 100
 * devices each, with their IO attributes), written 5,000 positions a transaction (the worker's
 * INGEST_MAX_POSITIONS_PER_WRITE), then the raw-PostgreSQL baseline of the other ingestion benchmarks
 * in the same run. A script that prints figures, not a test; run it alone.
 *
 * With --maintenance the write runs the worker's maintenance counters in its transaction (its hook's
 * countMaintenance, apps/worker), as the ingest hook does after the event detector. Each run also
 * prints the CPU time a transaction costs: the writers' PostgreSQL backends (utime + stime of
 * /proc/<pid>/stat) and this process (the worker's side: the statement's results parsed, the hook),
 * load-independent figures to compare builds by, and the positions table's partition count.
 *
 * Options: --positions=N (100000), --devices=N (2000), --write=N positions a transaction (5000),
 *          --concurrency=N parallel writers (1; the worker's INGEST_CONCURRENCY is 2),
 *          --maintenance (off), --months-back=N monthly positions partitions before this month (1, as
 *          the worker makes them; more partitions cost a query over all of them more),
 *          --database=NAME (fleet_bench_write; dropped before and after)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { dropDatabase, ensureDatabase, ensurePositionPartitions, runMigrations } from '@fleet/db';
import {
  encodeBatch,
  writeBatch,
  type InBetweenFix,
  type InsertedPosition,
  type NormalizedPosition,
  type WriteItem,
} from '@fleet/queue-replay';
import pg from 'pg';
import {
  BASELINE_LABEL,
  fmt,
  percentile,
  rawPostgresBaseline,
  SAME_ROWS_BASELINE_LABEL,
  sameRowsBaseline,
} from './stats';

const { values: args } = parseArgs({
  options: {
    positions: { type: 'string', default: '100000' },
    devices: { type: 'string', default: '2000' },
    write: { type: 'string', default: '5000' },
    concurrency: { type: 'string', default: '1' },
    maintenance: { type: 'boolean', default: false },
    'months-back': { type: 'string', default: '1' },
    database: { type: 'string', default: 'fleet_bench_write' },
  },
});
const POSITIONS = Number(args.positions);
const DEVICES = Number(args.devices);
const WRITE = Number(args.write);
const CONCURRENCY = Number(args.concurrency);
const ROW = 1000; // positions per staged row (the gateway's shared rows)
const serverUrl = process.env['DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbUrl = serverUrl.replace(/\/[^/]*$/, `/${args.database}`);

const ownCpuSeconds = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

type Hook = (client: pg.PoolClient, inserted: InsertedPosition[], between: InBetweenFix[]) => Promise<unknown>;

/**
 * The worker's countMaintenance, loaded at run time: a tool may not import an app's modules
 * (module boundaries), and the bench runs from the repository root like `nx run tools:…`.
 */
async function maintenanceHook(): Promise<Hook> {
  const file = path.resolve('apps/worker/src/maintenance/maintenance.ts');
  const worker = (await import(pathToFileURL(file).href)) as { countMaintenance: Hook };
  return (client, inserted, between) => worker.countMaintenance(client, inserted, between);
}

/** CPU seconds (user + system) of processes so far, from /proc/<pid>/stat (clock ticks of 1/100 s). */
function cpuSeconds(pids: number[]): number {
  let total = 0;
  for (const pid of pids) {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    total += (Number(fields[11]) + Number(fields[12])) / 100;
  }
  return total;
}

async function main() {
  await dropDatabase(dbUrl).catch(() => undefined);
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  const pool = new pg.Pool({ connectionString: dbUrl, max: 2 });
  // The writers' connections, kept open for the whole run: their backends' CPU is the statement's.
  const writers = new pg.Pool({ connectionString: dbUrl, max: CONCURRENCY, idleTimeoutMillis: 0 });
  try {
    await ensurePositionPartitions(pool);
    const monthsBack = Number(args['months-back']);
    if (monthsBack > 1)
      await pool.query('SELECT ensure_position_partitions(now() - make_interval(months => $1), $1)', [monthsBack]);
    const org = (
      await pool.query<{ id: string }>(`INSERT INTO organizations (name, slug) VALUES ('bench', 'bench') RETURNING id`)
    ).rows[0].id;
    const vehicles = (
      await pool.query<{ id: string }>(
        `INSERT INTO vehicles (organization_id, name, device_identifier)
         SELECT $1, 'v' || g, '35630704' || lpad(g::text, 7, '0') FROM generate_series(1, $2) g RETURNING id`,
        [org, DEVICES],
      )
    ).rows.map((r) => r.id);

    // Staged rows as the gateway makes them: 10 records per device packet, 100 packets a row; each
    // device's records move forward in time (a record every 10 s), so every fix is new.
    const start = Date.now() - 6 * 3_600_000;
    const perDevice = new Array<number>(DEVICES).fill(0);
    const rows: WriteItem[] = [];
    let device = 0;
    for (let made = 0; made < POSITIONS; made += ROW) {
      const positions: NormalizedPosition[] = [];
      while (positions.length < ROW) {
        const d = device++ % DEVICES;
        for (let k = 0; k < 10; k++) {
          const n = perDevice[d]++;
          positions.push({
            vehicleId: vehicles[d],
            organizationId: org,
            ts: start + n * 10_000,
            lat: 40.3 + (d % 100) / 1000 + n / 100_000,
            lon: -3.7 + Math.floor(d / 100) / 1000,
            speedKmh: 40 + (n % 30),
            heading: (n * 7) % 360,
            altitude: 650,
            attributes: {
              ignition: true,
              motion: true,
              power: 12.6,
              battery: 4.1,
              satellites: 9,
              rssi: 4,
              io239: 1,
              io240: 1,
              io66: 12600,
              io67: 4100,
              io21: 4,
              io69: 1,
            },
          });
        }
      }
      rows.push({
        stagingId: String(rows.length + 1),
        payload: encodeBatch({ protocol: 'teltonika', positions }),
        count: ROW,
      });
    }

    const writes: WriteItem[][] = [];
    for (let i = 0; i < rows.length; i += WRITE / ROW) writes.push(rows.slice(i, i + WRITE / ROW));
    const clients = await Promise.all(Array.from({ length: CONCURRENCY }, () => writers.connect()));
    const backends = await Promise.all(
      clients.map(async (c) => (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid),
    );
    for (const c of clients) c.release();
    const partitions = Number(
      (await pool.query<{ n: string }>("SELECT count(*) AS n FROM pg_inherits WHERE inhparent = 'positions'::regclass"))
        .rows[0].n,
    );
    const hook: Hook = args.maintenance ? await maintenanceHook() : async () => undefined;
    // This process's CPU inside the hook (one writer at a time: nothing else of ours runs meanwhile).
    const hookCpu: number[] = [];
    const onInserted: Hook = async (client, inserted, between) => {
      const from = ownCpuSeconds();
      await hook(client, inserted, between);
      hookCpu.push(ownCpuSeconds() - from);
    };

    const times: number[] = [];
    let stored = 0;
    let next = 0;
    // CPU from the second transaction on: the first one prepares the statement on its connection.
    let cpuFrom: { backend: number; worker: number } | undefined;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < writes.length) {
          const index = next++;
          const items = writes[index];
          const t0 = performance.now();
          const result = await writeBatch(writers, items, { onInserted });
          times.push(performance.now() - t0);
          stored += result.stored;
          if (index === CONCURRENCY - 1) cpuFrom = { backend: cpuSeconds(backends), worker: ownCpuSeconds() };
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const measured = writes.length - CONCURRENCY;
    const backendCpu = cpuFrom ? (cpuSeconds(backends) - cpuFrom.backend) / measured : NaN;
    const workerCpu = cpuFrom ? (ownCpuSeconds() - cpuFrom.worker) / measured : NaN;
    const count = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM positions')).rows[0].n);
    if (stored !== POSITIONS || count !== POSITIONS)
      throw new Error(`stored ${stored}, counted ${count} of ${POSITIONS}`);
    if (args.maintenance) {
      // Every vehicle counted every one of its fixes: ignition on all along, one every 10 s.
      const c = (
        await pool.query<{ n: string; secs: number }>(
          'SELECT count(*) AS n, sum(engine_seconds) AS secs FROM vehicle_counters',
        )
      ).rows[0];
      const expectedSecs = perDevice.reduce((sum, n) => sum + Math.max(0, n - 1) * 10, 0);
      if (Number(c.n) !== perDevice.filter((n) => n > 0).length || c.secs !== expectedSecs)
        throw new Error(`counters: ${c.n} vehicles, ${c.secs} engine seconds; expected ${expectedSecs}`);
    }
    const baseline = await rawPostgresBaseline(pool, Math.min(POSITIONS, 50_000));
    const sameRows = await sameRowsBaseline(pool, Math.min(POSITIONS, 50_000));
    const rate = POSITIONS / seconds;
    times.sort((a, b) => a - b);
    console.log(
      `worker write statement: ${POSITIONS} positions of ${DEVICES} devices, ${WRITE} a transaction, ${CONCURRENCY} writer(s)` +
        `${args.maintenance ? ', maintenance counters in the transaction' : ''}; positions has ${partitions} partitions`,
    );
    console.log(`  positions/s         ${fmt(rate, 0)}`);
    console.log(`  ms per transaction  p50 ${fmt(percentile(times, 50))}  p99 ${fmt(percentile(times, 99))}`);
    console.log(
      `  CPU ms per transaction  backend ${fmt(backendCpu * 1000)}  worker ${fmt(workerCpu * 1000)}` +
        `  (mean of transactions 2..${writes.length}, each of its writer)`,
    );
    if (args.maintenance)
      console.log(
        `    of which the hook  worker ${fmt((hookCpu.slice(CONCURRENCY).reduce((a, b) => a + b, 0) / measured) * 1000)}`,
      );
    console.log(`  baseline            ${fmt(baseline, 0)} rows/s (${BASELINE_LABEL})`);
    console.log(`  ratio               ${fmt(rate / baseline, 2)}× the baseline`);
    console.log(`  same rows raw       ${fmt(sameRows, 0)} rows/s (${SAME_ROWS_BASELINE_LABEL})`);
    console.log(`  ratio, same rows    ${fmt(rate / sameRows, 2)}×`);
  } finally {
    await writers.end();
    await pool.end();
    await dropDatabase(dbUrl).catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
