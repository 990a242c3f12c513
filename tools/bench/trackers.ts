/**
 * `nx run tools:bench-trackers` — the tracker gateway (apps/trackers) under Teltonika load, end to end,
 * against a raw-PostgreSQL baseline measured in the same run. A script that prints figures, not a test;
 * run it on a quiet machine.
 *
 * It creates a fresh database (fleet_bench_trackers) with one vehicle per simulated device (device
 * identifier = IMEI), starts the gateway (bundled, as production runs it; TRACKER_WORKERS from the
 * environment, else its default: one process per core) and the worker as processes, opens N Teltonika
 * connections (IMEI handshake answered 01) and runs two phases over them:
 *
 * 1. throughput — each connection sends a Codec 8 packet of 10 records (six IO elements each, as an
 *    FMB tracker sends), waits for its acknowledgement and sends the next, for --seconds. Printed:
 *    records acknowledged/s, records stored/s end to end (first packet → last `positions` row committed,
 *    after the worker caught up), and the ratio to a raw-PostgreSQL baseline of the same records: the rows
 *    this run stored, every column (the IO attributes included), inserted with a bare `pg` unnest insert
 *    (1,000 rows a statement, one connection) into a table like `positions`, measured twice, the better
 *    figure kept. Target ≥ 0.5×. For information it also prints the ratio to bench-ingest's baseline (as
 *    many rows of bench-ingest's kind: one vehicle, no attributes), which is cheaper to insert than a
 *    tracker's records whatever the pipeline (docs/performance.md).
 * 2. latency — open loop at a steady --rate records/s spread over the connections (each sends one packet
 *    every connections × records / rate seconds, staggered), whether or not earlier ones were answered.
 *    ACK latency p50/p95/p99 measured at the devices: packet written → its acknowledgement read.
 *    Target p99 < 50 ms.
 *
 * Throughout, the RSS of every gateway process (the cluster primary and each worker: /proc VmRSS) is
 * sampled every 250 ms; target < 250 MB each. Each process's peak is printed on a line of its own, with
 * its peak in each phase (connect, throughput, catch-up while the worker stores the rest, latency). Every acknowledged record must be stored exactly once. The load
 * generator's own CPU and event-loop use are printed with each phase: a generator whose event loop is
 * busy ≥ 90% of the time is the bottleneck, and the figures are then a floor, not the gateway's.
 * Exits non-zero when a target is missed or a record is lost.
 *
 * Options: --connections=N (2000), --records=N per packet (10), --seconds=N throughput phase (20),
 *          --rate=N records/s in the latency phase (2000), --latency-seconds=N (30),
 *          --phase=both|throughput|latency (both), --target-ratio=x (0.5), --target-p99=ms (50),
 *          --target-rss=MB (250)
 * TRACKER_WORKERS=n sets the gateway's processes; the gateway reads the rest of its settings from the
 * environment too (TRACKER_WORKER_MAX_OLD_SPACE_MB=0 TRACKER_WORKER_SEMI_SPACE_MB=0: V8's default heap
 * sizing, for comparison); BENCH_WORKER_X=v passes X=v to the worker.
 *
 * The OsmAnd benchmark (osmand.ts) reuses the process and baseline helpers exported here.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { dropDatabase, ensureDatabase, runMigrations } from '@fleet/db';
import { TeltonikaDevice, type TeltonikaRecord } from '@fleet/ingest/testing';
import { bundleService, freePort } from '@fleet/runtime/testing';
import { crc16 } from 'crc';
import pg from 'pg';
import {
  BASELINE_LABEL,
  bucketQuantiles,
  fmt,
  percentile,
  rawPostgresBaseline,
  SAME_ROWS_BASELINE_LABEL,
  sameRowsBaseline,
  rssMb,
  serviceEnv,
  workerEnv,
} from './stats';

const root = path.resolve(__dirname, '../..');

// ---- helpers shared with osmand.ts --------------------------------------------------------------

/** A benchmark run: its database and Redis key prefix, for the processes it starts. */
export interface BenchRun {
  dbUrl: string;
  redisUrl: string;
  prefix: string;
}

