/**
 * The phone's tracker core (@fleet/tracker: SQLite queue, uploader) against a real SQLite (sql.js,
 * the same SQL as expo-sqlite on the phone) and the real API + worker: nothing queued is lost, and
 * nothing is stored twice, through an offline backlog, an API restart, a killed app, a 503 with
 * Retry-After and an invalid fix. Here rather than in libs/tracker: it needs the API's test stack.
 */
import { FleetApi } from '@fleet/api-client';
import type { PositionInput } from '@fleet/contracts';
import { waitFor } from '@fleet/runtime/testing';
import { FixQueue, fromLocation, ResponseHints, Uploader, type UploaderOptions } from '@fleet/tracker';
import { SqlJsDatabase, type SqlJsPersistence } from '@fleet/tracker/testing';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { startTestApi, type StartedApi } from './testing/harness';
import { startIngestStack, type IngestStack } from './testing/ingest-stack';
import type { TestVehicle } from './testing/fixtures';

let stack: IngestStack;
/** APIs this suite restarted: the stack stops only the one it started. */
const restartedApis: StartedApi[] = [];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mobile-tracker-'));

beforeAll(async () => {
  stack = await startIngestStack('mobile-tracker', { count: 5, slug: 'mobile-tracker' });
}, 60_000);
afterAll(async () => {
  for (const api of restartedApis) await api.api.stop();
  await stack?.stop();
  fs.rmSync(tmp, { recursive: true, force: true });
});

jest.setTimeout(120_000);

/** `count` fixes one second apart within the last hours, converted from expo-location's shape (m/s, iOS −1). */
function drive(count: number, startMs = Date.now() - 4 * 3600_000): PositionInput[] {
  return Array.from({ length: count }, (_, i) => {
    const fix = fromLocation({
      coords: {
        latitude: 40.4 + i * 1e-5,
        longitude: -3.7 + i * 1e-5,
        speed: i % 10 === 0 ? -1 : 12.5,
        heading: i % 10 === 0 ? -1 : 45,
        accuracy: 6,
        altitude: 650,
      },
      timestamp: startMs + i * 1000,
    });
    if (!fix) throw new Error('fix expected');
    return fix;
  });
}

/** Rows of the vehicle, and how many distinct timestamps among them (equal: nothing stored twice). */
async function stored(vehicle: TestVehicle): Promise<{ rows: number; distinct: number }> {
  const res = await stack.db.query<{ rows: string; distinct: string }>(
    'SELECT count(*) AS rows, count(DISTINCT ts) AS distinct FROM positions WHERE vehicle_id = $1',
    [vehicle.id],
  );
  return { rows: Number(res.rows[0].rows), distinct: Number(res.rows[0].distinct) };
}

async function expectStoredOnce(vehicle: TestVehicle, count: number): Promise<void> {
  await waitFor(async () => (await stored(vehicle)).rows >= count, {
    timeoutMs: 30_000,
    what: `${count} positions stored`,
  });
  // A late duplicate would show up after the worker's next read (INGEST_BLOCK_MS 100): give it time.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(await stored(vehicle)).toEqual({ rows: count, distinct: count });
}

function filePersistence(file: string): SqlJsPersistence {
  return {
    load: () => (fs.existsSync(file) ? fs.readFileSync(file) : undefined),
    // Written beside, then renamed: a kill never leaves half a file (SQLite's journal does this on the phone).
    save: (bytes) => {
      fs.writeFileSync(`${file}.tmp`, bytes);
      fs.renameSync(`${file}.tmp`, file);
    },
  };
}

function uploaderFor(
  queue: FixQueue,
  vehicle: TestVehicle,
  options: { baseUrl?: string; fetch?: typeof fetch } & Partial<UploaderOptions> = {},
) {
  const hints = new ResponseHints();
  const api = new FleetApi({
    baseUrl: options.baseUrl ?? stack.t.base,
    getToken: () => vehicle.token,
    fetch: hints.wrap(options.fetch ?? fetch),
  });
  return new Uploader({ queue, api, hints, backoff: { baseMs: 100, maxMs: 1000 }, ...options });
}

