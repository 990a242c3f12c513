/**
 * A child process of bench-live (tools/bench/live-latency.ts): the ingest load, one position a
 * POST /api/v1/positions, open loop. Request k is due at `startAt + k / rate` whatever the answers so
 * far, and its latency counts from that due time, not from when it left: a server (or this process)
 * falling behind shows in the figures instead of slowing the load down. Each vehicle's fixes are a
 * millisecond-exact rising series, so a fix names its position on the SSE stream.
 *
 * Protocol (IPC, see `ToLoad`/`FromLoad`): `start` → `acks` batches of the measured positions (after the
 * warm-up) while it runs → `done` with the counts, then exit.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface ToLoad {
  type: 'start';
  apiUrl: string;
  vehicles: Array<{ id: string; token: string }>;
  rate: number;
  warmupSeconds: number;
  seconds: number;
  /** Epoch ms when the first request is due (the parent's clock, shared by every process). */
  startAt: number;
}

/**
 * One measured position: [vehicle id, fix ts ms, due at, left at, answered 202 at, on a connected socket
 * at] (epoch ms): due → left is this process's lateness, left → on a socket the wait for a connection
 * (the agent's queue, or a new one's TCP connect), then the server's time to its answer.
 */
export type Ack = [string, number, number, number, number, number];

export type FromLoad =
  | { type: 'acks'; items: Ack[] }
  | {
      type: 'done';
      /** Requests sent, answered 202 during the measured window, not answered 202 (whole run; unanswered included). */
      sent: number;
      accepted: number;
      failed: number;
      /** How late this process sent requests behind their due time: p99 and max, ms. */
      lateP99Ms: number;
      lateMaxMs: number;
      /** Why requests failed: HTTP status or error code → count. */
      failures: Record<string, number>;
      /** TCP connections opened (keep-alive: a few, unless the server closes them). */
      connections: number;
    };

const now = () => performance.timeOrigin + performance.now();

const send = (message: FromLoad) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, undefined, {}, () => resolve()) : resolve()));

async function run(o: ToLoad) {
  const base = new URL(o.apiUrl);
  // One kept-alive socket per vehicle, as devices each have their own connection (opened during the
  // warm-up, which sends every vehicle at least one request). One shared pool instead handed each
  // request whichever socket was free and opened new ones whenever the server was slow, so the
  // measured window paid for TCP connects (and the cluster primary passing each socket to a worker).
  const agents = new Map(o.vehicles.map((v) => [v.id, new http.Agent({ keepAlive: true, maxSockets: 1 })]));
  const warmupEnd = o.startAt + o.warmupSeconds * 1000;
  const end = warmupEnd + o.seconds * 1000;
  const total = Math.round(((end - o.startAt) / 1000) * o.rate);
  let batch: Ack[] = [];
  let failed = 0;
  const failures: Record<string, number> = {};
  const fail = (why: string) => {
    failed++;
    failures[why] = (failures[why] ?? 0) + 1;
  };
  let accepted = 0;
  let outstanding = 0;
  let connections = 0;
  const late: number[] = [];
  const lastTs = new Map<string, number>();

  const post = (vehicle: { id: string; token: string }, ts: number, due: number, measured: boolean) => {
    const body = `{"ts":${ts},"lat":${40.3 + (ts % 100_000) / 1e6},"lon":-3.7,"speed":42,"heading":90}`;
    const left = now();
    late.push(left - due);
    outstanding++;
    const req = http.request(
      {
        host: base.hostname,
        port: base.port,
        path: '/api/v1/positions',
        method: 'POST',
        agent: agents.get(vehicle.id),
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          authorization: `Bearer ${vehicle.token}`,
        },
      },
      (res) => {
        const at = now();
        res.resume();
        outstanding--;
        if (res.statusCode !== 202) {
          fail(`HTTP ${res.statusCode}`);
          return;
        }
        if (!measured) return;
        accepted++;
        batch.push([vehicle.id, ts, due, left, at, onSocket]);
      },
    );
    let onSocket = NaN;
    req.on('socket', (socket) => {
      if (!socket.connecting) {
        onSocket = now();
        return;
      }
      connections++;
      socket.once('connect', () => (onSocket = now()));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      outstanding--;
      fail(err.code ?? err.message);
    });
    req.end(body);
  };

  const flush = async () => {
    if (!batch.length) return;
    const items = batch;
    batch = [];
    await send({ type: 'acks', items });
  };
  const flusher = setInterval(() => void flush(), 200);

  let sent = 0;
  let next = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const t = now();
      const due = Math.min(total, Math.floor(((t - o.startAt) / 1000) * o.rate));
      while (sent < due) {
        const dueAt = o.startAt + (sent / o.rate) * 1000;
        const vehicle = o.vehicles[next++ % o.vehicles.length];
        const ts = Math.max(Date.now() - 1_000, (lastTs.get(vehicle.id) ?? 0) + 1);
        lastTs.set(vehicle.id, ts);
        post(vehicle, ts, dueAt, dueAt >= warmupEnd);
        sent++;
      }
      if (sent >= total) resolve();
      else setTimeout(tick, 1);
    };
    const wait = o.startAt - now();
    setTimeout(tick, Math.max(0, wait));
  });
  // The last answers (bounded: a request the server never answers is not waited for forever).
  const deadline = now() + 30_000;
  while (outstanding > 0 && now() < deadline) await new Promise((r) => setTimeout(r, 20));
  clearInterval(flusher);
  await flush();
  late.sort((a, b) => a - b);
  await send({
    type: 'done',
    sent,
    accepted,
    failed: failed + outstanding,
    failures: outstanding ? { ...failures, unanswered: outstanding } : failures,
    connections,
    lateP99Ms: late[Math.max(0, Math.ceil(0.99 * late.length) - 1)] ?? 0,
    lateMaxMs: late[late.length - 1] ?? 0,
  });
  for (const a of agents.values()) a.destroy();
  process.disconnect?.();
  process.exit(0);
}

process.once('message', (m: ToLoad) => {
  if (m.type !== 'start') return;
  void run(m);
});
