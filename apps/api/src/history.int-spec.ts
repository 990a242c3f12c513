import { ErrorBody, HistoryFeatureCollection, StopList, SummaryReport, TripList } from '@fleet/contracts';
import { createTestDatabase, type TestDatabase } from '@fleet/db/testing';
import { decodeGpx, distanceM, distanceToSegmentM, gpxTrackPoints } from '@fleet/geo';
import pg from 'pg';
import { startTestApi, type StartedApi } from './testing/harness';
import { addVehicle, createOrganization, insertPositions, login, type PositionRow } from './testing/tracking-fixtures';

const prefix = `test:history:${process.pid}:`;
let testDb: TestDatabase;
let t: StartedApi;
let db: pg.Client;
const token: Record<string, string> = {};
const v: Record<string, string> = {};
const HOUR = 3_600_000;
const T0 = Math.floor(Date.now() / 1000) * 1000 - 30 * HOUR;
const iso = (ms: number) => new Date(ms).toISOString();

// Tracker: two hours at 1 Hz along a winding road eastwards; every 1,000th fix without speed.
const TRACK_N = 7_200;
const track = (k: number): PositionRow => ({
  ts: T0 + k * 1000,
  lat: 40.4 + 0.01 * Math.sin(k / 600),
  lon: -3.7 + k * 0.00002,
  speedKmh: k % 1000 === 0 ? null : 20 + (k % 7),
  heading: 90,
  accuracy: 5,
});

// Driver: a synthetic day with known truth. Parked 10 min at A (GPS jitter), 20 min east to B at
// 36 km/h, parked 40 min at B, 30 min north to C, parked 30 min at C.
const D0 = T0 + 3 * HOUR;
const A = { lat: 40.4, lon: -3.7 };
const B = { lat: 40.4, lon: -3.7 + 12_000 / 84_862 }; // 12 km east
const C = { lat: 40.4 + 18_000 / 111_034, lon: B.lon }; // 18 km north
const PHASES = [
  { kind: 'stop', at: A, s: 600 },
  { kind: 'drive', from: A, to: B, s: 1_200 },
  { kind: 'stop', at: B, s: 2_400 },
  { kind: 'drive', from: B, to: C, s: 1_800 },
  { kind: 'stop', at: C, s: 1_800 },
] as const;

function driverDay(): PositionRow[] {
  let seed = 42;
  const random = () => {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    return seed / 2 ** 31 - 0.5;
  };
  const rows: PositionRow[] = [];
  let k = 0;
  for (const phase of PHASES) {
    for (let i = 0; i < phase.s; i++, k++) {
      if (phase.kind === 'stop') {
        // ±2.5 m of jitter around the parking spot.
        rows.push({
          ts: D0 + k * 1000,
          lat: phase.at.lat + random() * 0.000045,
          lon: phase.at.lon + random() * 0.00006,
          speedKmh: Math.abs(random()) * 1.5,
          accuracy: 6,
        });
      } else {
        const f = i / phase.s;
        rows.push({
          ts: D0 + k * 1000,
          lat: phase.from.lat + (phase.to.lat - phase.from.lat) * f,
          lon: phase.from.lon + (phase.to.lon - phase.from.lon) * f,
          speedKmh: 36,
          accuracy: 5,
        });
      }
    }
  }
  return rows;
}

// Climb: an hour at 1 Hz of a phone that reports altitude and battery for the first 20 minutes,
// then altitude only for 20 minutes, then neither (values exact in float4).
const CLIMB_N = 3_600;
const CLIMB_BOTH = 1_200;
const CLIMB_ALTITUDE = 2_400;
const climbAltitude = (k: number) => (k < CLIMB_ALTITUDE ? 600 + (k % 400) * 0.25 : undefined);
const climbBattery = (k: number) => (k < CLIMB_BOTH ? 100 - Math.floor(k / 60) : undefined);

// Big: 200,000 fixes at 1 Hz (55.6 hours), for streaming and windowed simplification.
const BIG_N = 200_000;
const BIG0 = T0 - 60 * HOUR;