describe('mobile tracker queue and uploader against the API and worker', () => {
  it('delivers 10,000 fixes queued offline, each stored exactly once, speeds in km/h', async () => {
    const vehicle = stack.fleet[0];
    const queue = await FixQueue.open(await SqlJsDatabase.open());
    const fixes = drive(10_000);
    for (let i = 0; i < fixes.length; i += 500) await queue.enqueueMany(fixes.slice(i, i + 500));
    expect(await queue.count()).toBe(10_000);
    const result = await uploaderFor(queue, vehicle).drain();
    expect(result).toMatchObject({ end: 'empty', sent: 10_000, quarantined: 0, requests: 10 });
    expect(await queue.count()).toBe(0);
    await expectStoredOnce(vehicle, 10_000);
    const speeds = await stack.db.query<{ speed_kmh: number | null; heading: number | null }>(
      'SELECT speed_kmh, heading FROM positions WHERE vehicle_id = $1 AND ts = ANY($2::timestamptz[]) ORDER BY ts',
      [vehicle.id, [fixes[0].ts, fixes[1].ts]],
    );
    // iOS's −1 arrived as unknown, 12.5 m/s as 45 km/h.
    expect(speeds.rows).toEqual([
      { speed_kmh: null, heading: null },
      { speed_kmh: 45, heading: 45 },
    ]);
  });

  it('loses and duplicates nothing when the API stops mid-upload and comes back', async () => {
    const vehicle = stack.fleet[1];
    const queue = await FixQueue.open(await SqlJsDatabase.open());
    await queue.enqueueMany(drive(5_000));
    const port = stack.t.api.port;
    let answered = 0;
    let restarted: Promise<StartedApi> | undefined;
    const fetchWithOutage: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      // After the second batch is answered, the API goes down for a second (its in-flight work drains).
      if (res.status === 202 && ++answered === 2)
        restarted = (async () => {
          await stack.t.api.stop();
          await new Promise((resolve) => setTimeout(resolve, 1000));
          return startTestApi(
            { DATABASE_URL: stack.testDb.url, PORT: String(port) },
            { keyPrefix: `test:mobile-tracker:${process.pid}:` },
          );
        })();
      return res;
    };
    const uploader = uploaderFor(queue, vehicle, { fetch: fetchWithOutage });
    const result = await uploader.drain();
    const again = await restarted;
    try {
      expect(again).toBeDefined();
      expect(result).toMatchObject({ end: 'empty', sent: 5_000 });
      expect(result.retries).toBeGreaterThan(0);
      expect(uploader.status.lastError?.status).toBeDefined();
      expect(await queue.count()).toBe(0);
      await expectStoredOnce(vehicle, 5_000);
    } finally {
      // Same port, so the other tests' base URL still holds; the stack stops only the first API.
      if (again) {
        restartedApis.push(again);
        stack.t = again;
      }
    }
  });

  it('resumes after the app is killed mid-upload: the saved queue is sent again and stored once', async () => {
    const vehicle = stack.fleet[2];
    const file = path.join(tmp, 'killed.sqlite');
    const first = await FixQueue.open(await SqlJsDatabase.open(filePersistence(file)));
    await first.enqueueMany(drive(4_500));
    // The fourth batch reaches the server and is accepted, then the app dies before deleting it.
    let requests = 0;
    let died!: () => void;
    const death = new Promise<void>((resolve) => (died = resolve));
    const dying: typeof fetch = async (input, init) => {
      const res = await fetch(input, init);
      if (++requests === 4) {
        died();
        return new Promise<Response>(() => undefined); // never answers: the process is gone
      }
      return res;
    };
    void uploaderFor(first, vehicle, { fetch: dying }).drain();
    await death;
    // A new process: the same file, a new connection, queue and uploader; the old ones are dropped.
    const queue = await FixQueue.open(await SqlJsDatabase.open(filePersistence(file)));
    expect(await queue.count()).toBe(1_500); // 3 batches deleted after their 202; the 4th still queued
    const result = await uploaderFor(queue, vehicle).drain();
    expect(result).toMatchObject({ end: 'empty', sent: 1_500 });
    await expectStoredOnce(vehicle, 4_500);
    expect(await (await FixQueue.open(await SqlJsDatabase.open(filePersistence(file)))).count()).toBe(0);
  });

  it('honours Retry-After on a 503 from a proxy in front of the API, then delivers everything', async () => {
    const vehicle = stack.fleet[3];
    const seen: Array<{ at: number; refused: boolean }> = [];
    let refuse = 2;
    const proxy = http.createServer((req, res) => {
      if (refuse > 0) {
        refuse--;
        seen.push({ at: Date.now(), refused: true });
        req.resume();
        res.writeHead(503, { 'retry-after': '1', 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'unavailable', message: 'maintenance' } }));
        return;
      }
      seen.push({ at: Date.now(), refused: false });
      const upstream = http.request(
        `${stack.t.base}${req.url}`,
        { method: req.method, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const queue = await FixQueue.open(await SqlJsDatabase.open());
      await queue.enqueueMany(drive(1_200));
      // A backoff far longer than the header: finishing in seconds shows the header was used.
      const uploader = uploaderFor(queue, vehicle, {
        baseUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
        backoff: { baseMs: 60_000, maxMs: 120_000 },
      });
      const result = await uploader.drain();
      expect(result).toMatchObject({ end: 'empty', sent: 1_200, retries: 2 });
      expect(seen.map((s) => s.refused)).toEqual([true, true, false, false]);
      const gaps = seen.slice(1).map((s, i) => s.at - seen[i].at);
      expect(gaps[0]).toBeGreaterThanOrEqual(990);
      expect(gaps[1]).toBeGreaterThanOrEqual(990);
      expect(gaps[0]).toBeLessThan(5_000);
      await expectStoredOnce(vehicle, 1_200);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it('quarantines the one fix the server refuses, with its reason, and delivers the rest', async () => {
    const vehicle = stack.fleet[4];
    const queue = await FixQueue.open(await SqlJsDatabase.open());
    const fixes = drive(1_500);
    // A phone whose clock ran two days ahead for one fix.
    fixes[1_137] = { ...fixes[1_137], ts: new Date(Date.now() + 2 * 86_400_000).toISOString() };
    await queue.enqueueMany(fixes);
    const result = await uploaderFor(queue, vehicle).drain();
    expect(result).toMatchObject({ end: 'empty', sent: 1_499, quarantined: 1 });
    const quarantined = await queue.quarantined();
    expect(quarantined).toHaveLength(1);
    expect(quarantined[0].fix).toEqual(fixes[1_137]);
    expect(quarantined[0].reason).toMatch(/^positions\.137\.ts: .*future/);
    await expectStoredOnce(vehicle, 1_499);
  });
});
