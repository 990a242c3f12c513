import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { destination } from '@fleet/geo';
import IORedis from 'ioredis';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { cellCentre, cellOf, cityIndex, Places, type GeocoderConfig } from './index';

/** A Nominatim stand-in: answers `/reverse` with the cell's coordinates in the street name. */
class FakeNominatim {
  calls: { at: number; lat: number; lon: number }[] = [];
  delayMs = 0;
  status = 200;
  private server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const lat = Number(url.searchParams.get('lat'));
    const lon = Number(url.searchParams.get('lon'));
    this.calls.push({ at: Date.now(), lat, lon });
    const answer = () => {
      if (res.destroyed) return;
      if (this.status !== 200) return void res.writeHead(this.status).end();
      res.setHeader('Content-Type', 'application/json');
      if (lat < -50) return void res.end(JSON.stringify({ error: 'Unable to geocode' }));
      res.end(
        JSON.stringify({
          display_name: 'long name',
          address: { road: `Street ${lat.toFixed(3)} ${lon.toFixed(3)}`, house_number: '1', city: 'Fake City' },
        }),
      );
    };
    if (this.delayMs) setTimeout(answer, this.delayMs).unref();
    else answer();
  });
  url = '';

  async start() {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop() {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const expectedPlace = (lat: number, lon: number) => {
  const c = cellCentre(cellOf(lat, lon));
  return `Street ${c.lat.toFixed(3)} ${c.lon.toFixed(3)} 1, Fake City`;
};

async function until<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

jest.setTimeout(30_000);

let db: TestDatabase;
let pool: pg.Pool;
let redis: IORedis;
let fake: FakeNominatim;
let org: string;
const prefix = `test:places:${process.pid}:`;
const started: Places[] = [];
let suite = 0;

function places(geocoder: Partial<GeocoderConfig> | undefined, extra: { backoffMs?: number } = {}) {
  const p = new Places({
    pool,
    redis,
    geocoder: geocoder && {
      url: fake.url,
      ratePerSec: 50,
      timeoutMs: 2_000,
      waitMs: 2_000,
      cacheTtlMs: 86_400_000,
      ...geocoder,
    },
    rateKey: `rate:${suite}`,
    backoffMs: extra.backoffMs ?? 60_000,
  });
  started.push(p);
  return p;
}

beforeAll(async () => {
  // Indexed once here (a second or two), not inside the first timed test.
  cityIndex();
  db = await createTestDatabase('places');
  pool = new pg.Pool({ connectionString: db.url, max: 6 });
  pool.on('error', () => undefined);
  redis = new IORedis('redis://127.0.0.1:6379', { keyPrefix: prefix });
  fake = new FakeNominatim();
  await fake.start();
  org = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('Places', 'places') RETURNING id")).rows[0]
    .id;
  const other = (await pool.query("INSERT INTO organizations (name, slug) VALUES ('Other', 'other') RETURNING id"))
    .rows[0].id;
  // Around Plaza de Cibeles, Madrid: a depot, and a yard inside it (the smaller one names the point).
  for (const [owner, name, wkt] of [
    [org, 'Depot Centro', 'POLYGON((-3.70 40.41, -3.68 40.41, -3.68 40.43, -3.70 40.43, -3.70 40.41))'],
    [org, 'Yard B', 'POLYGON((-3.695 40.418, -3.690 40.418, -3.690 40.422, -3.695 40.422, -3.695 40.418))'],
    [other, 'Not ours', 'POLYGON((-3.66 40.40, -3.60 40.40, -3.60 40.45, -3.66 40.45, -3.66 40.40))'],
  ])
    await pool.query(
      "INSERT INTO geofences (organization_id, name, kind, area) VALUES ($1, $2, 'polygon', ST_GeomFromText($3, 4326))",
      [owner, name, wkt],
    );
});

beforeEach(async () => {
  suite++;
  fake.calls = [];
  fake.delayMs = 0;
  fake.status = 200;
  await pool.query('TRUNCATE place_cache');
});

afterEach(async () => {
  await Promise.all(started.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  await fake?.stop();
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys.map((k) => k.slice(prefix.length)));
  redis?.disconnect();
  await pool?.end();
  await db?.drop();
});

describe('Places offline (no geocoder)', () => {
  it("names the organization's smallest geofence containing the point, else the nearest town", async () => {
    const p = places(undefined);
    const alcobendas = { lat: 40.54746, lon: -3.64197 };
    const out = await p.describe(org, [
      { lat: 40.42, lon: -3.692 }, // inside Yard B and Depot Centro
      { lat: 40.425, lon: -3.685 }, // Depot Centro only
      destination(alcobendas, 225, 2_300),
      { lat: 40.42, lon: -3.63 }, // inside the other organization's geofence only
      null,
      { lat: Number.NaN, lon: 0 },
    ]);
    expect(out.slice(0, 3)).toEqual(['Yard B', 'Depot Centro', '2.3 km SW of Alcobendas']);
    expect(out[3]).toMatch(/ of /);
    expect(out[3]).not.toContain('Not ours');
    expect(out.slice(4)).toEqual([undefined, undefined]);
    expect(fake.calls).toHaveLength(0);
  });
});

describe('Places with an online geocoder', () => {
  it('asks once per cell, even for parallel lookups from two processes, and serves the cache after', async () => {
    const a = places({});
    const b = places({});
    const point = { lat: 40.45, lon: -3.75 };
    const sameCell = { lat: 40.4502, lon: -3.7498 };
    const results = await Promise.all([
      a.describe(org, [point, sameCell, point]),
      b.describe(org, [sameCell]),
      a.describe(org, [point]),
      b.describe(org, [point]),
    ]);
    const expected = expectedPlace(point.lat, point.lon);
    // The call's answer reached at least the process that made it; the others used the fallback or it.
    expect(results.flat()).toContain(expected);
    expect(fake.calls).toHaveLength(1);
    expect(await a.describe(org, [sameCell])).toEqual([expected]);
    expect(await b.describe(org, [point, sameCell])).toEqual([expected, expected]);
    const fresh = places({});
    expect(await fresh.describe(org, [point])).toEqual([expected]);
    expect(fake.calls).toHaveLength(1);
  });

  it('caches "no address here" too, and then gives the offline place', async () => {
    const p = places({});
    const sea = { lat: -55.5, lon: -40.1 };
    const [first] = await p.describe(org, [sea]);
    const [second] = await p.describe(org, [sea]);
    expect(first).toBe(second);
    expect(first).not.toContain('Street');
    expect(fake.calls).toHaveLength(1);
  });

  it('never calls above its rate, across processes, and fills the cache in the background', async () => {
    const rate = 2;
    const a = places({ ratePerSec: rate, waitMs: 50 });
    const b = places({ ratePerSec: rate, waitMs: 50 });
    const points = Array.from({ length: 8 }, (_, i) => ({ lat: 41 + i * 0.01, lon: 2.1 }));
    const started = Date.now();
    const [ra, rb] = await Promise.all([a.describe(org, points), b.describe(org, points.slice().reverse())]);
    // Answered within the wait, not after 8 calls at 2 a second.
    expect(Date.now() - started).toBeLessThan(3_000);
    expect([...ra, ...rb].every((x) => typeof x === 'string')).toBe(true);
    await until('every cell asked about once', () => (fake.calls.length >= points.length ? true : undefined));
    const times = fake.calls.map((c) => c.at).sort((x, y) => x - y);
    // Slots are 500 ms apart. The fake shares the test's event loop, so single arrivals jitter on a busy
    // machine; the span from the first call to the last cannot shrink by more than that jitter, while
    // any two calls sharing a slot would take 500 ms off it.
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(((points.length - 1) * 1000) / rate - 250);
    const cells = new Set(fake.calls.map((c) => `${c.lat},${c.lon}`));
    expect(cells.size).toBe(fake.calls.length);
    expect(await a.describe(org, points)).toEqual(points.map((p) => expectedPlace(p.lat, p.lon)));
    expect(fake.calls).toHaveLength(points.length);
  });

  it('answers with the offline place at once when the service is slow, and caches its late answer', async () => {
    fake.delayMs = 1_500;
    const p = places({ waitMs: 100, timeoutMs: 5_000 });
    const point = { lat: 40.42, lon: -3.692 };
    const started = Date.now();
    expect(await p.describe(org, [point])).toEqual(['Yard B']);
    expect(Date.now() - started).toBeLessThan(1_000);
    await until('the late answer cached', async () => {
      const [place] = await p.describe(org, [point]);
      return place?.startsWith('Street') ? place : undefined;
    });
    expect(fake.calls).toHaveLength(1);
  });

  it('falls back offline when the service is down, and pauses its calls', async () => {
    await fake.stop();
    try {
      const p = places({});
      const alcobendas = { lat: 40.54746, lon: -3.64197 };
      const point = destination(alcobendas, 225, 2_300);
      expect(await p.describe(org, [point])).toEqual(['2.3 km SW of Alcobendas']);
      expect(await p.describe(org, [{ lat: 40.42, lon: -3.692 }])).toEqual(['Yard B']);
    } finally {
      fake = new FakeNominatim();
      await fake.start();
    }
  });

  it('falls back offline on a timeout and on an error status', async () => {
    fake.delayMs = 3_000;
    const slow = places({ timeoutMs: 200, waitMs: 2_000 });
    const started = Date.now();
    expect(await slow.describe(org, [{ lat: 40.42, lon: -3.692 }])).toEqual(['Yard B']);
    expect(Date.now() - started).toBeLessThan(3_000);
    fake.delayMs = 0;
    fake.status = 429;
    const limited = places({});
    expect(await limited.describe(org, [{ lat: 40.425, lon: -3.685 }])).toEqual(['Depot Centro']);
    expect(fake.calls).toHaveLength(2);
    // Paused after the failure: no call for another cell.
    expect(await limited.describe(org, [{ lat: 40.426, lon: -3.686 }])).toEqual(['Depot Centro']);
    expect(fake.calls).toHaveLength(2);
  });
});