/** A fresh, migrated database named `name` on the server of DATABASE_SERVER_URL (or the local one). */
export async function freshDatabase(name: string): Promise<string> {
  const serverUrl = process.env['DATABASE_SERVER_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbUrl = serverUrl.replace(/\/[^/]*$/, `/${name}`);
  await dropDatabase(dbUrl);
  await ensureDatabase(dbUrl);
  await runMigrations(dbUrl);
  return dbUrl;
}

/** Starts a bundled service (bundleService) with the run's environment (serviceEnv) and `env`. */
export function startBundled(file: string, run: BenchRun, env: Record<string, string>): ChildProcess {
  return spawn(process.execPath, [file], {
    cwd: root,
    env: serviceEnv(run, env),
    stdio: ['ignore', 'ignore', 'inherit'],
  });
}

/** Waits until `url` answers 200; fails at once when `child` exits first. */
export async function waitReady(url: string, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`${url}: the process exited (${child.exitCode ?? child.signalCode}) before it was ready`);
    const ok = await fetch(url).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`not ready after ${timeoutMs} ms: ${url}`);
}

/**
 * Waits until a TCP port accepts connections (a cluster primary may answer /ready before its workers
 * listen); fails at once when `child` exits first.
 */
export async function waitListening(port: number, child: ChildProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`port ${port}: the process exited (${child.exitCode ?? child.signalCode}) before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`port ${port} not listening after ${timeoutMs} ms`);
}

/** SIGTERM to each process, SIGKILL to those still running after `graceMs`. */
export async function stopAll(children: ChildProcess[], graceMs = 15_000): Promise<void> {
  const exited = (c: ChildProcess) =>
    c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once('exit', r));
  for (const c of children) c.kill('SIGTERM');
  const all = Promise.all(children.map(exited));
  const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), graceMs).unref());
  if ((await Promise.race([all, timer])) === 'timeout') for (const c of children) c.kill('SIGKILL');
}

const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** A process's parent pid and CPU seconds used (user + system), from /proc/<pid>/stat; undefined when gone. */
function procStat(pid: number): { ppid: number; cpu: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name (which may hold spaces and parentheses): state ppid … utime(14) stime(15).
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) / CLK_TCK };
  } catch {
    return undefined;
  }
}

/** `pid` and its descendants (a cluster primary and its workers), parents first. */
export function processTree(pid: number | undefined): number[] {
  if (!pid) return [];
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const ppid = procStat(Number(entry))?.ppid;
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/** CPU seconds used so far by processes (those gone count 0). */
export const cpuSeconds = (pids: number[]) => pids.reduce((sum, pid) => sum + (procStat(pid)?.cpu ?? 0), 0);

/** The highest RSS seen per process of a tree, sampled on demand; also per phase of the run (`phase`). */
export class RssPeaks {
  readonly peaks = new Map<number, number>();
  /** Peaks per phase name, per process. */
  readonly phasePeaks = new Map<string, Map<number, number>>();
  /** The phase the next samples belong to. */
  phase = 'start';
  private pids: number[] = [];
  private sinceScan = Infinity;

  constructor(private readonly rootPid: number | undefined) {}

  sample(): void {
    // The process list is rescanned every few samples: a worker restarted by the primary is picked up.
    if (this.sinceScan++ >= 8) {
      this.pids = processTree(this.rootPid);
      this.sinceScan = 0;
    }
    let phase = this.phasePeaks.get(this.phase);
    if (!phase) this.phasePeaks.set(this.phase, (phase = new Map()));
    for (const pid of this.pids) {
      const mb = rssMb(pid);
      if (Number.isNaN(mb)) continue;
      this.peaks.set(pid, Math.max(this.peaks.get(pid) ?? 0, mb));
      phase.set(pid, Math.max(phase.get(pid) ?? 0, mb));
    }
  }

  /** Scans the process tree now (the workers a primary has just forked), then samples. */
  rescan(): void {
    this.sinceScan = Infinity;
    this.sample();
  }

  /** The tree's processes as last scanned (root first). */
  current(): number[] {
    if (!this.pids.length) this.pids = processTree(this.rootPid);
    return this.pids;
  }
}

/** Rows in `positions`. */
export async function countPositions(pool: pg.Pool): Promise<number> {
  return Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM positions')).rows[0].n);
}

/** Waits until `positions` holds at least `expected` rows; answers the last commit time (max received_at). */
export async function waitStored(pool: pg.Pool, expected: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const n = await countPositions(pool);
    if (n >= expected) break;
    if (Date.now() > deadline)
      throw new Error(`only ${n} of ${expected} acknowledged positions stored after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const res = await pool.query<{ at: Date | null }>('SELECT max(received_at) AS at FROM positions');
  return res.rows[0].at?.getTime() ?? Date.now();
}

