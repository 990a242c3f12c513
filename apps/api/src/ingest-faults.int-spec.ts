import { ensureDatabase, runMigrations } from '@fleet/db';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { DEFAULT_STREAMS, publishStaged, stageBatch, type NormalizedPosition } from '@fleet/queue-replay';
import { runSource, startOwnPostgres, startOwnRedis, waitFor, type OwnServer } from '@fleet/runtime/testing';
import IORedis from 'ioredis';
import pg from 'pg';
import {
  countPositions,
  createFleet,
  startWorkerProcess,
  type TestVehicle,
  type WorkerProcess,
} from './testing/fixtures';
import { startTestApi, type StartedApi } from './testing/harness';
import { sendBatches } from './testing/load';

const startTs = Date.now() - 20 * 3_600_000;

async function unprocessed(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number(
      (await client.query('SELECT count(*) AS n FROM ingest_staging WHERE processed_at IS NULL')).rows[0].n,
    );
  } finally {
    await client.end();
  }
}

async function duplicates(url: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const res = await client.query(
      'SELECT count(*) AS n FROM (SELECT vehicle_id, ts FROM positions GROUP BY 1, 2 HAVING count(*) > 1) d',
    );
    return Number(res.rows[0].n);
  } finally {
    await client.end();
  }
}

