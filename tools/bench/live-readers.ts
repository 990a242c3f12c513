/**
 * A child process of bench-live (tools/bench/live-latency.ts): a share of the SSE clients, so that
 * reading 200 streams neither competes with the load generator nor runs in the process that adds
 * up the figures. Measuring clients parse every event and report when each position arrived; the
 * others only count their bytes. Times are epoch milliseconds with sub-millisecond resolution
 * (`performance.timeOrigin + performance.now()`), comparable across the benchmark's processes.
 *
 * Protocol (IPC, see `ToReaders`/`FromReaders`): `connect` → one `connected` once every stream has
 * its `retry:` hint (subscribed: nothing is missed from then on); `arrivals` batches while it runs;
 * `stop` → a last `arrivals`, `bytes`, exit.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';
// The one SSE parser (the apps' own): the benchmark reads the stream as the map does.
import { EventStreamParser } from '@fleet/api-client';
import { LIVE_EVENT } from '@fleet/contracts';

export type ToReaders =
  | {
      type: 'connect';
      apiUrl: string;
      accessToken: string;
      /** This process's clients: their index over every reader process, and whether each one measures. */
      clients: Array<{ index: number; measures: boolean }>;
    }
  | { type: 'stop' };

/** One arrival: [measuring client index, vehicle id, fix ts ms, live-log id ms (published), arrived at]. */
export type Arrival = [number, string, number, number, number];

export type FromReaders =
  | { type: 'connected' }
  | { type: 'arrivals'; items: Arrival[] }
  | { type: 'bytes'; perClient: number[] }
  | { type: 'error'; message: string };

const now = () => performance.timeOrigin + performance.now();

const send = (message: FromReaders) =>
  new Promise<void>((resolve) => (process.send ? process.send(message, undefined, {}, () => resolve()) : resolve()));

function connectClient(
  base: URL,
  accessToken: string,
  onArrival: ((vehicleId: string, ts: number, publishedAt: number, at: number) => void) | undefined,
): Promise<{ bytes: () => number; close: () => void }> {
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const parser = onArrival && new EventStreamParser();
    const req = http.get(
      {
        host: base.hostname,
        port: base.port,
        path: '/api/v1/live',
        headers: { authorization: `Bearer ${accessToken}`, accept: 'text/event-stream' },
        agent: false,
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`SSE connection answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        let opened = false;
        res.on('data', (chunk: string) => {
          const at = now();
          bytes += chunk.length;
          if (!opened && chunk.includes('retry:')) {
            // The hint is written once the API has subscribed: from now on nothing is missed.
            opened = true;
            resolve({ bytes: () => bytes, close: () => req.destroy() });
          }
          if (!parser || !onArrival) return;
          for (const e of parser.feed(chunk)) {
            if (e.event !== LIVE_EVENT.position) continue;
            const p = JSON.parse(e.data) as { vehicleId: string; ts: string };
            // The live-log id is `<Redis ms>-<seq>`, stamped by XADD as the worker publishes.
            const published = e.id ? Number(e.id.slice(0, e.id.indexOf('-'))) : NaN;
            onArrival(p.vehicleId, Date.parse(p.ts), published, at);
          }
        });
      },
    );
    req.on('error', reject);
  });
}

async function run(start: Extract<ToReaders, { type: 'connect' }>) {
  const base = new URL(start.apiUrl);
  let batch: Arrival[] = [];
  const clients: Array<{ bytes: () => number; close: () => void }> = [];
  for (const c of start.clients) {
    const record = c.measures
      ? (vehicleId: string, ts: number, publishedAt: number, at: number) =>
          batch.push([c.index, vehicleId, ts, publishedAt, at])
      : undefined;
    clients.push(await connectClient(base, start.accessToken, record));
  }
  await send({ type: 'connected' });
  const flush = async () => {
    if (!batch.length) return;
    const items = batch;
    batch = [];
    await send({ type: 'arrivals', items });
  };
  const timer = setInterval(() => void flush(), 200);
  process.on('message', (m: ToReaders) => {
    if (m.type !== 'stop') return;
    clearInterval(timer);
    void (async () => {
      await flush();
      await send({ type: 'bytes', perClient: clients.map((c) => c.bytes()) });
      for (const c of clients) c.close();
      process.disconnect?.();
      process.exit(0);
    })();
  });
}

process.once('message', (m: ToReaders) => {
  if (m.type !== 'connect') return;
  run(m).catch(async (err: unknown) => {
    await send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    process.exit(1);
  });
});