/** The load generator's CPU (% of one core) and event-loop use over a phase. */
export function generatorMeter() {
  const cpu0 = process.cpuUsage();
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  return () => {
    const cpu = process.cpuUsage(cpu0);
    const seconds = (performance.now() - t0) / 1000;
    const elu = performance.eventLoopUtilization(elu0).utilization;
    return { cpuPct: ((cpu.user + cpu.system) / 1e6 / seconds) * 100, elu };
  };
}

/** Cumulative buckets of the gateway's `tracker_ack_latency_seconds` for Teltonika (all workers summed). */
async function ackLatencyBuckets(metricsUrl: string): Promise<Map<number, number>> {
  const text = await fetch(metricsUrl).then(
    (r) => (r.ok ? r.text() : ''),
    () => '',
  );
  const buckets = new Map<number, number>();
  for (const [, labels, count] of text.matchAll(/^tracker_ack_latency_seconds_bucket\{([^}]*)\} (\d+)/gm)) {
    if (!labels.includes('protocol="teltonika"')) continue;
    const le = /le="([^"]+)"/.exec(labels)?.[1];
    if (!le) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + Number(count));
  }
  return buckets;
}

// ---- the simulated devices ------------------------------------------------------------------------

const IMEI_PREFIX = '35870000';
const imeiOf = (i: number) => `${IMEI_PREFIX}${String(i).padStart(15 - IMEI_PREFIX.length, '0')}`;
// Fixes one second apart per device, starting 12 hours ago: room for 43,200 records a device.
const BASE_TS = Math.floor(Date.now() / 1000) * 1000 - 12 * 3_600_000;
const MAX_RECORDS_PER_DEVICE = 12 * 3_600 - 60;

interface Sent {
  sentAt: number;
  records: number;
}

/**
 * One simulated Teltonika device on its own connection. Its packets are a template built once by
 * TeltonikaDevice (a packet of `records` records with the IO elements an FMB tracker sends) in which
 * each send writes fresh timestamps and latitudes and the CRC: the generator spends a few microseconds
 * a packet instead of encoding it anew.
 */
class BenchDevice {
  readonly device: TeltonikaDevice;
  socket!: net.Socket;
  /** Records sent so far (the next record's timestamp index). */
  seq = 0;
  readonly inFlight: Sent[] = [];
  failed: string | undefined;
  private handshake: { resolve: () => void; reject: (err: Error) => void } | undefined;
  onAck: (sent: Sent, at: number) => void = () => undefined;

  constructor(
    readonly index: number,
    private readonly template: PacketTemplate,
  ) {
    this.device = new TeltonikaDevice(imeiOf(index));
  }

  connect(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.handshake = { resolve, reject };
      this.socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      this.socket.on('connect', () => this.socket.write(this.device.handshake()));
      this.socket.on('data', (chunk: Buffer) => this.read(chunk));
      this.socket.on('error', (err) => this.fail(`socket error: ${err.message}`));
      this.socket.on('close', () => this.fail('closed by the gateway'));
    });
  }

  private fail(reason: string) {
    this.failed ??= reason;
    this.handshake?.reject(new Error(`device ${this.device.imei}: ${reason}`));
    this.handshake = undefined;
  }

  private read(chunk: Buffer) {
    const at = performance.now();
    let answers;
    try {
      answers = this.device.receive(chunk);
    } catch (err) {
      this.fail(`unreadable answer: ${err instanceof Error ? err.message : String(err)}`);
      this.socket.destroy();
      return;
    }
    for (const answer of answers) {
      if (answer.type === 'handshake') {
        if (answer.accepted) this.handshake?.resolve();
        else this.fail('handshake refused (00): IMEI unknown to the gateway');
        this.handshake = undefined;
      } else if (answer.type === 'ack') {
        const sent = this.inFlight.shift();
        if (!sent) this.fail('an acknowledgement for no packet');
        else if (answer.count !== sent.records) this.fail(`acknowledged ${answer.count} of ${sent.records} records`);
        else this.onAck(sent, at);
      }
    }
  }

  /** Sends one packet of fresh records; false when the device has failed or used up its timestamps. */
  send(): boolean {
    if (this.failed || this.socket.destroyed) return false;
    if (this.seq + this.template.records > MAX_RECORDS_PER_DEVICE) {
      this.failed = 'out of timestamps (a run longer than 12 hours of records a device)';
      return false;
    }
    const frame = this.template.fill(this.index, this.seq);
    this.seq += this.template.records;
    this.inFlight.push({ sentAt: performance.now(), records: this.template.records });
    this.socket.write(frame);
    return true;
  }

  close() {
    this.socket.removeAllListeners('close');
    this.socket.destroy();
  }
}