describe('ingestion under faults: every position answered 202 is stored exactly once', () => {
  jest.setTimeout(180_000);

  it('(a) survives kill -9 of the worker in the middle of a 100k-position run', async () => {
    const testDb: TestDatabase = await createTestDatabase('fault-kill');
    const prefix = `test:fault-kill:${process.pid}:`;
    const fleet = await createFleet(testDb.url, { count: 10, slug: 'kill' });
    const t: StartedApi = await startTestApi({ DATABASE_URL: testDb.url }, { keyPrefix: prefix });
    const workerEnv = {
      DATABASE_URL: testDb.url,
      REDIS_KEY_PREFIX: prefix,
      INGEST_CLAIM_IDLE_MS: '1000',
      INGEST_BLOCK_MS: '200',
    };
    let worker: WorkerProcess = await startWorkerProcess(workerEnv);
    let restarted: Promise<WorkerProcess> | undefined;
    try {
      const sent = await sendBatches({
        base: t.base,
        vehicles: fleet,
        batches: 200,
        perBatch: 500,
        concurrency: 4,
        startTs,
        onProgress: async (done) => {
          if (done === 80) {
            await worker.kill();
            restarted = startWorkerProcess(workerEnv);
          }
        },
      });
      expect(sent.accepted).toBe(100_000);
      worker = await restarted!;
      await waitFor(async () => (await countPositions(testDb.url)) === 100_000, {
        timeoutMs: 90_000,
        what: '100k positions stored',
      });
      await waitFor(async () => (await unprocessed(testDb.url)) === 0, { timeoutMs: 10_000, what: 'staging drained' });
      expect(await countPositions(testDb.url)).toBe(100_000);
      expect(await duplicates(testDb.url)).toBe(0);
    } finally {
      await worker.stop();
      await t.api.stop();
      await testDb.drop();
    }
  });

  it('(b) survives FLUSHALL of Redis mid-run, then a replay from staging', async () => {
    const testDb = await createTestDatabase('fault-flush');
    const redis: OwnServer = await startOwnRedis();
    const fleet = await createFleet(testDb.url, { count: 5, slug: 'flush' });
    const t = await startTestApi({ DATABASE_URL: testDb.url, REDIS_URL: redis.url });
    const env = { DATABASE_URL: testDb.url, REDIS_URL: redis.url, INGEST_BLOCK_MS: '200' };
    const worker = await startWorkerProcess(env);
    const admin = new IORedis(redis.url);
    const runStarted = new Date();
    try {
      const sent = await sendBatches({
        base: t.base,
        vehicles: fleet,
        batches: 60,
        perBatch: 500,
        concurrency: 3,
        startTs,
        onProgress: async (done) => {
          if (done === 30) await admin.flushall();
        },
      });
      expect(sent.accepted).toBe(30_000);
      const replay = runSource('apps/worker/src/cli/replay.ts', env, [`--since=${runStarted.toISOString()}`]);
      expect(replay.status).toBe(0);
      expect(replay.stdout).toMatch(/republished \d+/);
      await waitFor(async () => (await countPositions(testDb.url)) === 30_000, {
        timeoutMs: 60_000,
        what: '30k positions stored',
      });
      await waitFor(async () => (await unprocessed(testDb.url)) === 0, { timeoutMs: 10_000, what: 'staging drained' });
      expect(await duplicates(testDb.url)).toBe(0);
    } finally {
      admin.disconnect();
      await worker.stop();
      await t.api.stop();
      await redis.destroy();
      await testDb.drop();
    }
  });

  it('(c) answers 503 while PostgreSQL is down and loses nothing that got a 202', async () => {
    const server: OwnServer = await startOwnPostgres();
    const url = server.url.replace(/\/postgres$/, '/fleet');
    const prefix = `test:fault-pg:${process.pid}:`;
    let t: StartedApi | undefined;
    let worker: WorkerProcess | undefined;
    try {
      await ensureDatabase(url);
      await runMigrations(url);
      const fleet = await createFleet(url, { count: 4, slug: 'pgdown' });
      t = await startTestApi({ DATABASE_URL: url }, { keyPrefix: prefix });
      worker = await startWorkerProcess({
        DATABASE_URL: url,
        REDIS_KEY_PREFIX: prefix,
        INGEST_CLAIM_IDLE_MS: '1000',
        INGEST_BLOCK_MS: '200',
      });
      const w = worker;
      const sent = await sendBatches({
        base: t.base,
        vehicles: fleet,
        batches: 90,
        perBatch: 100,
        concurrency: 2,
        startTs,
        onProgress: async (done) => {
          if (done === 30) await server.stop();
          if (done === 60) await server.start();
        },
      });
      expect(sent.statuses[503]).toBeGreaterThan(0);
      expect(sent.retryAfterSeen).toBe(true);
      expect(Object.keys(sent.statuses).sort()).toEqual(['202', '503']);
      expect(sent.accepted).toBeGreaterThan(0);
      await waitFor(async () => (await countPositions(url).catch(() => -1)) === sent.accepted, {
        timeoutMs: 60_000,
        what: `${sent.accepted} positions stored`,
      }).catch(async (err) => {
        console.log(JSON.stringify(sent), await countPositions(url), await unprocessed(url), w.output().slice(-5000));
        throw err;
      });
      await waitFor(async () => (await unprocessed(url)) === 0, { timeoutMs: 10_000, what: 'staging drained' });
      expect(await duplicates(url)).toBe(0);
    } finally {
      await worker?.stop();
      await t?.api.stop();
      await server.destroy();
    }
  });

  it('(d) 50,000 fixes over every protocol with 1 % poison values, a worker kill -9 and a FLUSHALL + replay: every 2xx stored once, poison handled as documented, dead letters only for poison', async () => {
    const testDb = await createTestDatabase('fault-poison');
    const redis: OwnServer = await startOwnRedis();
    const fleet = await createFleet(testDb.url, { count: 12, slug: 'poison' });
    const t = await startTestApi({ DATABASE_URL: testDb.url, REDIS_URL: redis.url });
    const env = {
      DATABASE_URL: testDb.url,
      REDIS_URL: redis.url,
      INGEST_BLOCK_MS: '200',
      INGEST_CLAIM_IDLE_MS: '1000',
    };
    let worker: WorkerProcess = await startWorkerProcess(env);
    const admin = new IORedis(redis.url);
    const db = new pg.Pool({ connectionString: testDb.url, max: 2 });
    const runStarted = new Date();
    const base = Date.now() - 10 * 3_600_000;
    const seq = new Map<string, number>();
    /** The next `n` timestamps (ms) of a vehicle: unique per vehicle across the run. */
    const times = (v: TestVehicle, n: number) => {
      const first = seq.get(v.id) ?? 0;
      seq.set(v.id, first + n);
      return Array.from({ length: n }, (_, i) => base + (first + i) * 1000);
    };
    const poisonAt = (i: number) => i % 100 === 37; // 1 %
    const expected = { stored: 0, altitudeDropped: new Map<string, number>() };
    const dropped = (v: TestVehicle) =>
      expected.altitudeDropped.set(v.id, (expected.altitudeDropped.get(v.id) ?? 0) + 1);
    const statuses: Record<string, Record<number, number>> = {};
    const seen = (protocol: string, status: number) => {
      statuses[protocol] ??= {};
      statuses[protocol][status] = (statuses[protocol][status] ?? 0) + 1;
    };
    const post = async (protocol: string, url: string, body: string, headers: Record<string, string>) => {
      const res = await fetch(url, { method: 'POST', headers, body });
      const text = await res.text();
      seen(protocol, res.status);
      return { status: res.status, text };
    };
    const bearer = (v: TestVehicle) => ({ authorization: `Bearer ${v.token}` });
    const inParallel = async (n: number, jobs: Array<() => Promise<void>>) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: n }, async () => {
          while (next < jobs.length) await jobs[next++]();
        }),
      );
    };
    const [json1, json2, json3, json4, over1, over2, osm1, osm2, own, gpx1, gpx2, staged] = fleet;
    const fleetRefusals: string[] = [];

    // Fleet JSON, 30,000 fixes in 60 requests; its 1 % poison (speed 1e-50, altitude 1e300) sent on
    // its own, since one bad fix refuses a Fleet JSON request whole (400 naming the field).
    const fleetJson = (v: TestVehicle) => async () => {
      const ts = times(v, 505);
      const positions = ts.map((at, i) => ({
        ts: new Date(at).toISOString(),
        lat: 40 + (i % 1000) / 10_000,
        lon: -3.7,
        altitude: 600,
        ...(poisonAt(i) && (i % 2 ? { speed: 1e-50 } : { altitude: 1e300 })),
      }));
      const good = positions.filter((_, i) => !poisonAt(i));
      const res = await post('fleet-json', `${t.base}/api/v1/positions`, JSON.stringify({ positions: good }), {
        'content-type': 'application/json',
        ...bearer(v),
      });
      if (res.status === 202) expected.stored += good.length;
      for (const poison of positions.filter((_, i) => poisonAt(i))) {
        const bad = await post('fleet-json', `${t.base}/api/v1/positions`, JSON.stringify(poison), {
          'content-type': 'application/json',
          ...bearer(v),
        });
        if (bad.status !== 400) fleetRefusals.push(`${bad.status} ${bad.text}`);
        else fleetRefusals.push(...(JSON.parse(bad.text).error.details ?? []).map((d: { path: string }) => d.path));
      }
    };
    // Overland, 10,000 points in 20 batches; poison altitude 1e300: dropped, the point stored.
    const overland = (v: TestVehicle) => async () => {
      const ts = times(v, 500);
      const locations = ts.map((at, i) => ({
        type: 'Feature',
        geometry: { type: 'Point', coordinates: [-3.7, 40 + i / 10_000] },
        properties: { timestamp: new Date(at).toISOString(), altitude: poisonAt(i) ? 1e300 : 600, device_id: 'p' },
      }));
      const res = await post('overland', `${t.base}/api/v1/overland`, JSON.stringify({ locations }), {
        'content-type': 'application/json',
        ...bearer(v),
      });
      if (res.status === 200) {
        expected.stored += locations.length;
        locations.forEach((_, i) => poisonAt(i) && dropped(v));
      }
    };
    // OsmAnd, 2,000 fixes one a request on its own port; poison altitude=1e300: dropped, fix stored.
    const osmand = (v: TestVehicle, i: number) => async () => {
      const [at] = times(v, 1);
      const altitude = poisonAt(i) ? '1e300' : '600';
      const res = await post(
        'osmand',
        `http://127.0.0.1:${t.api.osmandPort}/?id=${v.identifier}&timestamp=${Math.floor(at / 1000)}&lat=40.1&lon=-3.7&altitude=${altitude}`,
        '',
        {},
      );
      if (res.status === 200) {
        expected.stored += 1;
        if (poisonAt(i)) dropped(v);
      }
    };
    // OwnTracks, 1,000 messages; poison alt 1e300 and a lone surrogate in a field kept as an attribute.
    const owntracks = (i: number) => async () => {
      const [at] = times(own, 1);
      const poison = poisonAt(i) ? ',"alt":1e300,"note":"x\\ud800"' : ',"alt":600';
      const res = await post(
        'owntracks',
        `${t.base}/api/v1/owntracks`,
        `{"_type":"location","lat":40.2,"lon":-3.7,"tst":${Math.floor(at / 1000)},"tid":"P1"${poison}}`,
        {
          'content-type': 'application/json',
          authorization: `Basic ${Buffer.from(`${own.identifier}:${own.token}`).toString('base64')}`,
        },
      );
      if (res.status === 200) {
        expected.stored += 1;
        if (poisonAt(i)) dropped(own);
      }
    };
    // GPX, 7,000 points in 7 files; poison <ele>1e39</ele>: dropped, the point imported.
    const gpx = (v: TestVehicle) => async () => {
      const ts = times(v, 1000);
      const points = ts.map(
        (at, i) =>
          `<trkpt lat="${40 + i / 10_000}" lon="-3.7"><ele>${poisonAt(i) ? '1e39' : '600'}</ele><time>${new Date(at).toISOString()}</time></trkpt>`,
      );
      const res = await post(
        'gpx',
        `${t.base}/api/v1/vehicles/${v.id}/import`,
        `<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>${points.join('')}</trkseg></trk></gpx>`,
        { 'content-type': 'application/gpx+xml', ...bearer(v) },
      );
      if (res.status === 202) {
        expected.stored += (JSON.parse(res.text) as { imported: number }).imported;
        points.forEach((_, i) => poisonAt(i) && dropped(v));
      }
    };
    // Poison the edge does not see (an older API, a bug): staged directly, 10 requests of 100 fixes,
    // one poison fix each. The writer stores the 990 others and dead-letters exactly those ten.
    const poisonKinds: Array<Partial<NormalizedPosition>> = [
      { speedKmh: 1e-50 },
      { altitude: 1e300 },
      { accuracy: 1e39 },
      { attributes: { note: 'a\u0000b' } },
      { attributes: { ['k\u0000']: 1 } },
      { attributes: { note: 'x\ud800' } },
    ];
    const writerPoison: Array<{ vehicleId: string; ts: number }> = [];
    const stagedDirectly = (k: number) => async () => {
      const positions: NormalizedPosition[] = times(staged, 100).map((at, i) => ({
        vehicleId: staged.id,
        organizationId: staged.organizationId,
        ts: at,
        lat: 40.3,
        lon: -3.7,
        ...(i === 50 && poisonKinds[k % poisonKinds.length]),
      }));
      writerPoison.push({ vehicleId: staged.id, ts: positions[50].ts });
      const batch = await stageBatch(db, { protocol: 'test', positions });
      expected.stored += 99;
      await publishStaged(admin, batch, { names: DEFAULT_STREAMS, maxLen: 1_000_000 }).catch(() => undefined);
    };

    const jobs: Array<() => Promise<void>> = [];
    for (let i = 0; i < 60; i++) jobs.push(fleetJson([json1, json2, json3, json4][i % 4]));
    for (let i = 0; i < 20; i++) jobs.push(overland([over1, over2][i % 2]));
    for (let i = 0; i < 7; i++) jobs.push(gpx([gpx1, gpx2][i % 2]));
    for (let i = 0; i < 10; i++) jobs.push(stagedDirectly(i));
    const singles: Array<() => Promise<void>> = [];
    for (let i = 0; i < 2000; i++) singles.push(osmand([osm1, osm2][i % 2], i));
    for (let i = 0; i < 1000; i++) singles.push(owntracks(i));
    // Interleaved, so the faults land in the middle of every protocol's traffic.
    const all: Array<() => Promise<void>> = [];
    for (let i = 0, j = 0; i < jobs.length || j < singles.length;) {
      if (i < jobs.length) all.push(jobs[i++]);
      for (let k = 0; k < 30 && j < singles.length; k++) all.push(singles[j++]);
    }
    let done = 0;
    let restarted: Promise<WorkerProcess> | undefined;
    const faults = all.map((job) => async () => {
      await job();
      done += 1;
      if (done === Math.floor(all.length / 3)) {
        await worker.kill();
        restarted = startWorkerProcess(env);
      }
      if (done === Math.floor((2 * all.length) / 3)) await admin.flushall();
    });
    try {
      await inParallel(6, faults);
      worker = await restarted!;
      const replay = runSource('apps/worker/src/cli/replay.ts', env, [`--since=${runStarted.toISOString()}`]);
      expect(replay.status).toBe(0);

      // Every answer was a 2xx but for the Fleet JSON poison, each refused naming its field.
      expect(Object.keys(statuses).sort()).toEqual(['fleet-json', 'gpx', 'osmand', 'overland', 'owntracks']);
      for (const [protocol, counts] of Object.entries(statuses))
        expect([protocol, Object.keys(counts)]).toEqual([
          protocol,
          protocol === 'fleet-json' ? ['202', '400'] : [protocol === 'gpx' ? '202' : '200'],
        ]);
      expect(fleetRefusals).toHaveLength(300);
      expect(fleetRefusals.every((path) => /^(speed|altitude)$/.test(path))).toBe(true);
      expect(expected.stored).toBe(30_000 + 10_000 + 2_000 + 1_000 + 7_000 + 990);

      await waitFor(async () => (await countPositions(testDb.url)) === expected.stored, {
        timeoutMs: 90_000,
        what: `${expected.stored} positions stored`,
      }).catch(async (err) => {
        console.log(await countPositions(testDb.url), await unprocessed(testDb.url), worker.output().slice(-3000));
        throw err;
      });
      await waitFor(async () => (await unprocessed(testDb.url)) === 0, { timeoutMs: 20_000, what: 'staging drained' });
      expect(await countPositions(testDb.url)).toBe(expected.stored);
      expect(await duplicates(testDb.url)).toBe(0);

      // Dropped poison fields: stored as unknown, the rest of the fix kept.
      const nulls = await db.query<{ vehicle_id: string; n: string }>(
        'SELECT vehicle_id, count(*) AS n FROM positions WHERE altitude IS NULL AND vehicle_id = ANY($1::uuid[]) GROUP BY 1',
        [[...expected.altitudeDropped.keys()]],
      );
      expect(new Map(nulls.rows.map((r) => [r.vehicle_id, Number(r.n)]))).toEqual(expected.altitudeDropped);
      const notes = await db.query(
        "SELECT count(*)::int AS n FROM positions WHERE vehicle_id = $1 AND attributes ? 'note'",
        [own.id],
      );
      expect(notes.rows[0].n).toBe(0);

      // The dead letters are the writer's poison, all of it, and nothing else.
      const dead = await db.query<{ vehicle_id: string; ts: Date; reason: string }>(
        'SELECT vehicle_id, ts, reason FROM ingest_dead_letters ORDER BY ts',
      );
      expect(dead.rows.map((r) => ({ vehicleId: r.vehicle_id, ts: r.ts.getTime() }))).toEqual(
        [...writerPoison].sort((a, b) => a.ts - b.ts),
      );
      expect(dead.rows.every((r) => r.reason.length > 0)).toBe(true);
      const listed = runSource('apps/worker/src/cli/replay.ts', env, ['--list-dead-letters']);
      expect(listed.status).toBe(0);
      expect(listed.stdout.trim().split('\n')).toHaveLength(10);
    } finally {
      admin.disconnect();
      await db.end();
      await worker.stop();
      await t.api.stop();
      await redis.destroy();
      await testDb.drop();
    }
  });
});