beforeAll(async () => {
  testDb = await createTestDatabase('api-history');
  db = new pg.Client({ connectionString: testDb.url });
  await db.connect();
  const a = await createOrganization(db, 'hist-a');
  const b = await createOrganization(db, 'hist-b', 'admin');
  v['tracker'] = await addVehicle(db, a.id, 'Tracker <1>');
  v['driver'] = await addVehicle(db, a.id, 'Driver');
  v['big'] = await addVehicle(db, a.id, 'Big');
  v['empty'] = await addVehicle(db, a.id, 'Empty');
  v['climb'] = await addVehicle(db, a.id, 'Climb');
  v['b'] = await addVehicle(db, b.id, 'B only');
  await insertPositions(
    db,
    v['tracker'],
    Array.from({ length: TRACK_N }, (_, k) => track(k)),
  );
  await insertPositions(db, v['driver'], driverDay());
  await db.query(
    `INSERT INTO positions (vehicle_id, ts, point, speed_kmh, heading, accuracy, battery)
     SELECT $1, $2::timestamptz + make_interval(secs => k),
            ST_SetSRID(ST_MakePoint(-3.7 + 0.02 * sin(k / 900.0), 40.4 + 0.02 * cos(k / 1300.0)), 4326), 30, 45, 4, 70
       FROM generate_series(0, $3::int - 1) k`,
    [v['big'], new Date(BIG0), BIG_N],
  );
  await db.query(
    `INSERT INTO positions (vehicle_id, ts, point, speed_kmh, heading, accuracy, altitude, battery)
     SELECT $1, $2::timestamptz + make_interval(secs => k),
            ST_SetSRID(ST_MakePoint(-3.7 + 0.00003 * k, 40.4 + 0.005 * sin(k / 300.0)), 4326), 40, 90, 5,
            CASE WHEN k < $4 THEN 600 + (k % 400) * 0.25 END,
            CASE WHEN k < $3 THEN 100 - k / 60 END
       FROM generate_series(0, $5::int - 1) k`,
    [v['climb'], new Date(T0), CLIMB_BOTH, CLIMB_ALTITUDE, CLIMB_N],
  );
  // A short statement timeout: an export must outlive it (a cursor is one long statement).
  t = await startTestApi({ DATABASE_URL: testDb.url, DB_STATEMENT_TIMEOUT_MS: '2000' }, { keyPrefix: prefix });
  token['a'] = await login(t.base, a.email);
  token['b'] = await login(t.base, b.email);
});

afterAll(async () => {
  if (t) {
    const keys = await t.api.redis.keys(`${prefix}*`);
    if (keys.length) await t.api.redis.del(...keys.map((k) => k.slice(prefix.length)));
  }
  await t?.api.stop();
  await db?.end();
  await testDb?.drop();
});

const get = (as: string, path: string, init: RequestInit = {}) =>
  fetch(`${t.base}/api/v1${path}`, { ...init, headers: { authorization: `Bearer ${token[as]}` } });

interface Feature {
  geometry: { type: string; coordinates: number[] };
  properties: { ts: string; speedKmh?: number; heading?: number; accuracy?: number; battery?: number };
}

async function history(vehicle: string, query: string) {
  const res = await get('a', `/vehicles/${v[vehicle]}/history${query}`);
  expect(res.status).toBe(200);
  return res;
}
async function geojson(vehicle: string, query: string): Promise<Feature[]> {
  const res = await history(vehicle, query);
  expect(res.headers.get('content-type')).toBe('application/geo+json; charset=utf-8');
  const body = (await res.json()) as { type: string; features: Feature[] };
  expect(body.type).toBe('FeatureCollection');
  return body.features;
}

const trackerPeriod = `?from=${iso(T0)}&to=${iso(T0 + 2 * HOUR)}`;

