/**
 * `npx tsx --tsconfig tsconfig.base.json tools/bench/worker-write.ts` — the worker's write statement
 * alone (`writeBatch` of @fleet/queue-replay, as the ingest consumer calls it), without the gateway,
 * Redis or the HTTP path: staged rows like the tracker gateway's (1,000 Teltonika-like records of 100
 * devices each, with their IO attributes), written 5,000 positions a transaction (the worker's
 * INGEST_MAX_POSITIONS_PER_WRITE), then the raw-PostgreSQL baseline of the other ingestion benchmarks
 * in the same run. A script that prints figures, not a test; run it alone.
 *
 * Options: --positions=N (100000), --devices=N (2000), --write=N positions a transaction (5000),
 *          --concurrency=N parallel writers (1; the worker's INGEST_CONCURRENCY is 2)
 */
import { parseArgs } from 'node:util';
import { dropDatabase, ensureDatabase, ensurePositionPartitions, runMigrations } from '@fleet/db';
import { encodeBatch, writeBatch, type NormalizedPosition, type WriteItem } from '@fleet/queue-replay';
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
  },
});
const POSITIONS = Number(args.positions);
const DEVICES = Number(args.devices);
const WRITE = Number(args.write);
const CONCURRENCY = Number(args.concurrency);
const ROW = 1000; // positions per staged row (the gateway's shared rows)
const serverUrl = process.env['DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const dbUrl = serverUrl.replace(/\/[^/]*$/, '/fleet_bench_write');

async function main() {
  await dropDatabase(dbUrl).catch(() => undefined);
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  const pool = new pg.Pool({ connectionString: dbUrl, max: CONCURRENCY + 2 });
  try {
    await ensurePositionPartitions(pool);
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
    const times: number[] = [];
    let stored = 0;
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < writes.length) {
          const items = writes[next++];
          const t0 = performance.now();
          const result = await writeBatch(pool, items, { onInserted: async () => undefined });
          times.push(performance.now() - t0);
          stored += result.stored;
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const count = Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM positions')).rows[0].n);
    if (stored !== POSITIONS || count !== POSITIONS)
      throw new Error(`stored ${stored}, counted ${count} of ${POSITIONS}`);
    const baseline = await rawPostgresBaseline(pool, Math.min(POSITIONS, 50_000));
    const sameRows = await sameRowsBaseline(pool, Math.min(POSITIONS, 50_000));
    const rate = POSITIONS / seconds;
    times.sort((a, b) => a - b);
    console.log(
      `worker write statement: ${POSITIONS} positions of ${DEVICES} devices, ${WRITE} a transaction, ${CONCURRENCY} writer(s)`,
    );
    console.log(`  positions/s         ${fmt(rate, 0)}`);
    console.log(`  ms per transaction  p50 ${fmt(percentile(times, 50))}  p99 ${fmt(percentile(times, 99))}`);
    console.log(`  baseline            ${fmt(baseline, 0)} rows/s (${BASELINE_LABEL})`);
    console.log(`  ratio               ${fmt(rate / baseline, 2)}× the baseline`);
    console.log(`  same rows raw       ${fmt(sameRows, 0)} rows/s (${SAME_ROWS_BASELINE_LABEL})`);
    console.log(`  ratio, same rows    ${fmt(rate / sameRows, 2)}×`);
  } finally {
    await pool.end();
    await dropDatabase(dbUrl).catch(() => undefined);
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