const latOf = (seq: number) => 40.3 + (seq % 5000) / 50_000;
const lonOf = (index: number) => -3.7 + (index % 1000) / 1000;

/** A Codec 8 packet of `records` records whose timestamps, latitudes, longitudes and CRC are rewritten per send. */
class PacketTemplate {
  private readonly frame: Buffer;
  private readonly recordSize: number;

  constructor(readonly records: number) {
    const record = (k: number): TeltonikaRecord => ({
      ts: BASE_TS + k * 1000,
      lat: latOf(k),
      lon: -3.7,
      speed: 42,
      heading: 90,
      altitude: 650,
      satellites: 9,
      // Ignition, movement, GSM signal, external and battery voltage (mV), total odometer (m).
      io: [
        [239, 1],
        [240, 1],
        [21, 4],
        [66, { bytes: 2, value: 12_800 }],
        [67, { bytes: 2, value: 4_100 }],
        [16, { bytes: 4, value: 123_456 }],
      ],
    });
    this.frame = new TeltonikaDevice(imeiOf(0)).packet(Array.from({ length: records }, (_, k) => record(k)));
    // Frame: 4 zero bytes, 4-byte length, data (codec id, count, records…, count), 4-byte CRC.
    const dataLength = this.frame.readUInt32BE(4);
    this.recordSize = (dataLength - 3) / records;
    if (!Number.isInteger(this.recordSize)) throw new Error('packet template: records of unequal size');
  }

  fill(index: number, firstSeq: number): Buffer {
    const out = Buffer.allocUnsafe(this.frame.length);
    this.frame.copy(out);
    const lon = Math.round(lonOf(index) * 1e7);
    for (let k = 0; k < this.records; k++) {
      const at = 8 + 2 + k * this.recordSize;
      out.writeBigUInt64BE(BigInt(BASE_TS + (firstSeq + k) * 1000), at);
      out.writeInt32BE(lon, at + 9);
      out.writeInt32BE(Math.round(latOf(firstSeq + k) * 1e7), at + 13);
    }
    out.writeUInt32BE(crc16(out.subarray(8, out.length - 4)), out.length - 4);
    return out;
  }
}

/** Opens every device's connection, `concurrency` handshakes at a time. */
async function connectAll(devices: BenchDevice[], port: number, concurrency: number): Promise<void> {
  let next = 0;
  const opener = async () => {
    while (next < devices.length) await devices[next++].connect(port);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, devices.length) }, opener));
}