describe('GET /vehicles/:id/history', () => {
  jest.setTimeout(60_000);

  it('exports the raw track as GeoJSON points, `from` inclusive and `to` exclusive', async () => {
    const features = await geojson('tracker', trackerPeriod);
    expect(features).toHaveLength(TRACK_N);
    for (const k of [0, 1, 999, 1000, TRACK_N - 1]) {
      const f = features[k]!;
      expect(f.geometry.type).toBe('Point');
      expect(f.geometry.coordinates[0]).toBeCloseTo(track(k).lon, 7);
      expect(f.geometry.coordinates[1]).toBeCloseTo(track(k).lat, 7);
      expect(f.properties.ts).toBe(iso(track(k).ts));
      expect(f.properties.speedKmh).toBe(track(k).speedKmh ?? undefined);
      expect(f.properties).toMatchObject({ heading: 90, accuracy: 5 });
    }
    const part = await geojson('tracker', `?from=${iso(T0 + 600_000)}&to=${iso(T0 + 1_200_000)}`);
    expect(part).toHaveLength(600);
    expect(part[0]!.properties.ts).toBe(iso(T0 + 600_000));
    expect(part[599]!.properties.ts).toBe(iso(T0 + 1_199_000));
  });

  it('exports CSV and GPX 1.1 that read back to the same fixes', async () => {
    const csvRes = await history('tracker', `${trackerPeriod}&format=csv`);
    expect(csvRes.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(csvRes.headers.get('content-disposition')).toMatch(/^attachment; filename="history-.*\.csv"$/);
    const lines = (await csvRes.text()).trimEnd().split('\n');
    expect(lines[0]).toBe('ts,lat,lon,speed_kmh,heading,altitude,accuracy,battery');
    expect(lines).toHaveLength(TRACK_N + 1);
    for (const k of [0, 1000, 3333, TRACK_N - 1]) {
      const [ts, lat, lon, speed, heading, altitude, accuracy, battery] = lines[k + 1]!.split(',');
      expect(ts).toBe(iso(track(k).ts));
      expect(Number(lat)).toBeCloseTo(track(k).lat, 7);
      expect(Number(lon)).toBeCloseTo(track(k).lon, 7);
      expect(speed).toBe(track(k).speedKmh === null ? '' : String(track(k).speedKmh));
      expect([heading, altitude, accuracy, battery]).toEqual(['90', '', '5', '']);
    }

    const gpxRes = await history('tracker', `${trackerPeriod}&format=gpx`);
    expect(gpxRes.headers.get('content-type')).toBe('application/gpx+xml; charset=utf-8');
    const doc = decodeGpx(await gpxRes.text());
    expect(doc.tracks[0]?.name).toBe('Tracker <1>');
    const points = gpxTrackPoints(doc);
    expect(points).toHaveLength(TRACK_N);
    for (const k of [0, 1, 1000, TRACK_N - 1]) {
      const p = points[k]!;
      expect(p.ts?.toISOString()).toBe(iso(track(k).ts));
      expect(p.lat).toBeCloseTo(track(k).lat, 6);
      expect(p.lon).toBeCloseTo(track(k).lon, 6);
      if (track(k).speedKmh === null) expect(p.speedKmh).toBeUndefined();
      else expect(p.speedKmh).toBeCloseTo(track(k).speedKmh!, 1);
      expect(p.heading).toBe(90);
    }
  });

  it('simplifies to a tolerance in metres: every dropped fix lies within it of the line kept', async () => {
    const raw = await geojson('tracker', trackerPeriod);
    for (const tolerance of [2, 10]) {
      const kept = await geojson('tracker', `${trackerPeriod}&simplify=${tolerance}`);
      expect(kept.length).toBeGreaterThan(2);
      expect(kept.length).toBeLessThan(raw.length / 10);
      expect(kept[0]!.properties.ts).toBe(raw[0]!.properties.ts);
      expect(kept[kept.length - 1]!.properties.ts).toBe(raw[raw.length - 1]!.properties.ts);
      const at = (f: Feature) => ({ lon: f.geometry.coordinates[0]!, lat: f.geometry.coordinates[1]! });
      let s = 0;
      let worst = 0;
      for (const f of raw) {
        while (s < kept.length - 2 && kept[s + 1]!.properties.ts <= f.properties.ts) s++;
        worst = Math.max(worst, distanceToSegmentM(at(f), at(kept[s]!), at(kept[s + 1]!)));
      }
      expect(worst).toBeLessThanOrEqual(tolerance + 0.01);
      expect(worst).toBeGreaterThan(tolerance / 4); // it did drop points up to the tolerance
    }
  });

  it('simplifies to at most maxPoints, keeping the ends, also over several windows and in every format', async () => {
    const kept = await geojson('tracker', `${trackerPeriod}&maxPoints=100`);
    expect(kept.length).toBe(100);
    expect(kept[0]!.properties.ts).toBe(iso(T0));
    expect(kept[99]!.properties.ts).toBe(iso(T0 + (TRACK_N - 1) * 1000));
    expect(new Set(kept.map((f) => f.properties.ts)).size).toBe(100);

    // 55.6 hours: two windows read one after the other, sharing the budget.
    const bigPeriod = `?from=${iso(BIG0)}&to=${iso(BIG0 + BIG_N * 1000)}`;
    const big = await geojson('big', `${bigPeriod}&maxPoints=500`);
    expect(big.length).toBeLessThanOrEqual(500);
    expect(big.length).toBeGreaterThan(450);
    expect(big[0]!.properties.ts).toBe(iso(BIG0));
    expect(big[big.length - 1]!.properties.ts).toBe(iso(BIG0 + (BIG_N - 1) * 1000));
    const times = big.map((f) => Date.parse(f.properties.ts));
    expect(times.every((x, i) => i === 0 || x > times[i - 1]!)).toBe(true);
    // Battery where the fixes have it; no altitude (a third coordinate) where they have none.
    expect(big.every((f) => f.properties.battery === 70 && f.geometry.coordinates.length === 2)).toBe(true);
    expect(kept.every((f) => f.properties.battery === undefined && f.geometry.coordinates.length === 2)).toBe(true);

    const gpx = gpxTrackPoints(
      decodeGpx(await (await history('tracker', `${trackerPeriod}&maxPoints=100&format=gpx`)).text()),
    );
    expect(gpx.map((p) => p.ts?.toISOString())).toEqual(kept.map((f) => f.properties.ts));
    const csv = (await (await history('tracker', `${trackerPeriod}&simplify=10&format=csv`)).text()).trimEnd();
    expect(csv.split('\n').length - 1).toBe((await geojson('tracker', `${trackerPeriod}&simplify=10`)).length);
  });

  it('carries altitude and battery in the simplified track where the fixes have them, as the raw export does', async () => {
    const period = `?from=${iso(T0)}&to=${iso(T0 + CLIMB_N * 1000)}`;
    const raw = await geojson('climb', period);
    expect(raw).toHaveLength(CLIMB_N);
    for (const k of [0, CLIMB_BOTH - 1, CLIMB_BOTH, CLIMB_ALTITUDE - 1, CLIMB_ALTITUDE, CLIMB_N - 1]) {
      const f = raw[k]!;
      expect(f.geometry.coordinates.slice(2)).toEqual(climbAltitude(k) === undefined ? [] : [climbAltitude(k)]);
      expect(f.properties.battery).toBe(climbBattery(k));
    }

    // What the web's history page asks for: a day or less fits, so every fix, exactly as raw.
    expect(await geojson('climb', `${period}&maxPoints=5000`)).toEqual(raw);

    const byTs = new Map(raw.map((f) => [f.properties.ts, f]));
    for (const query of ['maxPoints=200', 'simplify=5']) {
      const kept = await geojson('climb', `${period}&${query}`);
      expect(kept.length).toBeLessThan(CLIMB_N / 5);
      // Each kept fix is the raw export's feature for the same time: coordinates (altitude third) and properties.
      for (const f of kept) expect(f).toEqual(byTs.get(f.properties.ts));
      // And it is what the web's client accepts (it checks answers against the contract), nothing dropped.
      expect(HistoryFeatureCollection.parse({ type: 'FeatureCollection', features: kept }).features).toEqual(kept);
      const k = (f: Feature) => (Date.parse(f.properties.ts) - T0) / 1000;
      // Every part of the hour is represented: altitude and battery, altitude only, neither.
      const both = kept.filter((f) => k(f) < CLIMB_BOTH);
      const altitudeOnly = kept.filter((f) => k(f) >= CLIMB_BOTH && k(f) < CLIMB_ALTITUDE);
      const neither = kept.filter((f) => k(f) >= CLIMB_ALTITUDE);
      for (const part of [both, altitudeOnly, neither]) expect(part.length).toBeGreaterThan(2);
      expect(both.every((f) => f.geometry.coordinates.length === 3 && f.properties.battery !== undefined)).toBe(true);
      expect(altitudeOnly.every((f) => f.geometry.coordinates.length === 3 && f.properties.battery === undefined)).toBe(
        true,
      );
      expect(neither.every((f) => f.geometry.coordinates.length === 2 && f.properties.battery === undefined)).toBe(
        true,
      );
    }

    const csv = (await (await history('climb', `${period}&maxPoints=200&format=csv`)).text()).trimEnd().split('\n');
    expect(csv[0]).toBe('ts,lat,lon,speed_kmh,heading,altitude,accuracy,battery');
    expect(csv[1]!.split(',').slice(3)).toEqual(['40', '90', '600', '5', '100']);
    expect(csv[csv.length - 1]!.split(',').slice(3)).toEqual(['40', '90', '', '5', '']);
    const gpx = gpxTrackPoints(decodeGpx(await (await history('climb', `${period}&maxPoints=200&format=gpx`)).text()));
    expect(gpx[0]!.altitude).toBe(600);
    expect(gpx[gpx.length - 1]!.altitude).toBeUndefined();
  });

  it('answers an empty but valid document for a period without fixes', async () => {
    const period = `?from=${iso(T0)}&to=${iso(T0 + HOUR)}`;
    expect(await (await history('empty', period)).json()).toEqual({ type: 'FeatureCollection', features: [] });
    expect(await (await history('empty', `${period}&format=csv`)).text()).toBe(
      'ts,lat,lon,speed_kmh,heading,altitude,accuracy,battery\n',
    );
    expect(gpxTrackPoints(decodeGpx(await (await history('empty', `${period}&format=gpx`)).text()))).toEqual([]);
    expect(await (await history('empty', `${period}&maxPoints=100`)).json()).toEqual({
      type: 'FeatureCollection',
      features: [],
    });
  });

  it('streams: the first bytes arrive while the cursor is open, and a paused client pauses the query (beyond the statement timeout)', async () => {
    const res = await history('big', `?from=${iso(BIG0)}&to=${iso(BIG0 + BIG_N * 1000)}`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    expect(first.done).toBe(false);
    // The client stops reading: socket buffers fill, the API stops fetching from the cursor, and the
    // export transaction stays open in PostgreSQL instead of running to the end into memory.
    await new Promise((r) => setTimeout(r, 2_500));
    const open = async () =>
      Number(
        (
          await db.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fleet-api' AND xact_start IS NOT NULL AND query LIKE '%FROM positions%'",
          )
        ).rows[0].n,
      );
    expect(await open()).toBe(1);
    // Reading on gets every fix.
    const decoder = new TextDecoder();
    let text = decoder.decode(first.value, { stream: true });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
    }
    const features = (JSON.parse(text) as { features: Feature[] }).features;
    expect(features).toHaveLength(BIG_N);
    expect(features[BIG_N - 1]!.properties).toMatchObject({ ts: iso(BIG0 + (BIG_N - 1) * 1000), battery: 70 });
    expect(await open()).toBe(0);
  });

  it('lets the database go when the client walks away mid-export', async () => {
    const res = await history('big', `?from=${iso(BIG0)}&to=${iso(BIG0 + BIG_N * 1000)}&format=csv`);
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    const stillOpen = async () =>
      Number(
        (
          await db.query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'fleet-api' AND xact_start IS NOT NULL",
          )
        ).rows[0].n,
      );
    const deadline = Date.now() + 10_000;
    while ((await stillOpen()) > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await stillOpen()).toBe(0);
    // And the API still answers.
    expect((await geojson('tracker', `${trackerPeriod}&maxPoints=100`)).length).toBe(100);
  });
});

describe('GET /vehicles/:id/trips, /stops, /summary', () => {
  jest.setTimeout(60_000);
  const day = `?from=${iso(D0 - HOUR)}&to=${iso(D0 + 4 * HOUR)}`;
  const near = (actual: string, expected: number, seconds = 30) =>
    expect(Math.abs(Date.parse(actual) - expected)).toBeLessThanOrEqual(seconds * 1000);

  it('finds the two trips of the synthetic day, with their times and distances', async () => {
    const res = await get('a', `/vehicles/${v['driver']}/trips${day}`);
    expect(res.status).toBe(200);
    const trips = TripList.parse(await res.json());
    expect(trips).toMatchObject({ vehicleId: v['driver'], fixes: 7_800, sampledEvery: 1 });
    expect(trips.items).toHaveLength(2);
    const [ab, bc] = trips.items as [TripList['items'][0], TripList['items'][0]];
    near(ab.startTime, D0 + 600_000);
    near(ab.endTime, D0 + 1_800_000);
    near(bc.startTime, D0 + 4_200_000);
    near(bc.endTime, D0 + 6_000_000);
    // Each trip starts and ends at the last fix inside the stops' radius (75 m): a little under the road's length.
    expect(ab.distanceM).toBeGreaterThan(11_700);
    expect(ab.distanceM).toBeLessThan(12_300);
    expect(bc.distanceM).toBeGreaterThan(17_700);
    expect(bc.distanceM).toBeLessThan(18_400);
    expect(ab.maxSpeedKmh).toBeCloseTo(36, 0);
    // Trip ends are where the stop's stay begins: within two stop radii (150 m) of the spot.
    expect(distanceM(ab.end, B)).toBeLessThan(150);
    expect(distanceM(bc.start, B)).toBeLessThan(150);
  });

  it('finds the three stops, each where and when the vehicle was parked', async () => {
    const res = await get('a', `/vehicles/${v['driver']}/stops${day}`);
    expect(res.status).toBe(200);
    const stops = StopList.parse(await res.json()).items;
    expect(stops).toHaveLength(3);
    const truth = [
      { at: A, start: D0, end: D0 + 600_000 },
      { at: B, start: D0 + 1_800_000, end: D0 + 4_200_000 },
      { at: C, start: D0 + 6_000_000, end: D0 + 7_800_000 },
    ];
    stops.forEach((s, i) => {
      expect(distanceM(s, truth[i]!.at)).toBeLessThan(15);
      near(s.startTime, truth[i]!.start);
      near(s.endTime, truth[i]!.end);
      expect(s.spansDataGap).toBe(false);
    });
  });

  it('sums the day up, and passes detection settings through', async () => {
    const res = await get('a', `/vehicles/${v['driver']}/summary${day}`);
    expect(res.status).toBe(200);
    const s = SummaryReport.parse(await res.json());
    expect(s).toMatchObject({ trips: 2, stops: 3, fixes: 7_800 });
    expect(s.distanceM).toBeGreaterThan(29_400);
    expect(s.distanceM).toBeLessThan(30_700);
    expect(s.maxSpeedKmh).toBeCloseTo(36, 0);
    expect(Math.abs(s.drivingS + s.idleS - 3_000)).toBeLessThanOrEqual(60);
    expect(Math.abs(s.stoppedS - 4_800)).toBeLessThanOrEqual(90);
    expect(s.avgSpeedKmh).toBeGreaterThan(33);
    expect(s.avgSpeedKmh).toBeLessThan(39);
    // A 40-minute halt is no stop when a stop must last an hour: B's halt joins the two trips.
    const long = SummaryReport.parse(
      await (await get('a', `/vehicles/${v['driver']}/summary${day}&minStopDurationS=3600`)).json(),
    );
    expect(long.trips).toBe(1);
    expect(long.stops).toBe(0);
  });

  it('answers an empty report for a period without fixes', async () => {
    const res = await get('a', `/vehicles/${v['empty']}/summary`);
    expect(res.status).toBe(200);
    expect(SummaryReport.parse(await res.json())).toMatchObject({ trips: 0, stops: 0, fixes: 0, distanceM: 0 });
  });
});