/** Waits until no packet is in flight (or `timeoutMs`); answers how many are still unanswered. */
async function settle(devices: BenchDevice[], timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  const unanswered = () => devices.reduce((n, d) => n + (d.failed ? 0 : d.inFlight.length), 0);
  while (unanswered() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  return unanswered();
}

// ---- the phases --------------------------------------------------------------------------------

interface PhaseResult {
  packets: number;
  recordsAcked: number;
  latenciesMs: number[];
  startedAt: number;
  firstAckAt: number;
  lastAckAt: number;
  unanswered: number;
  generator: { cpuPct: number; elu: number };
  /** CPU seconds of the gateway's processes and of the worker during the phase. */
  gatewayCpu: number;
  workerCpu: number;
  wallSeconds: number;
}

async function throughputPhase(
  devices: BenchDevice[],
  seconds: number,
  cpu: () => { gateway: number; worker: number },
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let acked = 0;
  let packets = 0;
  let firstAckAt = 0;
  let lastAckAt = 0;
  const cpu0 = cpu();
  const meter = generatorMeter();
  const startedAt = Date.now();
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  for (const d of devices) {
    d.onAck = (sent, at) => {
      latencies.push(at - sent.sentAt);
      acked += sent.records;
      lastAckAt = Date.now();
      firstAckAt ||= lastAckAt;
      // As fast as acknowledgements come back: the next packet goes as soon as this one is answered.
      if (at < deadline && d.send()) packets++;
    };
  }
  for (const d of devices) if (d.send()) packets++;
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const unanswered = await settle(devices, 30_000);
  const generator = meter();
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu1 = cpu();
  latencies.sort((a, b) => a - b);
  return {
    packets,
    recordsAcked: acked,
    latenciesMs: latencies,
    startedAt,
    firstAckAt,
    lastAckAt,
    unanswered,
    generator,
    gatewayCpu: cpu1.gateway - cpu0.gateway,
    workerCpu: cpu1.worker - cpu0.worker,
    wallSeconds,
  };
}

/** Open loop: packet n goes at t0 + n × step, device n mod N, whatever happened to earlier ones. */
async function latencyPhase(
  devices: BenchDevice[],
  seconds: number,
  recordsPerSecond: number,
  perPacket: number,
  cpu: () => { gateway: number; worker: number },
): Promise<PhaseResult & { sendLagMs: number[] }> {
  const live = devices.filter((d) => !d.failed);
  if (!live.length) throw new Error('no connection left for the latency phase');
  const stepMs = (perPacket / recordsPerSecond) * 1000;
  const latencies: number[] = [];
  const sendLag: number[] = [];
  let acked = 0;
  let packets = 0;
  let firstAckAt = 0;
  let lastAckAt = 0;
  for (const d of live) {
    d.onAck = (sent, at) => {
      latencies.push(at - sent.sentAt);
      acked += sent.records;
      lastAckAt = Date.now();
      firstAckAt ||= lastAckAt;
    };
  }
  const cpu0 = cpu();
  const meter = generatorMeter();
  const startedAt = Date.now();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  let n = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      for (;;) {
        const due = t0 + n * stepMs;
        if (due >= end) return resolve();
        if (due > now) break;
        sendLag.push(now - due);
        if (live[n % live.length].send()) packets++;
        n++;
      }
      setTimeout(tick, 1);
    };
    tick();
  });
  const unanswered = await settle(live, 30_000);
  const generator = meter();
  const wallSeconds = (performance.now() - t0) / 1000;
  const cpu1 = cpu();
  latencies.sort((a, b) => a - b);
  sendLag.sort((a, b) => a - b);
  return {
    packets,
    recordsAcked: acked,
    latenciesMs: latencies,
    startedAt,
    firstAckAt,
    lastAckAt,
    unanswered,
    generator,
    gatewayCpu: cpu1.gateway - cpu0.gateway,
    workerCpu: cpu1.worker - cpu0.worker,
    wallSeconds,
    sendLagMs: sendLag,
  };
}

// ---- the stand-alone run ---------------------------------------------------------------------------

const pct = (n: number) => `${fmt(n, 0)} %`;
const generatorLine = (g: { cpuPct: number; elu: number }) =>
  `${pct(g.cpuPct)} of a core, event loop ${pct(g.elu * 100)} busy: ${
    g.elu >= 0.9 ? 'SATURATED — the generator is the bottleneck, the figures are a floor' : 'not the bottleneck'
  }`;