describe('history and reports: validation and isolation', () => {
  jest.setTimeout(30_000);

  it.each([
    ['history', `?from=${iso(T0 + HOUR)}&to=${iso(T0)}`, 'from'],
    ['history', `?from=${iso(T0)}&to=${iso(T0)}`, 'from'],
    ['history', `?from=${iso(T0 - 32 * 24 * HOUR)}&to=${iso(T0)}`, 'to'],
    ['history', '?from=yesterday', 'from'],
    ['history', '?to=2026-13-01T00:00:00Z', 'to'],
    ['history', '?format=kml', 'format'],
    ['history', '?simplify=-1', 'simplify'],
    ['history', '?simplify=abc', 'simplify'],
    ['history', '?maxPoints=10', 'maxPoints'],
    ['history', '?maxPoints=1000&simplify=5', 'maxPoints'],
    ['history', '?limit=5', 'limit'],
    ['trips', `?from=${iso(T0 + HOUR)}&to=${iso(T0)}`, 'from'],
    ['stops', `?from=${iso(T0 - 40 * 24 * HOUR)}&to=${iso(T0)}`, 'to'],
    ['summary', '?minStopDurationS=-1', 'minStopDurationS'],
    ['summary', '?stopRadiusM=0', 'stopRadiusM'],
  ])('/%s%s → 400 naming %s', async (route, query, param) => {
    const res = await get('a', `/vehicles/${v['tracker']}/${route}${query}`);
    expect(res.status).toBe(400);
    const details = ErrorBody.parse(await res.json()).error.details ?? [];
    // A bad value names the parameter in `path`; an unknown one in the message.
    expect(details.some((d) => d.path === param || d.message.includes(`"${param}"`))).toBe(true);
  });

  it.each(['history', 'history?format=gpx', 'trips', 'stops', 'summary'])(
    'another organization’s vehicle is not found: /%s',
    async (route) => {
      const res = await get('b', `/vehicles/${v['tracker']}/${route}`);
      expect(res.status).toBe(404);
      expect(res.headers.get('content-disposition')).toBeNull();
      expect(ErrorBody.parse(await res.json()).error.code).toBe('not_found');
      expect((await get('a', `/vehicles/not-a-uuid/${route}`)).status).toBe(404);
      expect((await get('b', `/vehicles/${v['b']}/${route}`)).status).toBe(200);
    },
  );
});