async function main() {
  const { values: args } = parseArgs({
    options: {
      connections: { type: 'string', default: '2000' },
      records: { type: 'string', default: '10' },
      seconds: { type: 'string', default: '20' },
      rate: { type: 'string', default: '2000' },
      'latency-seconds': { type: 'string', default: '30' },
      phase: { type: 'string', default: 'both' },
      'target-ratio': { type: 'string', default: '0.5' },
      'target-p99': { type: 'string', default: '50' },
      'target-rss': { type: 'string', default: '250' },
    },
  });
  const CONNECTIONS = Number(args.connections);
  const RECORDS = Number(args.records);
  const targets = {
    ratio: Number(args['target-ratio']),
    p99: Number(args['target-p99']),
    rss: Number(args['target-rss']),
  };
  const phases = { throughput: args.phase !== 'latency', latency: args.phase !== 'throughput' };
  if (!(CONNECTIONS >= 1 && RECORDS >= 1 && RECORDS <= 255)) throw new Error('--connections ≥ 1, --records 1–255');
  if (!['both', 'throughput', 'latency'].includes(args.phase ?? '')) throw new Error('--phase=both|throughput|latency');

  const run: BenchRun = {
    dbUrl: await freshDatabase('fleet_bench_trackers'),
    redisUrl: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379',
    prefix: `bench-trackers:${process.pid}:`,
  };
  const pool = new pg.Pool({ connectionString: run.dbUrl, max: 2 });
  const org = await pool.query<{ id: string }>(
    "INSERT INTO organizations (name, slug) VALUES ('Bench trackers', 'bench-trackers') RETURNING id",
  );
  await pool.query(
    `INSERT INTO vehicles (organization_id, name, device_identifier)
     SELECT $1, imei, imei FROM unnest($2::text[]) AS imei`,
    [org.rows[0].id, Array.from({ length: CONNECTIONS }, (_, i) => imeiOf(i))],
  );
  const ports = { http: await freePort(), teltonika: await freePort(), worker: await freePort() };
  const gateway = startBundled(
    await bundleService('apps/trackers/src/main.ts', { outDir: 'tools/bench', name: 'trackers-gateway' }),
    run,
    {
      PORT: String(ports.http),
      HOST: '127.0.0.1',
      TELTONIKA_PORT: String(ports.teltonika),
      GT06_PORT: 'off',
      H02_PORT: 'off',
    },
  );
  const worker = startBundled(
    await bundleService('apps/worker/src/main.ts', { outDir: 'tools/bench', name: 'trackers-worker' }),
    run,
    { METRICS_PORT: String(ports.worker), HOST: '127.0.0.1', ...workerEnv() },
  );
  const template = new PacketTemplate(RECORDS);
  const devices = Array.from({ length: CONNECTIONS }, (_, i) => new BenchDevice(i, template));
  const failures: string[] = [];
  const rss = new RssPeaks(gateway.pid);
  const workerRss = new RssPeaks(worker.pid);
  const sampler = setInterval(() => {
    rss.sample();
    workerRss.sample();
  }, 250);
  const cpu = () => ({ gateway: cpuSeconds(rss.current()), worker: cpuSeconds(workerRss.current()) });
  let totalAcked = 0;
  try {
    await waitReady(`http://127.0.0.1:${ports.http}/ready`, gateway);
    await waitListening(ports.teltonika, gateway);
    await waitReady(`http://127.0.0.1:${ports.worker}/ready`, worker);
    rss.rescan();
    const gatewayProcesses = rss.current().length;
    console.log(
      `bench-trackers: ${CONNECTIONS.toLocaleString('en-US')} Teltonika connections, Codec 8 packets of ${RECORDS} records, ` +
        `gateway ${gatewayProcesses === 1 ? '1 process' : `${gatewayProcesses} processes (primary + ${gatewayProcesses - 1} workers)`}` +
        ` (TRACKER_WORKERS=${process.env['TRACKER_WORKERS'] ?? 'default'}), machine: ${os.cpus().length} cores`,
    );
    const c0 = Date.now();
    rss.phase = 'connect';
    await connectAll(devices, ports.teltonika, 100);
    console.log(
      `  connected           ${CONNECTIONS.toLocaleString('en-US')} handshakes answered 01 in ${fmt((Date.now() - c0) / 1000, 2)} s`,
    );

    if (phases.throughput) {
      const before = await countPositions(pool);
      rss.phase = 'throughput';
      const r = await throughputPhase(devices, Number(args.seconds), cpu);
      rss.phase = 'catch-up';
      totalAcked += r.recordsAcked;
      const lastCommit = await waitStored(pool, before + r.recordsAcked, 180_000);
      const stored = (await countPositions(pool)) - before;
      const ackedPerSecond = r.recordsAcked / ((r.lastAckAt - r.startedAt) / 1000);
      const storedPerSecond = stored / ((Math.max(lastCommit, r.lastAckAt) - r.startedAt) / 1000);
      // The target's baseline: these very rows, raw (up to 1,000,000 of them, loaded into memory).
      const sameRows = await sameRowsBaseline(pool, Math.min(stored, 1_000_000));
      const ratio = storedPerSecond / sameRows;
      const base = await rawPostgresBaseline(pool, Math.max(1000, r.recordsAcked));
      console.log();
      console.log(
        `[throughput] every connection: a packet, its acknowledgement, the next packet, for ${args.seconds} s`,
      );
      console.log(
        `  acknowledged        ${r.recordsAcked.toLocaleString('en-US')} records in ${r.packets.toLocaleString('en-US')} packets: ${fmt(ackedPerSecond, 0)} records/s`,
      );
      console.log(
        `  stored end to end   ${stored.toLocaleString('en-US')} rows: ${fmt(storedPerSecond, 0)} records/s (first packet → last row committed, ${fmt((Math.max(lastCommit, r.lastAckAt) - r.startedAt) / 1000, 2)} s)`,
      );
      console.log(
        `  ACK latency         p50 ${fmt(percentile(r.latenciesMs, 50), 1)} ms, p99 ${fmt(percentile(r.latenciesMs, 99), 1)} ms (closed loop, saturated: for information)`,
      );
      console.log(`  raw PostgreSQL      ${fmt(sameRows, 0)} rows/s (${SAME_ROWS_BASELINE_LABEL})`);
      console.log(`  ratio               ${fmt(ratio, 2)}× that baseline (target ≥ ${targets.ratio})`);
      console.log(`  bench-ingest's      ${fmt(base, 0)} rows/s (${BASELINE_LABEL}, same number of rows)`);
      console.log(
        `  ratio to it         ${fmt(storedPerSecond / base, 2)}× (for information: rows without attributes, of one vehicle)`,
      );
      console.log(
        `  CPU                 gateway ${pct((r.gatewayCpu / r.wallSeconds) * 100)} of a core, worker ${pct((r.workerCpu / r.wallSeconds) * 100)}`,
      );
      console.log(`  load generator      ${generatorLine(r.generator)}`);
      if (!(ratio >= targets.ratio))
        failures.push(`records/s end to end ${fmt(ratio, 2)}× the same rows raw < ${targets.ratio}×`);
      if (r.unanswered) failures.push(`${r.unanswered} throughput packets unanswered 30 s after the load`);
      if (stored !== r.recordsAcked) failures.push(`${stored} rows stored for ${r.recordsAcked} records acknowledged`);
    }

    if (phases.latency) {
      const before = await countPositions(pool);
      const seconds = Number(args['latency-seconds']);
      const rate = Number(args.rate);
      const metricsUrl = `http://127.0.0.1:${ports.http}/metrics`;
      const gatewayBefore = await ackLatencyBuckets(metricsUrl);
      rss.phase = 'latency';
      const r = await latencyPhase(devices, seconds, rate, RECORDS, cpu);
      rss.phase = 'catch-up';
      const gatewayView = bucketQuantiles(gatewayBefore, await ackLatencyBuckets(metricsUrl));
      totalAcked += r.recordsAcked;
      await waitStored(pool, before + r.recordsAcked, 120_000);
      const stored = (await countPositions(pool)) - before;
      const achieved = (r.packets * RECORDS) / seconds;
      const p = (q: number) => fmt(percentile(r.latenciesMs, q), 1);
      const p99 = percentile(r.latenciesMs, 99);
      console.log();
      console.log(
        `[latency] open loop, ${fmt(rate, 0)} records/s for ${seconds} s: each connection a packet every ${fmt((CONNECTIONS * RECORDS) / rate, 1)} s, staggered`,
      );
      console.log(
        `  sent                ${(r.packets * RECORDS).toLocaleString('en-US')} records in ${r.packets.toLocaleString('en-US')} packets: ${fmt(achieved, 0)} records/s; ${r.recordsAcked.toLocaleString('en-US')} acknowledged, ${stored.toLocaleString('en-US')} stored`,
      );
      console.log(
        `  ACK latency         p50 ${p(50)} ms, p95 ${p(95)} ms, p99 ${p(99)} ms, max ${p(100)} ms (packet written → acknowledgement read, at the devices; target p99 < ${targets.p99} ms)`,
      );
      if (gatewayView.batches)
        console.log(
          `  gateway's own view  p50 ${fmt(gatewayView.p50, 1)} ms, p99 ${fmt(gatewayView.p99, 1)} ms (tracker_ack_latency_seconds: frame decoded → acknowledgement written, interpolated in its buckets)`,
        );
      const lateP99 = percentile(r.sendLagMs, 99);
      console.log(
        `  generator timing    sends p99 ${fmt(lateP99, 1)} ms late on their schedule${
          lateP99 > 10 && r.generator.elu < 0.9
            ? ' (its event loop was not busy: the machine did not give it a core in time)'
            : ''
        }`,
      );
      console.log(
        `  CPU                 gateway ${pct((r.gatewayCpu / r.wallSeconds) * 100)} of a core, worker ${pct((r.workerCpu / r.wallSeconds) * 100)}`,
      );
      console.log(`  load generator      ${generatorLine(r.generator)}`);
      if (!(p99 < targets.p99)) failures.push(`ACK latency p99 ${fmt(p99, 1)} ms ≥ ${targets.p99} ms`);
      if (achieved < rate * 0.95) failures.push(`the latency phase sent ${fmt(achieved, 0)} records/s, not ${rate}`);
      if (r.unanswered) failures.push(`${r.unanswered} latency packets unanswered 30 s after the load`);
      if (stored !== r.recordsAcked) failures.push(`${stored} rows stored for ${r.recordsAcked} records acknowledged`);
    }

    const broken = devices.filter((d) => d.failed);
    if (broken.length)
      failures.push(`${broken.length} connections failed (first: ${broken[0].device.imei} ${broken[0].failed})`);
    rss.sample();
    const [primary] = rss.current();
    const peaks = [...rss.peaks.entries()];
    const label = (pid: number) => (pid === primary ? `primary ${pid}` : `worker ${pid}`);
    const byPhase = (pid: number) =>
      [...rss.phasePeaks]
        .filter(([, phase]) => phase.has(pid))
        .map(([name, phase]) => `${name} ${fmt(phase.get(pid) ?? 0, 0)}`)
        .join(', ');
    console.log();
    console.log(
      `peak RSS              each gateway process (VmRSS sampled every 250 ms; target < ${targets.rss} MB each):`,
    );
    for (const [pid, mb] of peaks)
      console.log(
        `    gateway ${label(pid).padEnd(15)} ${fmt(mb, 0).padStart(5)} MB ${mb < targets.rss ? 'ok  ' : 'OVER'} (per phase, MB: ${byPhase(pid)})`,
      );
    console.log(
      `    worker (apps/worker)    ${fmt(Math.max(0, ...workerRss.peaks.values()), 0).padStart(5)} MB      (no target)`,
    );
    for (const [pid, mb] of peaks)
      if (!(mb < targets.rss)) failures.push(`gateway ${label(pid)} RSS ${fmt(mb, 0)} MB ≥ ${targets.rss} MB`);
    const total = await countPositions(pool);
    console.log(
      `stored exactly once   ${total.toLocaleString('en-US')} rows for ${totalAcked.toLocaleString('en-US')} records acknowledged`,
    );
    if (total !== totalAcked) failures.push(`${total} rows in positions for ${totalAcked} records acknowledged`);
    // The rewritten packets decode to what was meant: one device's rows, their times and places.
    const probe = devices.find((d) => !d.failed && d.seq > 0);
    if (probe) {
      const res = await pool.query<{ n: string; first: Date; last: Date; lon_min: number; lon_max: number }>(
        `SELECT count(*) AS n, min(p.ts) AS first, max(p.ts) AS last,
                min(ST_X(p.point)) AS lon_min, max(ST_X(p.point)) AS lon_max
           FROM positions p JOIN vehicles v ON v.id = p.vehicle_id WHERE v.device_identifier = $1`,
        [probe.device.imei],
      );
      const row = res.rows[0];
      const lon = lonOf(probe.index);
      const ok =
        Number(row.n) === probe.seq &&
        row.first.getTime() === BASE_TS &&
        row.last.getTime() === BASE_TS + (probe.seq - 1) * 1000 &&
        Math.abs(row.lon_min - lon) < 1e-6 &&
        Math.abs(row.lon_max - lon) < 1e-6;
      if (!ok)
        failures.push(
          `device ${probe.device.imei}: ${row.n} rows ${row.first?.toISOString()}…${row.last?.toISOString()} lon ${row.lon_min}…${row.lon_max}, expected ${probe.seq} rows from ${new Date(BASE_TS).toISOString()} at lon ${lon}`,
        );
    }
  } finally {
    clearInterval(sampler);
    for (const d of devices) if (d.socket) d.close();
    await stopAll([gateway, worker]);
    await pool.end();
    await dropDatabase(run.dbUrl).catch(() => undefined);
  }
  console.log(failures.length ? `FAIL: ${failures.join('; ')}` : 'PASS: every target met');
  process.exit(failures.length ? 1 : 0);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`bench-trackers failed: ${err instanceof Error ? err.stack : String(err)}`);
    process.exit(1);
  });
}
